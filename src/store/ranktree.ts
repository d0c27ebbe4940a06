// RankTree: the order-statistic index of a sorted set, a counted B+tree in typed arrays.
//
// Elements are member ids of the owning ZSet (Int32). The order is (score, member bytes) with
// member bytes compared as memcmp (Redis's order); the tree reads both through `KeySource`.
//
// Layout (no JS object per node):
//   leaves    items[leaf * leafCap + i] (sorted ids), leafN[leaf], next[leaf]/prev[leaf] (a list
//             in order, for range scans)
//   internals child[node * nodeCap + i], count[node * nodeCap + i] = elements under child i,
//             key[node * nodeCap + i] = the smallest id under child i (routing), kscore[...] =
//             its score (so routing reads the node, not a random score[] slot), nodeN[node]
// Invariants (checkInvariants): every leaf but a root leaf holds >= leafCap/4 items, every
// internal but the root >= nodeCap/4 children and the root >= 2; all leaves at depth `height`;
// counts and keys exact; the leaf list visits every item in order.
//
// A search descends from the root keeping the path (node, child index) per level, so there are
// no parent pointers to maintain when nodes split or merge. Rank comes free with the descent:
// the sum of counts left of the path. All operations are O(log n); a range is O(log n + m).

import { compareBytes } from "./bytes.ts";

export interface KeySource {
  score: Float64Array;
  mem: Uint8Array;
  mOff: Int32Array;
  mLen: Int32Array;
}

/** What "element x lies before the bound" means for a lower-bound search. */
export const BY_KEY = 0; // (score, member) < (s, k) (or <= when excl)
export const BY_SCORE = 1; // score < s (or <= s when excl)
export const BY_LEX = 2; // member < k (or <= k when excl)

const MAX_HEIGHT = 24;
const EMPTY = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);
// The path of the current descent. Shared by all trees: it lives only within one insert or
// remove (single-threaded), and sparing two typed arrays per tree matters for small sets.
const pNode = new Int32Array(MAX_HEIGHT);
const pIdx = new Int32Array(MAX_HEIGHT);

export class RankTree {
  readonly leafCap: number;
  readonly nodeCap: number;
  private readonly leafMin: number;
  private readonly nodeMin: number;
  private readonly src: KeySource;

  items: Int32Array = EMPTY;
  leafN: Int32Array = EMPTY;
  next: Int32Array = EMPTY;
  prev: Int32Array = EMPTY;
  private leafSlots = 0;
  private leafHw = 0;
  private leafFree: number[] = [];

  child: Int32Array = EMPTY;
  count: Int32Array = EMPTY;
  key: Int32Array = EMPTY;
  kscore: Float64Array = EMPTY_F64;
  nodeN: Int32Array = EMPTY;
  private nodeSlots = 0;
  private nodeHw = 0;
  private nodeFree: number[] = [];

  root = 0;
  /** 0 = the root is a leaf. */
  height = 0;
  size = 0;
  head = 0;
  tail = 0;

  /** Cursor: leaf and position of the element found by the last seek (see seekRank). */
  curLeaf = 0;
  curPos = 0;

  constructor(src: KeySource, leafCap = 64, nodeCap = 64) {
    if (leafCap < 4 || nodeCap < 4) throw new RangeError("ranktree: capacities must be >= 4");
    this.src = src;
    this.leafCap = leafCap;
    this.nodeCap = nodeCap;
    this.leafMin = leafCap >>> 2;
    // An internal node needs a sibling to merge with: never fewer than 2 children.
    this.nodeMin = Math.max(2, nodeCap >>> 2);
    this.root = this.newLeaf();
    this.head = this.tail = this.root;
    this.next[this.root] = -1;
    this.prev[this.root] = -1;
  }

  // --- comparisons -----------------------------------------------------------------------

  /** before() with x's score already at hand. */
  private beforeScored(
    x: number,
    xs: number,
    mode: number,
    s: number,
    kb: Uint8Array,
    ko: number,
    kl: number,
    excl: boolean,
  ): boolean {
    if (mode === BY_SCORE) return excl ? xs <= s : xs < s;
    const src = this.src;
    if (mode === BY_KEY) {
      if (xs !== s) return xs < s;
      const c = compareBytes(src.mem, src.mOff[x]!, src.mLen[x]!, kb, ko, kl);
      return excl ? c <= 0 : c < 0;
    }
    const c = compareBytes(src.mem, src.mOff[x]!, src.mLen[x]!, kb, ko, kl);
    return excl ? c <= 0 : c < 0;
  }

