// List: a deque of binary-safe byte strings, Redis's quicklist rebuilt on typed arrays.
//
// Elements live in NODES: each node is one Uint8Array holding a run of consecutive elements,
// packed. A node directory (a ring of slots: Int32Array start/end/count + the node buffers)
// gives O(1) push and pop at both ends, O(nodes) node insert/remove in the middle, and
// indexing in O(nodes + node size): scan the counts from the nearer end, then walk inside one
// node from its nearer end.
//
// Inside a node, elements E_0..E_{n-1} are separated by n+1 BOUNDARIES:
//
//     B_0 E_0 B_1 E_1 ... B_{n-1} E_{n-1} B_n      with B_i = enc(len(E_{i-1}) XOR len(E_i))
//
// (len(E_-1) = len(E_n) = 0). Walking forward, the previous length is known, so B_i gives
// len(E_i); walking backward, the next length is known, so B_{i+1} gives len(E_i). One byte
// per element for elements under 128 bytes, where a listpack spends two (encoding + backlen):
// "xxx" costs 4 bytes instead of 5. enc(v) is one byte 0vvvvvvv for v < 128, else
// [0x80|w] [w bytes little-endian] [0x80|w] (w = 1..4), readable from either end.
// XOR never widens: enc(a ^ c) is no wider than the wider of enc(a ^ b) and enc(b ^ c), so
// deleting elements in place never needs more room than it frees (LREM compacts in place).
//
// A node's bytes occupy [start, end) of its buffer, with slack on either side: a node grown
// by pushLeft keeps its slack in front, one grown by pushRight behind, so pushes and pops at
// both ends move no bytes. Fill follows list-max-listpack-size as quicklist does (negative:
// 4..64 KB per node, positive: elements per node within 8 KB); a node that cannot take an
// element gets a neighbour, so an element bigger than the limit sits alone in its node.
// Deletes in the middle merge a node with a neighbour when both fit in one (Redis merges only
// after inserts; merging after deletes too keeps memory bounded after LREM/LSET).
//
// list-compress-depth is accepted and stored but not applied: nodes are never compressed.
//
// Reading elements never allocates: at()/peekLeft()/next()... set `cbuf`/`coff` and return
// the length; the bytes stay valid until the next call that changes the list.

import { bytesEqual, COPY_LOOP_MAX, copyNative } from "./bytes.ts";

/** list-max-listpack-size default (8 KB nodes). */
export const LIST_FILL_DEFAULT = -2;
/** Redis's quicklist FILL_MAX: positive fills are clamped to it. */
export const LIST_FILL_MAX = 32767;
/** Node size limits for fill -1..-5 (Redis's optimization_level). */
const SIZE_LEVELS = [4096, 8192, 16384, 32768, 65536];
/** Positive fill: a node still stops at this many bytes (Redis's SIZE_SAFETY_LIMIT). */
const SIZE_SAFETY_LIMIT = 8192;
/** Longest element (node offsets are Int32; proto-max-bulk-len stays below it). */
export const LIST_MAX_ELEMENT = 0x7fffffff - 16;
const MIN_DIR = 4;
const MIN_NODE = 16;
const EMPTY = new Uint8Array(0);
/** splice hints: where a reallocated node keeps its slack. */
const SLACK_BEHIND = 0;
const SLACK_FRONT = 1;

/** Redis's quicklistSetFill: clamp to [-5, 32767]. */
export function clampFill(fill: number): number {
  if (fill > LIST_FILL_MAX) return LIST_FILL_MAX;
  if (fill < -5) return -5;
  return Math.trunc(fill);
}

// ---- boundary encoding ---------------------------------------------------------------------

/** Bytes enc(v) takes. */
function bw(v: number): number {
  if (v < 128) return 1;
  if (v < 0x100) return 3;
  if (v < 0x10000) return 4;
  if (v < 0x1000000) return 5;
  return 6;
}

/** Write enc(v) at p; returns its width. */
function benc(b: Uint8Array, p: number, v: number): number {
  if (v < 128) {
    b[p] = v;
    return 1;
  }
  const w = bw(v) - 2;
  b[p] = 0x80 | w;
  for (let i = 0; i < w; i++) b[p + 1 + i] = (v >>> (8 * i)) & 255;
  b[p + 1 + w] = 0x80 | w;
  return w + 2;
}

/** Width of the boundary starting at p. */
function fwdW(b: Uint8Array, p: number): number {
  const x = b[p]!;
  return x < 128 ? 1 : (x & 7) + 2;
}

/** Width of the boundary ending just before q. */
function backW(b: Uint8Array, q: number): number {
  const x = b[q - 1]!;
  return x < 128 ? 1 : (x & 7) + 2;
}

/** Value of the boundary of width w starting at p. */
function bval(b: Uint8Array, p: number, w: number): number {
  if (w === 1) return b[p]!;
  let v = 0;
  for (let i = w - 3; i >= 0; i--) v = v * 256 + b[p + 1 + i]!;
  return v;
}

/** Copy bytes between different arrays. A subarray view of a typed array gives it an
 * ArrayBuffer object (~300 bytes in Bun): short copies loop, longer ones use the native copy
 * by offsets (bytes.ts copyNative), which makes no view and no allocation. */
function copyIn(src: Uint8Array, so: number, dst: Uint8Array, d: number, len: number): void {
  if (len <= COPY_LOOP_MAX) for (let i = 0; i < len; i++) dst[d + i] = src[so + i]!;
  else copyNative(src, so, dst, d, len);
}

export class List {
  /** list-max-listpack-size this list was created with (clamped). */
  readonly fill: number;
  /** list-compress-depth this list was created with; stored, not applied. */
  readonly compressDepth: number;
  /** After at()/peek*()/next()/prev(): the element's bytes are cbuf[coff, coff + length). */
  cbuf: Uint8Array = EMPTY;
  coff = 0;

  /** Ring of node slots: dir[3s] = start, dir[3s+1] = end, dir[3s+2] = element count. */
  private dir = new Int32Array(3 * MIN_DIR);
  private bufs: Uint8Array[] = [EMPTY, EMPTY, EMPTY, EMPTY];
  private mask = MIN_DIR - 1;
  private head = 0;
  private nn = 0;
  private n = 0;
  /** Sum of node buffer lengths (memoryBytes in O(1)). */
  private nodeBytes = 0;
  /** Node byte limit; with a positive fill also `fill` elements. */
  private readonly maxBytes: number;

  // Scratch results, fields so that lookups allocate nothing.
  /** locate(): logical node and index inside it. */
  private li = 0;
  private lk = 0;
  /** walk(): offset of boundary B_k and len(E_{k-1}). */
  private wp = 0;
  private wprev = 0;
  /** Cursor: logical node, index inside it, and (forward) offset of B_k + len(E_{k-1}) or
   * (backward) offset just past B_{k+1} + len(E_{k+1}). */
  private cNode = 0;
  private cK = 0;
  private cP = 0;
  private cLen = 0;

  /**
   * `fill`, `compressDepth`: list-max-listpack-size and list-compress-depth when the list is
   * created (Redis fixes both per quicklist). `nodeBytes` overrides the node byte limit (tests
   * use tiny nodes to exercise splits and merges).
   */
  constructor(fill = LIST_FILL_DEFAULT, compressDepth = 0, nodeBytes = 0) {
    this.fill = clampFill(fill);
    this.compressDepth = compressDepth;
    this.maxBytes =
      nodeBytes > 0 ? nodeBytes : this.fill < 0 ? SIZE_LEVELS[-this.fill - 1]! : SIZE_SAFETY_LIMIT;
  }

  get length(): number {
    return this.n;
  }

  /** Nodes in the list (tests, DEBUG-like introspection). */
  get nodeCount(): number {
    return this.nn;
  }

  /** OBJECT ENCODING: Redis 7.0 holds every list as a quicklist. */
  get encoding(): string {
    return "quicklist";
  }

  /** Bytes held: the object, the directory, node buffers and their typed-array objects. */
  memoryBytes(): number {
    return (
      120 + 56 + this.dir.byteLength + 32 + 8 * this.bufs.length + 56 * this.nn + this.nodeBytes
    );
  }

  // ---- ends ----------------------------------------------------------------------------

  /**
   * Before pushing elements of `bytes` bytes in all into an empty list (an RDB load): open
   * its first node at that size (within the node limit), so the pushes do not regrow it.
   */
  reserveRight(count: number, bytes: number): void {
    if (this.nn !== 0 || count === 0) return;
    const need = bytes + count + 1; // one boundary byte per element under 128 bytes
    if (need > this.maxBytes) return;
    const s = this.insertSlot(0);
    this.setBuf(s, new Uint8Array(Math.max(need, MIN_NODE)));
  }

  pushRight(buf: Uint8Array, off: number, len: number): void {
    checkLen(len);
    const nn = this.nn;
    if (nn === 0 || !this.allowInsert(this.slot(nn - 1), len)) {
      this.newNode(nn, len, SLACK_BEHIND, nn > 0);
    }
    this.nodeAppend(this.slot(this.nn - 1), buf, off, len);
    this.n++;
  }

  pushLeft(buf: Uint8Array, off: number, len: number): void {
    checkLen(len);
    if (this.nn === 0 || !this.allowInsert(this.head, len)) {
      this.newNode(0, len, SLACK_FRONT, this.nn > 0);
    }
    this.nodePrepend(this.head, buf, off, len);
    this.n++;
  }

  /** Length of the first element (its bytes in cbuf/coff), or -1 when empty. */
  peekLeft(): number {
    if (this.n === 0) return -1;
    const s = this.head;
    const b = this.bufs[s]!;
    const p = this.dir[3 * s]!;
    const w = fwdW(b, p);
    this.cbuf = b;
    this.coff = p + w;
    return bval(b, p, w);
  }

  /** Length of the last element (its bytes in cbuf/coff), or -1 when empty. */
  peekRight(): number {
    if (this.n === 0) return -1;
    const s = this.slot(this.nn - 1);
    const b = this.bufs[s]!;
    const q = this.dir[3 * s + 1]!;
    const w = backW(b, q);
    const len = bval(b, q - w, w);
    this.cbuf = b;
    this.coff = q - w - len;
    return len;
  }

  /** Remove the first element (read it with peekLeft first). */
  dropLeft(): void {
    if (this.n === 0) return;
    const s = this.head;
    if (this.dir[3 * s + 2] === 1) this.removeNode(0);
    else {
      const b = this.bufs[s]!;
      const p = this.dir[3 * s]!;
      const w0 = fwdW(b, p);
      const l0 = bval(b, p, w0);
      const p1 = p + w0 + l0;
      const w1 = fwdW(b, p1);
      const l1 = bval(b, p1, w1) ^ l0;
      // The new B_0 is written over the old B_1: E_0's bytes stay readable until the next change.
      const at = this.splice(s, p, p1 + w1, bw(l1), SLACK_FRONT);
      benc(this.bufs[s]!, at, l1);
      this.dir[3 * s + 2]!--;
    }
    this.n--;
  }

  /** Remove the last element (read it with peekRight first: its bytes may be overwritten). */
  dropRight(): void {
    if (this.n === 0) return;
    const li = this.nn - 1;
    const s = this.slot(li);
    if (this.dir[3 * s + 2] === 1) this.removeNode(li);
    else {
      const b = this.bufs[s]!;
      const q = this.dir[3 * s + 1]!;
      const wn = backW(b, q);
      const ln = bval(b, q - wn, wn);
      const q1 = q - wn - ln;
      const w1 = backW(b, q1);
      const l1 = bval(b, q1 - w1, w1) ^ ln;
      const at = this.splice(s, q1 - w1, q, bw(l1), SLACK_BEHIND);
      benc(this.bufs[s]!, at, l1);
      this.dir[3 * s + 2]!--;
    }
    this.n--;
  }