  /** Set routing key slot `at` (node * nodeCap + child) to id k and cache its score. */
  private setKey(at: number, k: number): void {
    this.key[at] = k;
    this.kscore[at] = this.src.score[k]!;
  }

  /** Does id x lie strictly before the bound (mode, s, kb/ko/kl, excl)? */
  private before(
    x: number,
    mode: number,
    s: number,
    kb: Uint8Array,
    ko: number,
    kl: number,
    excl: boolean,
  ): boolean {
    const src = this.src;
    if (mode === BY_SCORE) {
      const xs = src.score[x]!;
      return excl ? xs <= s : xs < s;
    }
    if (mode === BY_KEY) {
      const xs = src.score[x]!;
      if (xs !== s) return xs < s;
      const c = compareBytes(src.mem, src.mOff[x]!, src.mLen[x]!, kb, ko, kl);
      return excl ? c <= 0 : c < 0;
    }
    const c = compareBytes(src.mem, src.mOff[x]!, src.mLen[x]!, kb, ko, kl);
    return excl ? c <= 0 : c < 0;
  }

  /**
   * Number of elements before the bound; leaves the path and cursor at that position (the
   * cursor may sit one past the end of its leaf: use normalize() before reading).
   */
  lowerBound(
    mode: number,
    s: number,
    kb: Uint8Array,
    ko: number,
    kl: number,
    excl: boolean,
  ): number {
    let node = this.root;
    let rank = 0;
    const nc = this.nodeCap;
    // An exact key routes to the child that holds it (its minimum may equal the key).
    const routeExcl = mode === BY_KEY ? true : excl;
    for (let d = 0; d < this.height; d++) {
      const base = node * nc;
      const n = this.nodeN[node]!;
      // Largest i >= 1 whose subtree minimum lies before the bound; else child 0.
      let lo = 1;
      let hi = n; // answer in [lo-1, hi-1]
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const k = base + mid;
        if (this.beforeScored(this.key[k]!, this.kscore[k]!, mode, s, kb, ko, kl, routeExcl)) {
          lo = mid + 1;
        } else hi = mid;
      }
      const idx = lo - 1;
      for (let i = 0; i < idx; i++) rank += this.count[base + i]!;
      pNode[d] = node;
      pIdx[d] = idx;
      node = this.child[base + idx]!;
    }
    const base = node * this.leafCap;
    let lo = 0;
    let hi = this.leafN[node]!;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.before(this.items[base + mid]!, mode, s, kb, ko, kl, excl)) lo = mid + 1;
      else hi = mid;
    }
    this.curLeaf = node;
    this.curPos = lo;
    return rank + lo;
  }

  /** Rank of id x (0-based), which must be in the tree. */
  rankOf(x: number): number {
    const src = this.src;
    const r = this.lowerBound(BY_KEY, src.score[x]!, src.mem, src.mOff[x]!, src.mLen[x]!, false);
    if (
      this.items[this.curLeaf * this.leafCap + this.curPos] !== x ||
      this.curPos >= this.leafN[this.curLeaf]!
    ) {
      throw new Error(`ranktree: id ${x} not found`);
    }
    return r;
  }

  /** Put the cursor on the element of rank r (0 <= r < size). */
  seekRank(r: number): void {
    let node = this.root;
    const nc = this.nodeCap;
    for (let d = 0; d < this.height; d++) {
      const base = node * nc;
      const n = this.nodeN[node]!;
      let i = 0;
      for (; i < n - 1; i++) {
        const c = this.count[base + i]!;
        if (r < c) break;
        r -= c;
      }
      node = this.child[base + i]!;
    }
    this.curLeaf = node;
    this.curPos = r;
  }

  /** Move a one-past-the-end cursor to the start of the next leaf. False at the very end. */
  normalize(): boolean {
    while (this.curPos >= this.leafN[this.curLeaf]!) {
      const nx = this.next[this.curLeaf]!;
      if (nx < 0) return false;
      this.curLeaf = nx;
      this.curPos = 0;
    }
    return true;
  }

  /** The id under the cursor, then advance (caller keeps within bounds). */
  nextId(): number {
    if (this.curPos >= this.leafN[this.curLeaf]!) this.normalize();
    return this.items[this.curLeaf * this.leafCap + this.curPos++]!;
  }

  /** The id under the cursor, then step back (caller keeps within bounds). */
  prevId(): number {
    const x = this.items[this.curLeaf * this.leafCap + this.curPos]!;
    if (this.curPos > 0) this.curPos--;
    else {
      const pv = this.prev[this.curLeaf]!;
      if (pv >= 0) {
        this.curLeaf = pv;
        this.curPos = this.leafN[pv]! - 1;
      }
    }
    return x;
  }

  // --- updates ---------------------------------------------------------------------------

  /** Insert id x (not present) at its place. */
  insert(x: number): void {
    const src = this.src;
    this.lowerBound(BY_KEY, src.score[x]!, src.mem, src.mOff[x]!, src.mLen[x]!, false);
    const leaf = this.curLeaf;
    const pos = this.curPos;
    const nc = this.nodeCap;
    for (let d = 0; d < this.height; d++) this.count[pNode[d]! * nc + pIdx[d]!]!++;
    this.size++;
    const lc = this.leafCap;
    const base = leaf * lc;
    let n = this.leafN[leaf]!;
    if (n < lc) {
      this.items.copyWithin(base + pos + 1, base + pos, base + n);
      this.items[base + pos] = x;
      this.leafN[leaf] = n + 1;
      if (pos === 0) this.setKeyUp(this.height - 1, x);
      return;
    }
    // Split a full leaf: the upper half moves to a new right sibling.
    const right = this.newLeaf();
    const items = this.items; // newLeaf may have replaced the arrays
    const rbase = right * lc;
    const half = (lc + 1) >>> 1;
    items.copyWithin(rbase, base + half, base + n);
    this.leafN[right] = n - half;
    this.leafN[leaf] = half;
    const nx = this.next[leaf]!;
    this.next[right] = nx;
    this.prev[right] = leaf;
    this.next[leaf] = right;
    if (nx >= 0) this.prev[nx] = right;
    else this.tail = right;
    let tl = leaf;
    let tp = pos;
    if (pos > half) {
      tl = right;
      tp = pos - half;
    }
    const tb = tl * lc;
    n = this.leafN[tl]!;
    items.copyWithin(tb + tp + 1, tb + tp, tb + n);
    items[tb + tp] = x;
    this.leafN[tl] = n + 1;
    if (tl === leaf && tp === 0) this.setKeyUp(this.height - 1, x);
    this.addChild(
      this.height - 1,
      leaf,
      right,
      this.leafN[leaf]!,
      this.leafN[right]!,
      items[rbase]!,
    );
  }

  /** Remove id x (present). */
  remove(x: number): void {
    this.rankOf(x); // sets the path and cursor
    const leaf = this.curLeaf;
    const pos = this.curPos;
    const nc = this.nodeCap;
    for (let d = 0; d < this.height; d++) this.count[pNode[d]! * nc + pIdx[d]!]!--;
    this.size--;
    const base = leaf * this.leafCap;
    const n = this.leafN[leaf]! - 1;
    this.items.copyWithin(base + pos, base + pos + 1, base + n + 1);
    this.leafN[leaf] = n;
    if (this.height === 0) return;
    if (pos === 0 && n > 0) this.setKeyUp(this.height - 1, this.items[base]!);
    if (n < this.leafMin) this.rebalance(this.height - 1);
  }

  // --- internals -------------------------------------------------------------------------

  /** The min of the child at path level d changed to k: fix keys up while it is a first child. */
  private setKeyUp(d: number, k: number): void {
    const nc = this.nodeCap;
    for (; d >= 0; d--) {
      const idx = pIdx[d]!;
      this.setKey(pNode[d]! * nc + idx, k);
      if (idx !== 0) return;
    }
  }

  /**
   * Child `left` at path level d (index pIdx[d] in pNode[d]) split into left and right: record
   * the new counts and insert `right` after it, splitting upward as needed. d = -1: left was
   * the root.
   */
  private addChild(
    d: number,
    left: number,
    right: number,
    leftCount: number,
    rightCount: number,
    rightKey: number,
  ): void {
    const nc = this.nodeCap;
    if (d < 0) {
      const r = this.newNode();
      const b = r * nc;
      this.child[b] = left;
      this.child[b + 1] = right;
      this.count[b] = leftCount;
      this.count[b + 1] = rightCount;
      this.setKey(b, this.height === 0 ? this.items[left * this.leafCap]! : this.key[left * nc]!);
      this.setKey(b + 1, rightKey);
      this.nodeN[r] = 2;
      this.root = r;
      this.height++;
      return;
    }
    const node = pNode[d]!;
    const idx = pIdx[d]!;
    const base = node * nc;
    const n = this.nodeN[node]!;
    this.count[base + idx] = leftCount;
    if (n < nc) {
      this.insertSlot(base, idx + 1, n, right, rightCount, rightKey);
      this.nodeN[node] = n + 1;
      return;
    }
    // Split a full internal node.
    const sib = this.newNode();
    const sbase = sib * nc;
    const half = (nc + 1) >>> 1;
    this.child.copyWithin(sbase, base + half, base + n);
    this.count.copyWithin(sbase, base + half, base + n);
    this.key.copyWithin(sbase, base + half, base + n);
    this.kscore.copyWithin(sbase, base + half, base + n);
    this.nodeN[sib] = n - half;
    this.nodeN[node] = half;
    if (idx + 1 <= half) {
      this.insertSlot(base, idx + 1, half, right, rightCount, rightKey);
      this.nodeN[node] = half + 1;
    } else {
      const at = idx + 1 - half;
      this.insertSlot(sbase, at, n - half, right, rightCount, rightKey);
      this.nodeN[sib] = n - half + 1;
    }
    this.addChild(d - 1, node, sib, this.sumCounts(node), this.sumCounts(sib), this.key[sbase]!);
  }

  private insertSlot(base: number, at: number, n: number, c: number, cnt: number, k: number): void {
    this.child.copyWithin(base + at + 1, base + at, base + n);
    this.count.copyWithin(base + at + 1, base + at, base + n);
    this.key.copyWithin(base + at + 1, base + at, base + n);
    this.kscore.copyWithin(base + at + 1, base + at, base + n);
    this.child[base + at] = c;
    this.count[base + at] = cnt;
    this.setKey(base + at, k);
  }

  private removeSlot(base: number, at: number, n: number): void {
    this.child.copyWithin(base + at, base + at + 1, base + n);
    this.count.copyWithin(base + at, base + at + 1, base + n);
    this.key.copyWithin(base + at, base + at + 1, base + n);
    this.kscore.copyWithin(base + at, base + at + 1, base + n);
  }

  private sumCounts(node: number): number {
    const base = node * this.nodeCap;
    let s = 0;
    for (let i = 0, n = this.nodeN[node]!; i < n; i++) s += this.count[base + i]!;
    return s;
  }

  /** Smallest id under a node at depth `depth` (height = leaf). */
  private minOf(node: number, depth: number): number {
    return depth === this.height
      ? this.items[node * this.leafCap]!
      : this.key[node * this.nodeCap]!;
  }

  private sizeOf(node: number, isLeaf: boolean): number {
    return isLeaf ? this.leafN[node]! : this.nodeN[node]!;
  }

  /** The child at path level d (pIdx[d] of pNode[d]) is under its minimum: merge or borrow. */
  private rebalance(d: number): void {
    const nc = this.nodeCap;
    const parent = pNode[d]!;
    const pbase = parent * nc;
    const pn = this.nodeN[parent]!;
    const idx = pIdx[d]!;
    const isLeaf = d === this.height - 1;
    const cap = isLeaf ? this.leafCap : nc;
    const li = idx > 0 ? idx - 1 : idx;
    const ri = li + 1;
    const L = this.child[pbase + li]!;
    const R = this.child[pbase + ri]!;
    const ln = this.sizeOf(L, isLeaf);
    const rn = this.sizeOf(R, isLeaf);
    if (ln + rn <= cap) {
      // Merge R into L and drop R from the parent.
      if (isLeaf) {
        this.items.copyWithin(L * cap + ln, R * cap, R * cap + rn);
        this.leafN[L] = ln + rn;
        const nx = this.next[R]!;
        this.next[L] = nx;
        if (nx >= 0) this.prev[nx] = L;
        else this.tail = L;
        this.freeLeaf(R);
      } else {
        const lb = L * nc;
        const rb = R * nc;
        this.child.copyWithin(lb + ln, rb, rb + rn);
        this.count.copyWithin(lb + ln, rb, rb + rn);
        this.key.copyWithin(lb + ln, rb, rb + rn);
        this.kscore.copyWithin(lb + ln, rb, rb + rn);
        this.nodeN[L] = ln + rn;
        this.freeNode(R);
      }
      this.count[pbase + li] = this.count[pbase + li]! + this.count[pbase + ri]!;
      this.removeSlot(pbase, ri, pn);
      this.nodeN[parent] = pn - 1;
      if (li === 0) this.setKeyUpFrom(d, 0, this.minOf(L, d + 1));
      if (d === 0) {
        if (pn - 1 === 1) {
          // The root has one child left: it becomes the root.
          this.freeNode(parent);
          this.root = L;
          this.height--;
        }
        return;
      }
      if (pn - 1 < this.nodeMin) this.rebalance(d - 1);
      return;
    }
    // Borrow: even out L and R.
    const total = ln + rn;
    const wantL = total >>> 1;
    if (isLeaf) {
      const lb = L * cap;
      const rb = R * cap;
      if (ln < wantL) {
        const k = wantL - ln;
        this.items.copyWithin(lb + ln, rb, rb + k);
        this.items.copyWithin(rb, rb + k, rb + rn);
      } else {
        const k = ln - wantL;
        this.items.copyWithin(rb + k, rb, rb + rn);
        this.items.copyWithin(rb, lb + wantL, lb + ln);
      }
      this.leafN[L] = wantL;
      this.leafN[R] = total - wantL;
      this.count[pbase + li] = wantL;
      this.count[pbase + ri] = total - wantL;
    } else {
      const lb = L * nc;
      const rb = R * nc;
      const arrays = [this.child, this.count, this.key, this.kscore];
      if (ln < wantL) {
        const k = wantL - ln;
        for (const a of arrays) {
          a.copyWithin(lb + ln, rb, rb + k);
          a.copyWithin(rb, rb + k, rb + rn);
        }
      } else {
        const k = ln - wantL;
        for (const a of arrays) {
          a.copyWithin(rb + k, rb, rb + rn);
          a.copyWithin(rb, lb + wantL, lb + ln);
        }
      }
      this.nodeN[L] = wantL;
      this.nodeN[R] = total - wantL;
      this.count[pbase + li] = this.sumCounts(L);
      this.count[pbase + ri] = this.sumCounts(R);
    }
    this.setKey(pbase + ri, this.minOf(R, d + 1));
    if (li === 0) this.setKeyUpFrom(d, 0, this.minOf(L, d + 1));
  }

  /** Set key of child `idx` of pNode[d] to k, then propagate up while it is a first child. */
  private setKeyUpFrom(d: number, idx: number, k: number): void {
    this.setKey(pNode[d]! * this.nodeCap + idx, k);
    if (idx === 0 && d > 0) this.setKeyUp(d - 1, k);
  }

  private newLeaf(): number {
    const f = this.leafFree.pop();
    if (f !== undefined) return f;
    if (this.leafHw === this.leafSlots) {
      const slots = Math.max(1, this.leafSlots * 2);
      this.items = grow(this.items, slots * this.leafCap);
      this.leafN = grow(this.leafN, slots);
      this.next = grow(this.next, slots);
      this.prev = grow(this.prev, slots);
      this.leafSlots = slots;
    }
    const l = this.leafHw++;
    this.leafN[l] = 0;
    return l;
  }

  private freeLeaf(l: number): void {
    this.leafN[l] = 0;
    this.next[l] = -1;
    this.prev[l] = -1;
    this.leafFree.push(l);
  }

  private newNode(): number {
    const f = this.nodeFree.pop();
    if (f !== undefined) return f;
    if (this.nodeHw === this.nodeSlots) {
      const slots = Math.max(1, this.nodeSlots * 2);
      const n = slots * this.nodeCap;
      this.child = grow(this.child, n);
      this.count = grow(this.count, n);
      this.key = grow(this.key, n);
      this.kscore = grow(this.kscore, n);
      this.nodeN = grow(this.nodeN, slots);
      this.nodeSlots = slots;
    }
    const x = this.nodeHw++;
    this.nodeN[x] = 0;
    return x;
  }

  private freeNode(x: number): void {
    this.nodeN[x] = 0;
    this.nodeFree.push(x);
  }

  /** Make this tree a deep copy of `o` (same shape; this tree's KeySource stays its own). */
  copyFrom(o: RankTree): void {
    if (o.leafCap !== this.leafCap || o.nodeCap !== this.nodeCap) {
      throw new Error("ranktree: copyFrom needs equal capacities");
    }
    this.items = o.items.slice();
    this.leafN = o.leafN.slice();
    this.next = o.next.slice();
    this.prev = o.prev.slice();
    this.leafSlots = o.leafSlots;
    this.leafHw = o.leafHw;
    this.leafFree = o.leafFree.slice();
    this.child = o.child.slice();
    this.count = o.count.slice();
    this.key = o.key.slice();
    this.kscore = o.kscore.slice();
    this.nodeN = o.nodeN.slice();
    this.nodeSlots = o.nodeSlots;
    this.nodeHw = o.nodeHw;
    this.nodeFree = o.nodeFree.slice();
    this.root = o.root;
    this.height = o.height;
    this.size = o.size;
    this.head = o.head;
    this.tail = o.tail;
  }

  memoryBytes(): number {
    return (
      this.items.byteLength +
      this.leafN.byteLength * 3 +
      this.child.byteLength * 3 +
      this.kscore.byteLength +
      this.nodeN.byteLength +
      (this.leafFree.length + this.nodeFree.length) * 8
    );
  }

  /** Verify every invariant in the header comment. Throws on the first violation. O(n). */
  checkInvariants(): void {
    const src = this.src;
    const cmp = (a: number, b: number): number => {
      const sa = src.score[a]!;
      const sb = src.score[b]!;
      if (sa !== sb) return sa < sb ? -1 : 1;
      return compareBytes(src.mem, src.mOff[a]!, src.mLen[a]!, src.mem, src.mOff[b]!, src.mLen[b]!);
    };
    const leaves: number[] = [];
    // Returns [count, min]
    const walk = (node: number, depth: number, isRoot: boolean): [number, number] => {
      if (depth === this.height) {
        const n = this.leafN[node]!;
        if (!isRoot && n < this.leafMin) throw new Error(`ranktree: leaf ${node} underfull (${n})`);
        if (n > this.leafCap) throw new Error(`ranktree: leaf ${node} overfull`);
        const b = node * this.leafCap;
        for (let i = 1; i < n; i++) {
          if (cmp(this.items[b + i - 1]!, this.items[b + i]!) >= 0) {
            throw new Error(`ranktree: leaf ${node} out of order at ${i}`);
          }
        }
        leaves.push(node);
        return [n, n > 0 ? this.items[b]! : -1];
      }
      const n = this.nodeN[node]!;
      if (isRoot ? n < 2 : n < this.nodeMin) throw new Error(`ranktree: node ${node} underfull`);
      if (n > this.nodeCap) throw new Error(`ranktree: node ${node} overfull`);
      const b = node * this.nodeCap;
      let total = 0;
      for (let i = 0; i < n; i++) {
        const [c, m] = walk(this.child[b + i]!, depth + 1, false);
        if (c !== this.count[b + i]) throw new Error(`ranktree: count at ${node}/${i}`);
        if (m !== this.key[b + i]) throw new Error(`ranktree: key at ${node}/${i}`);
        // (-0 and 0 route alike: a set may turn its -0 scores into 0 in place)
        if (this.kscore[b + i] !== src.score[m]) {
          throw new Error(`ranktree: key score at ${node}/${i}`);
        }
        total += c;
      }
      return [total, this.key[b]!];
    };
    const [total] = walk(this.root, 0, true);
    if (total !== this.size) throw new Error(`ranktree: size ${this.size} but ${total} items`);
    // The leaf list must visit the leaves in tree order, and items in increasing order.
    let l = this.head;
    if (this.prev[l] !== -1) throw new Error("ranktree: head has a prev");
    let last = -1;
    for (let i = 0; i < leaves.length; i++) {
      if (l !== leaves[i]) throw new Error(`ranktree: leaf list broken at ${i}`);
      const b = l * this.leafCap;
      for (let j = 0; j < this.leafN[l]!; j++) {
        const x = this.items[b + j]!;
        if (last >= 0 && cmp(last, x) >= 0) throw new Error("ranktree: leaf list out of order");
        last = x;
      }
      const nx = this.next[l]!;
      if (i + 1 < leaves.length && this.prev[nx] !== l) throw new Error("ranktree: prev link");
      if (i + 1 === leaves.length) {
        if (nx !== -1 || this.tail !== l) throw new Error("ranktree: tail");
      }
      l = nx;
    }
  }
}

/** A copy of column `a` with room for n values (same array type). */
function grow<T extends Int32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (length: number) => T)(n);
  b.set(a);
  return b;
}