  /**
   * LMOVE/RPOPLPUSH with source and destination the same list: move the element at one end to
   * the other (same end: nothing changes). Afterwards peek the destination end for the reply.
   */
  rotate(fromLeft: boolean, toLeft: boolean): void {
    if (this.n <= 1 || fromLeft === toLeft) return;
    const len = fromLeft ? this.peekLeft() : this.peekRight();
    let src = this.cbuf;
    let so = this.coff;
    if (this.nn === 1) {
      // The push could move the bytes being pushed: copy them first (at most one node's worth).
      src = new Uint8Array(len);
      copyIn(this.cbuf, this.coff, src, 0, len);
      so = 0;
    }
    if (fromLeft) {
      this.pushRight(src, so, len);
      this.dropLeft();
    } else {
      this.pushLeft(src, so, len);
      this.dropRight();
    }
  }

  // ---- by index ------------------------------------------------------------------------

  /** Length of element `index` (negative counts from the tail; bytes in cbuf/coff), or -1. */
  at(index: number): number {
    if (index < 0) index += this.n;
    if (!(index >= 0 && index < this.n)) return -1;
    this.locate(index);
    const s = this.slot(this.li);
    this.walk(s, this.lk);
    const b = this.bufs[s]!;
    const w = fwdW(b, this.wp);
    this.cbuf = b;
    this.coff = this.wp + w;
    return bval(b, this.wp, w) ^ this.wprev;
  }

  /** LSET: replace element `index` (negative from the tail); false when out of range. */
  set(index: number, buf: Uint8Array, off: number, len: number): boolean {
    checkLen(len);
    if (index < 0) index += this.n;
    if (!(index >= 0 && index < this.n)) return false;
    this.locate(index);
    const li = this.li;
    const s = this.slot(li);
    this.walk(s, this.lk);
    const b = this.bufs[s]!;
    const p = this.wp;
    const prev = this.wprev;
    const w = fwdW(b, p);
    const old = bval(b, p, w) ^ prev;
    const q1 = p + w + old;
    const w1 = fwdW(b, q1);
    const next = bval(b, q1, w1) ^ old;
    const count = this.dir[3 * s + 2]!;
    const used = this.dir[3 * s + 1]! - this.dir[3 * s]!;
    const nw = bw(prev ^ len) + len + bw(len ^ next);
    const newUsed = used - (q1 + w1 - p) + nw;
    if (count === 1 || newUsed <= this.maxBytes) {
      let at = this.splice(s, p, q1 + w1, nw, SLACK_BEHIND);
      const nb = this.bufs[s]!;
      at += benc(nb, at, prev ^ len);
      copyIn(buf, off, nb, at, len);
      benc(nb, at + len, len ^ next);
      if (len < old) this.afterShrink(li);
      return true;
    }
    // Does not fit in its node (Redis: insert after, then delete the original).
    this.deleteRange(index, 1);
    this.insertAt(index, buf, off, len);
    return true;
  }

  /** Insert at position `index` (0..length): the new element gets that index. */
  insertAt(index: number, buf: Uint8Array, off: number, len: number): void {
    checkLen(len);
    if (!(index >= 0 && index <= this.n)) throw new RangeError(`list: bad insert index ${index}`);
    if (index === 0) return this.pushLeft(buf, off, len);
    if (index === this.n) return this.pushRight(buf, off, len);
    this.locate(index);
    const li = this.li;
    const k = this.lk;
    const s = this.slot(li);
    if (this.allowInsert(s, len)) {
      this.walk(s, k);
      const b = this.bufs[s]!;
      const p = this.wp;
      const prev = this.wprev;
      const w = fwdW(b, p);
      const next = bval(b, p, w) ^ prev;
      this.nodeInsert(s, p, w, prev, next, buf, off, len, SLACK_BEHIND);
    } else if (k === 0 && li > 0 && this.allowInsert(this.slot(li - 1), len)) {
      this.nodeAppend(this.slot(li - 1), buf, off, len);
    } else if (k === 0) {
      this.newNode(li, len, SLACK_BEHIND, false);
      this.nodeAppend(this.slot(li), buf, off, len);
    } else {
      // Full node, middle: split at k, then put the element at the end of the left part or
      // the front of the right part, or in a node of its own between them.
      this.split(li, k);
      const left = this.slot(li);
      const right = this.slot(li + 1);
      if (this.allowInsert(left, len)) this.nodeAppend(left, buf, off, len);
      else if (this.allowInsert(right, len)) this.nodePrepend(right, buf, off, len);
      else {
        this.newNode(li + 1, len, SLACK_BEHIND, false);
        this.nodeAppend(this.slot(li + 1), buf, off, len);
      }
      this.n++;
      this.mergeAround(li, li + 2);
      return;
    }
    this.n++;
  }

  /** LINSERT: insert before/after the first element equal to the pivot. New length, or -1. */
  insertByPivot(
    after: boolean,
    pbuf: Uint8Array,
    poff: number,
    plen: number,
    buf: Uint8Array,
    off: number,
    len: number,
  ): number {
    checkLen(len);
    this.seek(0);
    for (let i = 0; i < this.n; i++) {
      const l = this.next();
      if (l === plen && bytesEqual(this.cbuf, this.coff, pbuf, poff, plen)) {
        this.insertAt(after ? i + 1 : i, buf, off, len);
        return this.n;
      }
    }
    return -1;
  }

  // ---- iteration -----------------------------------------------------------------------

  /** Position the cursor so that next() returns element `index` (0 <= index <= length). */
  seek(index: number): void {
    if (index >= this.n) {
      this.cNode = this.nn;
      return;
    }
    this.locate(index);
    const s = this.slot(this.li);
    this.walk(s, this.lk);
    this.cNode = this.li;
    this.cK = this.lk;
    this.cP = this.wp;
    this.cLen = this.wprev;
  }

  /** The element under the cursor (bytes in cbuf/coff), moving toward the tail; -1 at the end. */
  next(): number {
    if (this.cNode >= this.nn) return -1;
    const s = this.slot(this.cNode);
    const b = this.bufs[s]!;
    const p = this.cP;
    const w = fwdW(b, p);
    const len = bval(b, p, w) ^ this.cLen;
    this.cbuf = b;
    this.coff = p + w;
    if (++this.cK === this.dir[3 * s + 2]) {
      this.cNode++;
      this.cK = 0;
      this.cLen = 0;
      if (this.cNode < this.nn) this.cP = this.dir[3 * this.slot(this.cNode)]!;
    } else {
      this.cP = p + w + len;
      this.cLen = len;
    }
    return len;
  }

  /** Position the cursor so that prev() returns element `index` (-1 <= index < length). */
  seekBack(index: number): void {
    if (index < 0 || this.n === 0) {
      this.cNode = -1;
      return;
    }
    this.locate(index);
    const s = this.slot(this.li);
    this.cNode = this.li;
    this.cK = this.lk;
    if (this.lk + 1 === this.dir[3 * s + 2]) {
      this.cP = this.dir[3 * s + 1]!;
      this.cLen = 0;
      return;
    }
    this.walk(s, this.lk + 1);
    const b = this.bufs[s]!;
    const w = fwdW(b, this.wp);
    this.cP = this.wp + w;
    this.cLen = bval(b, this.wp, w) ^ this.wprev;
  }

  /** The element under the cursor, moving toward the head; -1 past the head. */
  prev(): number {
    if (this.cNode < 0) return -1;
    const s = this.slot(this.cNode);
    const b = this.bufs[s]!;
    const q = this.cP;
    const w = backW(b, q);
    const len = bval(b, q - w, w) ^ this.cLen;
    const d = q - w - len;
    this.cbuf = b;
    this.coff = d;
    if (this.cK-- === 0) {
      this.cNode--;
      if (this.cNode >= 0) {
        const s2 = this.slot(this.cNode);
        this.cK = this.dir[3 * s2 + 2]! - 1;
        this.cP = this.dir[3 * s2 + 1]!;
        this.cLen = 0;
      }
    } else {
      this.cP = d;
      this.cLen = len;
    }
    return len;
  }

  /**
   * LRANGE's reply: elements start..stop with Redis's clamping (negative from the tail, empty
   * when start > stop or start >= length), tail to head when `reverse` (RPOP with a count).
   * Returns how many elements `fn` received.
   */
  range(
    start: number,
    stop: number,
    reverse: boolean,
    fn: (buf: Uint8Array, off: number, len: number) => void,
  ): number {
    const n = this.n;
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    if (start > stop || start >= n) return 0;
    if (stop >= n) stop = n - 1;
    const m = stop - start + 1;
    if (reverse) {
      this.seekBack(stop);
      for (let i = 0; i < m; i++) {
        const len = this.prev();
        fn(this.cbuf, this.coff, len);
      }
    } else {
      this.seek(start);
      for (let i = 0; i < m; i++) {
        const len = this.next();
        fn(this.cbuf, this.coff, len);
      }
    }
    return m;
  }

  /**
   * LPOS (Redis t_list.c lposCommand): indexes (from the head) of elements equal to the given
   * bytes, in the order found. rank != 0: start at the rank-th match, from the head when
   * positive, from the tail when negative; at most `count` results (Infinity: all); compare at
   * most `maxlen` elements (0: all). Returns how many indexes `emit` received.
   */
  positions(
    buf: Uint8Array,
    off: number,
    len: number,
    rank: number,
    count: number,
    maxlen: number,
    emit: (index: number) => void,
  ): number {
    if (rank === 0) throw new RangeError("list: rank 0");
    const n = this.n;
    const backward = rank < 0;
    const skip = (backward ? -rank : rank) - 1;
    const limit = maxlen === 0 || maxlen > n ? n : maxlen;
    if (backward) this.seekBack(n - 1);
    else this.seek(0);
    let matches = 0;
    let found = 0;
    for (let i = 0; i < limit && found < count; i++) {
      const l = backward ? this.prev() : this.next();
      if (l === len && bytesEqual(this.cbuf, this.coff, buf, off, len)) {
        if (matches++ >= skip) {
          emit(backward ? n - 1 - i : i);
          found++;
        }
      }
    }
    return found;
  }

  // ---- bulk deletes --------------------------------------------------------------------

  /**
   * LREM: remove up to |count| elements equal to the given bytes, from the head when count > 0,
   * from the tail when count < 0, all of them when 0. Returns how many were removed.
   */
  removeMatching(count: number, buf: Uint8Array, off: number, len: number): number {
    let limit = count === 0 ? Number.POSITIVE_INFINITY : Math.abs(count);
    let removed = 0;
    let lo = -1; // lowest node touched
    if (count >= 0) {
      for (let li = 0; li < this.nn && limit > 0; ) {
        const r = this.compactNode(li, buf, off, len, 0, limit);
        if (r !== 0 && lo < 0) lo = li;
        const got = r < 0 ? -r : r;
        removed += got;
        limit -= got;
        if (r < 0) this.removeNode(li);
        else li++;
      }
    } else {
      for (let li = this.nn - 1; li >= 0 && limit > 0; li--) {
        const m = this.countMatches(li, buf, off, len);
        if (m === 0) continue;
        const take = Math.min(m, limit);
        const r = this.compactNode(li, buf, off, len, m - take, take);
        const got = r < 0 ? -r : r;
        removed += got;
        limit -= got;
        if (r < 0) this.removeNode(li);
        lo = li;
      }
    }
    this.n -= removed;
    if (removed > 0 && this.nn > 0) this.mergeAround(lo - 1, this.nn - 1);
    return removed;
  }

  /**
   * LTRIM with Redis's index clamping: keep elements start..stop (negative from the tail),
   * everything when the range covers the list, nothing when it is empty.
   */
  trim(start: number, stop: number): void {
    const n = this.n;
    if (start < 0) start += n;
    if (stop < 0) stop += n;
    if (start < 0) start = 0;
    let ltrim: number;
    let rtrim: number;
    if (start > stop || start >= n) {
      ltrim = n;
      rtrim = 0;
    } else {
      if (stop >= n) stop = n - 1;
      ltrim = start;
      rtrim = n - stop - 1;
    }
    this.deleteRange(0, ltrim);
    this.deleteRange(this.n - rtrim, rtrim);
  }

  /** Remove `count` elements from index `from` (0 <= from, from + count <= length). */
  deleteRange(from: number, count: number): void {
    if (count <= 0) return;
    if (!(from >= 0 && from + count <= this.n)) throw new RangeError("list: bad delete range");
    if (count === this.n) {
      this.clear();
      return;
    }
    this.locate(from);
    let li = this.li;
    let k = this.lk;
    let left = count;
    const first = li;
    while (left > 0) {
      const s = this.slot(li);
      const c = this.dir[3 * s + 2]!;
      const take = Math.min(c - k, left);
      if (take === c) this.removeNode(li);
      else {
        this.nodeDelete(s, k, k + take);
        li++;
      }
      left -= take;
      k = 0;
    }
    this.n -= count;
    if (this.nn > 0) this.mergeAround(Math.max(0, first - 1), Math.min(this.nn - 1, first + 1));
  }

  /** Remove every element. */
  clear(): void {
    this.dir = new Int32Array(3 * MIN_DIR);
    this.bufs = [EMPTY, EMPTY, EMPTY, EMPTY];
    this.mask = MIN_DIR - 1;
    this.head = 0;
    this.nn = 0;
    this.n = 0;
    this.nodeBytes = 0;
  }

  /** A deep copy sharing nothing mutable (COPY); nodes come out tight. */
  clone(): List {
    const l = new List(this.fill, this.compressDepth, this.maxBytes);
    const cap = this.bufs.length;
    l.dir = new Int32Array(3 * cap);
    l.bufs = new Array<Uint8Array>(cap).fill(EMPTY);
    l.mask = cap - 1;
    for (let i = 0; i < this.nn; i++) {
      const s = this.slot(i);
      const st = this.dir[3 * s]!;
      const en = this.dir[3 * s + 1]!;
      const b = this.bufs[s]!.slice(st, en);
      l.bufs[i] = b;
      l.dir[3 * i] = 0;
      l.dir[3 * i + 1] = en - st;
      l.dir[3 * i + 2] = this.dir[3 * s + 2]!;
      l.nodeBytes += en - st;
    }
    l.nn = this.nn;
    l.n = this.n;
    return l;
  }

  // ---- invariants ----------------------------------------------------------------------

  /** Throws when the structure is inconsistent (tests call it after every step). */
  checkInvariants(): void {
    const fail = (m: string) => {
      throw new Error(`list invariant: ${m}`);
    };
    const cap = this.bufs.length;
    if (cap < MIN_DIR || (cap & (cap - 1)) !== 0 || this.mask !== cap - 1) fail("ring size");
    if (this.dir.length !== 3 * cap) fail("dir size");
    if (this.nn > cap) fail("too many nodes");
    let total = 0;
    let bytes = 0;
    for (let s = 0; s < cap; s++) {
      const live = ((s - this.head) & this.mask) < this.nn;
      if (!live && this.bufs[s] !== EMPTY) fail(`dead slot ${s} holds a buffer`);
    }
    for (let i = 0; i < this.nn; i++) {
      const s = this.slot(i);
      const b = this.bufs[s]!;
      const st = this.dir[3 * s]!;
      const en = this.dir[3 * s + 1]!;
      const c = this.dir[3 * s + 2]!;
      bytes += b.length;
      if (c < 1) fail(`node ${i} empty`);
      if (!(st >= 0 && st <= en && en <= b.length))
        fail(`node ${i} bounds ${st}..${en}/${b.length}`);
      // Forward walk.
      let p = st;
      let prev = 0;
      for (let k = 0; k < c; k++) {
        if (p >= en) fail(`node ${i} runs out at ${k}`);
        const w = fwdW(b, p);
        if (backW(b, p + w) !== w) fail(`node ${i} boundary ${k} ends disagree`);
        const len = bval(b, p, w) ^ prev;
        if (bw(len ^ prev) !== w) fail(`node ${i} boundary ${k} not minimal`);
        p += w + len;
        prev = len;
      }
      const w = p < en ? fwdW(b, p) : 0;
      if (p + w !== en || bval(b, p, w) !== prev) fail(`node ${i} last boundary`);
      // Backward walk agrees.
      let q = en;
      let next = 0;
      for (let k = c - 1; k >= 0; k--) {
        const wq = backW(b, q);
        const len = bval(b, q - wq, wq) ^ next;
        q -= wq + len;
        next = len;
      }
      if (q !== st + fwdW(b, st) || bval(b, st, fwdW(b, st)) !== next) {
        fail(`node ${i} backward walk ends at ${q}`);
      }
      if (c > 1 && en - st > this.maxBytes) fail(`node ${i} over the size limit: ${en - st}`);
      if (this.fill >= 0 && c > Math.max(1, this.fill)) fail(`node ${i} over the count limit`);
      total += c;
    }
    if (total !== this.n) fail(`count ${total} != ${this.n}`);
    if (bytes !== this.nodeBytes) fail(`nodeBytes ${this.nodeBytes} != ${bytes}`);
  }

  /** Node statistics (tests, benchmarks): nodes, used bytes, buffer bytes. */
  stats(): { nodes: number; usedBytes: number; bufferBytes: number } {
    let used = 0;
    for (let i = 0; i < this.nn; i++) {
      const s = this.slot(i);
      used += this.dir[3 * s + 1]! - this.dir[3 * s]!;
    }
    return { nodes: this.nn, usedBytes: used, bufferBytes: this.nodeBytes };
  }

  // ---- nodes ---------------------------------------------------------------------------

  private slot(li: number): number {
    return (this.head + li) & this.mask;
  }

  /** Can node slot s take one more element of `len` bytes? (Redis _quicklistNodeAllowInsert) */
  private allowInsert(s: number, len: number): boolean {
    const c = this.dir[3 * s + 2]!;
    if (c === 0) return true;
    const size = this.dir[3 * s + 1]! - this.dir[3 * s]! + len + 2 * bw(len);
    if (size > this.maxBytes) return false;
    return this.fill < 0 || c < this.fill;
  }

  /** Global index -> (li, lk), scanning node counts from the nearer end. */
  private locate(index: number): void {
    const dir = this.dir;
    if (index < this.n >>> 1) {
      let li = 0;
      for (;;) {
        const c = dir[3 * this.slot(li) + 2]!;
        if (index < c) break;
        index -= c;
        li++;
      }
      this.li = li;
      this.lk = index;
    } else {
      let li = this.nn - 1;
      let rest = this.n - 1 - index; // elements after `index`
      for (;;) {
        const c = dir[3 * this.slot(li) + 2]!;
        if (rest < c) break;
        rest -= c;
        li--;
      }
      this.li = li;
      this.lk = dir[3 * this.slot(li) + 2]! - 1 - rest;
    }
  }

  /** Boundary B_k of node slot s: its offset in wp, len(E_{k-1}) in wprev (0 <= k <= count). */
  private walk(s: number, k: number): void {
    const b = this.bufs[s]!;
    const c = this.dir[3 * s + 2]!;
    if (k <= c >>> 1) {
      let p = this.dir[3 * s]!;
      let prev = 0;
      for (let i = 0; i < k; i++) {
        const w = fwdW(b, p);
        const len = bval(b, p, w) ^ prev;
        p += w + len;
        prev = len;
      }
      this.wp = p;
      this.wprev = prev;
      return;
    }
    // From the end: q is just past B_j, next = len(E_j).
    let q = this.dir[3 * s + 1]!;
    let next = 0;
    for (let j = c; j > k; j--) {
      const w = backW(b, q);
      const len = bval(b, q - w, w) ^ next; // len(E_{j-1})
      q -= w + len;
      next = len;
    }
    const w = backW(b, q);
    this.wp = q - w;
    this.wprev = bval(b, q - w, w) ^ next;
  }

  /** Replace B at p (width w, between lengths prev and next) by enc(prev^L) E enc(L^next). */
  private nodeInsert(
    s: number,
    p: number,
    w: number,
    prev: number,
    next: number,
    buf: Uint8Array,
    off: number,
    len: number,
    hint: number,
  ): void {
    const a = prev ^ len;
    const z = len ^ next;
    let at = this.splice(s, p, p + w, bw(a) + len + bw(z), hint);
    const b = this.bufs[s]!;
    at += benc(b, at, a);
    copyIn(buf, off, b, at, len);
    benc(b, at + len, z);
    this.dir[3 * s + 2]!++;
  }

  private nodeAppend(s: number, buf: Uint8Array, off: number, len: number): void {
    const en = this.dir[3 * s + 1]!;
    if (this.dir[3 * s + 2] === 0) {
      this.nodeInsert(s, en, 0, 0, 0, buf, off, len, SLACK_BEHIND);
      return;
    }
    const b = this.bufs[s]!;
    const w = backW(b, en);
    this.nodeInsert(s, en - w, w, bval(b, en - w, w), 0, buf, off, len, SLACK_BEHIND);
  }

  private nodePrepend(s: number, buf: Uint8Array, off: number, len: number): void {
    const st = this.dir[3 * s]!;
    if (this.dir[3 * s + 2] === 0) {
      this.nodeInsert(s, st, 0, 0, 0, buf, off, len, SLACK_FRONT);
      return;
    }
    const b = this.bufs[s]!;
    const w = fwdW(b, st);
    this.nodeInsert(s, st, w, 0, bval(b, st, w), buf, off, len, SLACK_FRONT);
  }

  /** Delete elements [a, b) of node slot s (not all of them). */
  private nodeDelete(s: number, a: number, b: number): void {
    this.walk(s, a);
    const buf = this.bufs[s]!;
    const p = this.wp;
    const prev = this.wprev;
    let q = p;
    let cur = prev;
    for (let i = a; i < b; i++) {
      const w = fwdW(buf, q);
      const len = bval(buf, q, w) ^ cur;
      q += w + len;
      cur = len;
    }
    const w = fwdW(buf, q);
    const next = bval(buf, q, w) ^ cur;
    const v = prev ^ next;
    const at = this.splice(s, p, q + w, bw(v), a === 0 ? SLACK_FRONT : SLACK_BEHIND);
    benc(this.bufs[s]!, at, v);
    this.dir[3 * s + 2]! -= b - a;
  }

  /**
   * Make node slot s's bytes [p, q) into a gap of n bytes and return the gap's offset (the
   * buffer may be replaced: re-read bufs[s]). Moves whichever side of the gap is shorter and
   * has the slack; else relays the node out in place or in a bigger buffer, with the slack
   * in front (SLACK_FRONT) or behind.
   */
  private splice(s: number, p: number, q: number, n: number, hint: number): number {
    const dir = this.dir;
    let b = this.bufs[s]!;
    const st = dir[3 * s]!;
    const en = dir[3 * s + 1]!;
    const d = n - (q - p);
    if (d <= 0) {
      if (p - st < en - q) {
        if (p > st) b.copyWithin(st - d, st, p);
        dir[3 * s] = st - d;
        return p - d;
      }
      if (en > q) b.copyWithin(p + n, q, en);
      dir[3 * s + 1] = en + d;
      return p;
    }
    const canHead = st >= d;
    const canTail = b.length - en >= d;
    if (canHead && (!canTail || p - st <= en - q)) {
      if (p > st) b.copyWithin(st - d, st, p);
      dir[3 * s] = st - d;
      return p - d;
    }
    if (canTail) {
      if (en > q) b.copyWithin(q + d, q, en);
      dir[3 * s + 1] = en + d;
      return p;
    }
    const need = en - st + d;
    const h = p - st;
    if (need <= b.length) {
      // Enough room, split between the two sides: move both parts in place.
      const ns = hint === SLACK_FRONT ? b.length - need : 0;
      const dh = ns - st;
      if (dh <= 0) {
        b.copyWithin(ns, st, p);
        b.copyWithin(ns + h + n, q, en);
      } else {
        b.copyWithin(ns + h + n, q, en);
        b.copyWithin(ns, st, p);
      }
      dir[3 * s] = ns;
      dir[3 * s + 1] = ns + need;
      return ns + h;
    }
    const cap = this.growCap(need, b.length);
    const nb = new Uint8Array(cap);
    const ns = hint === SLACK_FRONT ? cap - need : 0;
    // The old buffer is dropped, so viewing it costs nothing lasting.
    if (h > 0) nb.set(b.subarray(st, p), ns);
    if (en > q) nb.set(b.subarray(q, en), ns + h + n);
    this.setBuf(s, nb);
    b = nb;
    dir[3 * s] = ns;
    dir[3 * s + 1] = ns + need;
    return ns + h;
  }

  /** Capacity for a node that needs `need` bytes and has `cap`: x1.5, clamped to the limit. */
  private growCap(need: number, cap: number): number {
    if (need >= this.maxBytes) return need;
    let c = cap + (cap >>> 1);
    if (c < MIN_NODE) c = MIN_NODE;
    if (c < need) c = need;
    return Math.min(c, this.maxBytes);
  }

  private setBuf(s: number, b: Uint8Array): void {
    this.nodeBytes += b.length - this.bufs[s]!.length;
    this.bufs[s] = b;
  }

  /**
   * A new empty node at logical position li. `full`: the list is growing at an end and already
   * has a node, so with a byte fill the node starts at its full size (no regrowth copies).
   */
  private newNode(li: number, len: number, hint: number, full: boolean): number {
    const need = len + 2 * bw(len);
    let cap = need;
    if (full && this.fill < 0 && need < this.maxBytes) cap = this.maxBytes;
    else if (cap < MIN_NODE) cap = MIN_NODE;
    const s = this.insertSlot(li);
    this.setBuf(s, new Uint8Array(cap));
    const at = hint === SLACK_FRONT ? cap : 0;
    this.dir[3 * s] = at;
    this.dir[3 * s + 1] = at;
    this.dir[3 * s + 2] = 0;
    return s;
  }

  /** Open a slot at logical position li (0..nn), shifting the shorter side of the ring. */
  private insertSlot(li: number): number {
    if (this.nn === this.bufs.length) this.resizeDir(this.bufs.length * 2);
    const nn = this.nn;
    if (li < nn - li) {
      this.head = (this.head - 1) & this.mask;
      for (let j = 0; j < li; j++) this.moveSlot(this.slot(j + 1), this.slot(j));
    } else {
      for (let j = nn - 1; j >= li; j--) this.moveSlot(this.slot(j), this.slot(j + 1));
    }
    this.nn++;
    const s = this.slot(li);
    this.bufs[s] = EMPTY; // a stale copy of the neighbour moved out of it
    this.dir[3 * s] = 0;
    this.dir[3 * s + 1] = 0;
    this.dir[3 * s + 2] = 0;
    return s;
  }

  /** Drop the node at logical position li (its elements are already accounted for by the caller
   * when it is not empty: `n` is adjusted separately). */
  private removeNode(li: number): void {
    const s = this.slot(li);
    this.nodeBytes -= this.bufs[s]!.length;
    this.bufs[s] = EMPTY;
    const nn = this.nn;
    if (li < nn - 1 - li) {
      for (let j = li; j > 0; j--) this.moveSlot(this.slot(j - 1), this.slot(j));
      this.bufs[this.head] = EMPTY;
      this.head = (this.head + 1) & this.mask;
    } else {
      for (let j = li; j < nn - 1; j++) this.moveSlot(this.slot(j + 1), this.slot(j));
      this.bufs[this.slot(nn - 1)] = EMPTY;
    }
    this.nn--;
    const cap = this.bufs.length;
    if (cap > MIN_DIR && this.nn * 4 < cap) this.resizeDir(cap >>> 1);
  }

  private moveSlot(from: number, to: number): void {
    const d = this.dir;
    d[3 * to] = d[3 * from]!;
    d[3 * to + 1] = d[3 * from + 1]!;
    d[3 * to + 2] = d[3 * from + 2]!;
    this.bufs[to] = this.bufs[from]!;
  }

  private resizeDir(cap: number): void {
    const dir = new Int32Array(3 * cap);
    const bufs = new Array<Uint8Array>(cap).fill(EMPTY);
    for (let i = 0; i < this.nn; i++) {
      const s = this.slot(i);
      dir[3 * i] = this.dir[3 * s]!;
      dir[3 * i + 1] = this.dir[3 * s + 1]!;
      dir[3 * i + 2] = this.dir[3 * s + 2]!;
      bufs[i] = this.bufs[s]!;
    }
    this.dir = dir;
    this.bufs = bufs;
    this.mask = cap - 1;
    this.head = 0;
  }

  /** Split node li before its element k (0 < k < count) into li (elements < k) and li+1. */
  private split(li: number, k: number): void {
    const s = this.slot(li);
    this.walk(s, k);
    const b = this.bufs[s]!;
    const st = this.dir[3 * s]!;
    const en = this.dir[3 * s + 1]!;
    const c = this.dir[3 * s + 2]!;
    const p = this.wp;
    const prev = this.wprev;
    const w = fwdW(b, p);
    const lk = bval(b, p, w) ^ prev;
    // Both halves get fresh buffers so the old one can be viewed (and dropped).
    const leftUsed = p - st + bw(prev);
    const rightUsed = bw(lk) + en - (p + w);
    const lb = new Uint8Array(leftUsed);
    lb.set(b.subarray(st, p), 0);
    benc(lb, p - st, prev);
    const rb = new Uint8Array(rightUsed);
    const rw = benc(rb, 0, lk);
    rb.set(b.subarray(p + w, en), rw);
    this.setBuf(s, lb);
    this.dir[3 * s] = 0;
    this.dir[3 * s + 1] = leftUsed;
    this.dir[3 * s + 2] = k;
    const r = this.insertSlot(li + 1);
    this.setBuf(r, rb);
    this.dir[3 * r] = 0;
    this.dir[3 * r + 1] = rightUsed;
    this.dir[3 * r + 2] = c - k;
  }

  /** Could nodes li and li+1 be one node within the fill limits? */
  private canMerge(li: number): boolean {
    const a = this.slot(li);
    const b = this.slot(li + 1);
    const size = this.dir[3 * a + 1]! - this.dir[3 * a]! + this.dir[3 * b + 1]! - this.dir[3 * b]!;
    if (size > this.maxBytes) return false;
    return this.fill < 0 || this.dir[3 * a + 2]! + this.dir[3 * b + 2]! <= Math.max(1, this.fill);
  }

  /** Merge node li+1 into li (or li into li+1, whichever copies less). */
  private merge(li: number): void {
    const sa = this.slot(li);
    const sb = this.slot(li + 1);
    const ba = this.bufs[sa]!;
    const bb = this.bufs[sb]!;
    const sta = this.dir[3 * sa]!;
    const ena = this.dir[3 * sa + 1]!;
    const stb = this.dir[3 * sb]!;
    const enb = this.dir[3 * sb + 1]!;
    const wa = backW(ba, ena);
    const la = bval(ba, ena - wa, wa); // last length of A
    const wb = fwdW(bb, stb);
    const lb = bval(bb, stb, wb); // first length of B
    const mid = la ^ lb;
    const ca = this.dir[3 * sa + 2]!;
    const cb = this.dir[3 * sb + 2]!;
    if (ena - sta >= enb - stb) {
      const tail = enb - stb - wb;
      const at = this.splice(sa, ena - wa, ena, bw(mid) + tail, SLACK_BEHIND);
      const nb = this.bufs[sa]!;
      const mw = benc(nb, at, mid);
      copyIn(bb, stb + wb, nb, at + mw, tail);
      this.dir[3 * sa + 2] = ca + cb;
      this.removeNode(li + 1);
    } else {
      const headLen = ena - wa - sta;
      const at = this.splice(sb, stb, stb + wb, headLen + bw(mid), SLACK_FRONT);
      const nb = this.bufs[sb]!;
      copyIn(ba, sta, nb, at, headLen);
      benc(nb, at + headLen, mid);
      this.dir[3 * sb + 2] = ca + cb;
      this.removeNode(li);
    }
  }

  /** Merge neighbours that fit together among nodes lo..hi (after deletes in the middle). */
  private mergeAround(lo: number, hi: number): void {
    if (lo < 0) lo = 0;
    for (let li = lo; li < hi && li + 1 < this.nn; ) {
      if (this.canMerge(li)) {
        this.merge(li);
        hi--;
      } else li++;
    }
    for (let li = Math.max(0, lo); li <= hi && li < this.nn; li++) this.maybeShrink(this.slot(li));
  }

  /** A node changed in place got smaller: merge it with a neighbour, give back slack. */
  private afterShrink(li: number): void {
    this.mergeAround(Math.max(0, li - 1), Math.min(this.nn - 1, li + 1));
  }

  /** Reallocate a node using less than half of its buffer (a big element replaced, LREM...). */
  private maybeShrink(s: number): void {
    const b = this.bufs[s]!;
    const st = this.dir[3 * s]!;
    const en = this.dir[3 * s + 1]!;
    const used = en - st;
    if (b.length <= 64 || used * 2 >= b.length) return;
    const nb = new Uint8Array(Math.max(MIN_NODE, used + (used >>> 2)));
    nb.set(b.subarray(st, en), 0);
    this.setBuf(s, nb);
    this.dir[3 * s] = 0;
    this.dir[3 * s + 1] = used;
  }

  /** Elements of node li equal to the given bytes. */
  private countMatches(li: number, buf: Uint8Array, off: number, len: number): number {
    const s = this.slot(li);
    const b = this.bufs[s]!;
    const c = this.dir[3 * s + 2]!;
    let p = this.dir[3 * s]!;
    let prev = 0;
    let m = 0;
    for (let k = 0; k < c; k++) {
      const w = fwdW(b, p);
      const l = bval(b, p, w) ^ prev;
      if (l === len && bytesEqual(b, p + w, buf, off, len)) m++;
      p += w + l;
      prev = l;
    }
    return m;
  }

  /**
   * Remove from node li the matches numbered [skip, skip + limit) (in head-to-tail order),
   * compacting in place. Returns the number removed, negated when that emptied the node (the
   * caller then removes the node).
   */
  private compactNode(
    li: number,
    buf: Uint8Array,
    off: number,
    len: number,
    skip: number,
    limit: number,
  ): number {
    const s = this.slot(li);
    const b = this.bufs[s]!;
    const c = this.dir[3 * s + 2]!;
    const st = this.dir[3 * s]!;
    let r = st; // read position (a boundary)
    let wr = st; // write position
    let prev = 0; // original length of the element before r
    let kept = 0; // length of the last element kept
    let m = 0;
    let removed = 0;
    for (let k = 0; k < c; k++) {
      const w = fwdW(b, r);
      const l = bval(b, r, w) ^ prev;
      const d = r + w;
      let drop = false;
      if (removed < limit && l === len && bytesEqual(b, d, buf, off, len)) {
        drop = m >= skip;
        m++;
      }
      if (drop) removed++;
      else if (removed > 0) {
        // Never overtakes the reader: enc(kept ^ l) is no wider than the boundaries skipped.
        wr += benc(b, wr, kept ^ l);
        b.copyWithin(wr, d, d + l);
        wr += l;
      } else wr = d + l;
      if (!drop) kept = l;
      prev = l;
      r = d + l;
    }
    if (removed === 0) return 0;
    if (removed === c) return -removed;
    wr += benc(b, wr, kept);
    this.dir[3 * s + 1] = wr;
    this.dir[3 * s + 2] = c - removed;
    return removed;
  }
}

function checkLen(len: number): void {
  if (!(len >= 0 && len <= LIST_MAX_ELEMENT))
    throw new RangeError(`list: bad element length ${len}`);
}
