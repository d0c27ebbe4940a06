// ByteDict: a dict of binary-safe byte strings (optionally each with a byte-string value), the
// `hashtable` encoding of both hashes (withValues) and sets. One implementation for both.
//
// Layout (a compact dict, like the keyspace Table, but smaller per element):
//   - per id: `meta`, interleaved pairs [hash (Int32, the key's seeded keyHash), record offset
//     (Int32, -1 = free id)]: 8 bytes per id of capacity, and a probe that reads an id's hash
//     finds its offset on the same cache line (two columns cost two misses per probed id);
//   - `segs`: the records back to back, [varint klen][varint vlen, if withValues][key][value]: a
//     12-byte member costs 13 bytes, no size class, no per-record capacity. Records live in
//     segments of at most 1 MiB (ByteDict.segmentShift); a record's offset is
//     (segment << shift) | offset-in-segment. A small dict has one segment, grown x1.5 by copy
//     as before; past 1 MiB new records go to new segments, so growing a big dict copies at most
//     1 MiB (one contiguous buffer of 100 MB grown x1.25 stopped the loop for 60-90 ms: HSET of
//     1 KB values into a 100k-field hash). A record over the segment size gets a segment of its
//     own;
//   - `slots`: the open-addressing index (Int32 id + 1, 0 = empty), linear probing, kept <= 3/4
//     full and shrunk under 1/8, backward-shift deletion (no tombstones): 4 bytes per slot.
// A probe compares the id's hash before it touches bytes.
//
// Ids never move while live (freed ids are reused), so a SCAN cursor that is an id returns every
// element present for the whole scan. Deleted and overwritten records leave holes in `mem`; when
// holes pass half of it (and 4 KiB) it is compacted (amortized O(1), waste <= 2x).
//
// Limits: offsets are Int32, so one dict holds at most ByteDict.maxMemBytes (2^31 - 1) bytes of
// records in at most 2^(31 - shift) segments (2048: >= 1 GiB whatever the record sizes, as a
// segment is left only for a record that does not fit in its rest); check wouldOverflow()
// before add/setValue (they throw RangeError past it).

export interface Rng {
  /** Uniform in [0, 1). Keyspace.random() is one. */
  random(): number;
}

import { bytesEqual, COPY_LOOP_MAX, copyNative, hashBytes } from "./bytes.ts";

const MIN_SLOTS = 8;
const MIN_IDS = 8;
const MIN_MEM = 64;
const COMPACT_MIN = 4096;
/** Ids moved into the new index per write while rehashing (raised for sparse id ranges). */
const REHASH_MIN_IDS = 256;
const EMPTY_I32 = new Int32Array(0);
/** Rejection sampling tries before randomId falls back to an exact O(ids) walk. */
const RANDOM_TRIES = 1000;

/** Bytes of the LEB128 varint of n (0 <= n < 2^31). */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Write n as a LEB128 varint at buf[o]; returns the offset after it. */
export function writeVarint(buf: Uint8Array, o: number, n: number): number {
  while (n >= 0x80) {
    buf[o++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[o++] = n;
  return o;
}

/** The varint at buf[o] (its size is varintSize(value): encodings are canonical). */
export function readVarint(buf: Uint8Array, o: number): number {
  let b = buf[o]!;
  if (b < 0x80) return b;
  let n = b & 0x7f;
  let shift = 7;
  for (;;) {
    b = buf[++o]!;
    n += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return n;
    shift += 7;
  }
}

/**
 * Copy bytes between distinct arrays (or within one). Never reads `.buffer` or takes a subarray
 * of a short array: in Bun that materializes an ArrayBuffer object (~200 B) for a small array.
 */
export function copyIn(src: Uint8Array, so: number, dst: Uint8Array, d: number, len: number): void {
  if (src === dst) dst.copyWithin(d, so, so + len);
  else if (len <= COPY_LOOP_MAX) for (let i = 0; i < len; i++) dst[d + i] = src[so + i]!;
  else if (len > 0) copyNative(src, so, dst, d, len); // no view, no allocation (bytes.ts)
}

/** A growable list of element handles (ids, offsets, indexes) filled by scan and random picks. */
export class Handles {
  ids = new Int32Array(16);
  n = 0;
  clear(): void {
    this.n = 0;
  }
  push(h: number): void {
    if (this.n === this.ids.length) {
      const bigger = new Int32Array(this.ids.length * 2);
      bigger.set(this.ids);
      this.ids = bigger;
    }
    this.ids[this.n++] = h;
  }
}

export class ByteDict {
  /** Limit on one dict's record bytes (Int32 offsets); a static so tests can lower it. */
  static maxMemBytes = 0x7fffffff;
  /** log2 of the segment size (1 MiB); a static so tests can make segments tiny. */
  static segmentShift = 20;

  readonly withValues: boolean;
  /**
   * Per id, interleaved: [2 id] the key's seeded hash (as Int32), [2 id + 1] the record's offset
   * (-1 = free id). One cache line per probed id instead of one in each of two columns.
   */
  private meta: Int32Array;
  private slots: Int32Array;
  private mask: number;
  // Incremental rehash (as Table's and ZSet's): the old index answers lookups, a cursor walks
  // ids [0, hw) into newSlots, writes below the cursor update both; cursor < 0 when idle.
  private newSlots: Int32Array = EMPTY_I32;
  private newMask = 0;
  private cursor = -1;
  private stepIds = 0;
  private n = 0;
  private hw = 0;
  private freeIds: Int32Array = new Int32Array(0);
  private freeTop = 0;
  /** Record segments; read a record through memOf(id) and keyOff/keyLen/valOff/valLen. */
  private segs: Uint8Array[] = [];
  /** End of the records in the last segment. */
  private segEnd = 0;
  /** Sum of the segments' lengths (memoryBytes). */
  private segBytes = 0;
  private shift = ByteDict.segmentShift;
  private segMask = 2 ** ByteDict.segmentShift - 1;
  /** Record bytes ever placed since the last compaction (live + dead). */
  private memEnd = 0;
  private memDead = 0;

  /** `expected`: elements about to be added (a conversion), so the index is sized once. */
  constructor(withValues: boolean, expected = 0) {
    this.withValues = withValues;
    let ids = MIN_IDS;
    while (ids < expected) ids *= 2;
    this.meta = newMeta(ids);
    let slots = MIN_SLOTS;
    while (slots * 3 < expected * 4) slots *= 2;
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.n;
  }

  /** Ids in [0, idHighWater) may be live. */
  get idHighWater(): number {
    return this.hw;
  }

  isLive(id: number): boolean {
    return id >= 0 && id < this.hw && this.meta[2 * id + 1]! >= 0;
  }

  /** Id of a key, or -1. */
  find(buf: Uint8Array, off: number, len: number): number {
    return this.findHashed(keyHash(buf, off, len), buf, off, len);
  }

  /** find with the key's keyHash already computed (an upsert hashes its key once). */
  findHashed(h: number, buf: Uint8Array, off: number, len: number): number {
    const slots = this.slots;
    const meta = this.meta;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === 0) return -1;
      const id = s - 1;
      if (meta[2 * id] === h) {
        // The record's head read once (keyLen/keyOff would each re-read offs and the varints).
        const g = meta[2 * id + 1]!;
        const mem = this.segs[g >>> this.shift]!;
        let p = g & this.segMask;
        const kl = readVarint(mem, p);
        if (kl === len) {
          p += varintSize(kl);
          if (this.withValues) p += varintSize(readVarint(mem, p));
          if (bytesEqual(mem, p, buf, off, len)) return id;
        }
      }
    }
  }

  /** Would a record of this key and value length pass maxMemBytes? */
  wouldOverflow(klen: number, vlen: number): boolean {
    const need = recordSize(this.withValues, klen, vlen);
    return this.memEnd - this.memDead + need > ByteDict.maxMemBytes || !this.segmentFor(need);
  }

  /** The segment holding id's record: its bytes are at keyOff/valOff of it. */
  memOf(id: number): Uint8Array {
    return this.segs[this.meta[2 * id + 1]! >>> this.shift]!;
  }

  /**
   * Add a key that is absent (the caller found it missing); returns its id. The source bytes
   * must not be this dict's own memory (a segment may be reallocated first).
   */
  add(
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
  ): number {
    return this.addHashed(keyHash(kbuf, koff, klen), kbuf, koff, klen, vbuf, voff, vlen);
  }

  /** add with the key's keyHash already computed (after a findHashed miss). */
  addHashed(
    h: number,
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
  ): number {
    const at = this.writeRecord(kbuf, koff, klen, vbuf, voff, vlen);
    const id = this.takeId();
    this.meta[2 * id] = h;
    this.meta[2 * id + 1] = at;
    this.n++;
    if (this.cursor < 0 && this.n * 4 > this.slots.length * 3)
      this.startRehash(this.slots.length * 2);
    slotInsert(this.slots, this.mask, h, id);
    if (this.cursor >= 0) {
      if (id < this.cursor) slotInsert(this.newSlots, this.newMask, h, id);
      // Safety net: neither index may pass 7/8 full, whatever the step bound says.
      if (this.n * 8 > Math.min(this.slots.length, this.newSlots.length) * 7) this.finishRehash();
      else this.rehashStep(this.stepIds);
    }
    return id;
  }

  /** Replace a live id's value (hashes): in place when it fits, else a new record at the end. */
  setValue(id: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    const g = this.meta[2 * id + 1]!;
    const mem = this.segs[g >>> this.shift]!;
    const o = g & this.segMask;
    const kl = readVarint(mem, o);
    const vo = o + varintSize(kl);
    const old = readVarint(mem, vo);
    if (vlen <= old && varintSize(vlen) === varintSize(old)) {
      writeVarint(mem, vo, vlen);
      copyIn(vbuf, voff, mem, vo + varintSize(old) + kl, vlen);
      this.memDead += old - vlen;
      return;
    }
    // A new record at the end (growing mem never moves records), the old one becomes a hole.
    const need = recordSize(true, kl, vlen);
    if (this.memEnd - this.memDead + need > ByteDict.maxMemBytes) {
      throw new RangeError("dict: size limit");
    }
    const keyFrom = vo + varintSize(old);
    const at = this.reserve(need, false);
    const from = this.segs[g >>> this.shift]!; // reserve may have regrown that segment
    const m = this.segs[at >>> this.shift]!;
    let p = writeVarint(m, at & this.segMask, kl);
    p = writeVarint(m, p, vlen);
    copyIn(from, keyFrom, m, p, kl);
    copyIn(vbuf, voff, m, p + kl, vlen);
    this.meta[2 * id + 1] = at;
    this.memDead += recordSize(true, kl, old);
    if (this.memDead > COMPACT_MIN && this.memDead * 2 > this.memEnd) this.compact(0);
  }

  delete(id: number): void {
    const h = this.meta[2 * id]!;
    slotDelete(this.slots, this.meta, this.mask, h, id);
    if (this.cursor >= 0 && id < this.cursor) {
      slotDelete(this.newSlots, this.meta, this.newMask, h, id);
    }
    const mem = this.memOf(id);
    const o = this.meta[2 * id + 1]! & this.segMask;
    const kl = readVarint(mem, o);
    const vl = this.withValues ? readVarint(mem, o + varintSize(kl)) : 0;
    this.memDead += recordSize(this.withValues, kl, vl);
    this.meta[2 * id + 1] = -1;
    if (this.freeTop === this.freeIds.length) {
      const bigger = new Int32Array(Math.max(16, this.freeIds.length * 2));
      bigger.set(this.freeIds);
      this.freeIds = bigger;
    }
    this.freeIds[this.freeTop++] = id;
    this.n--;
    if (this.cursor >= 0) this.rehashStep(this.stepIds);
    else this.maybeShrink();
    if (this.n === 0) this.resetMem();
    else if (this.memDead > COMPACT_MIN && this.memDead * 2 > this.memEnd) this.compact(0);
  }

  keyLen(id: number): number {
    return readVarint(this.memOf(id), this.meta[2 * id + 1]! & this.segMask);
  }

  /** Offset of id's key in memOf(id). */
  keyOff(id: number): number {
    const mem = this.memOf(id);
    const o = this.meta[2 * id + 1]! & this.segMask;
    const kl = readVarint(mem, o);
    if (!this.withValues) return o + varintSize(kl);
    const p = o + varintSize(kl);
    return p + varintSize(readVarint(mem, p));
  }

  valLen(id: number): number {
    const mem = this.memOf(id);
    const o = this.meta[2 * id + 1]! & this.segMask;
    return readVarint(mem, o + varintSize(readVarint(mem, o)));
  }

  /** Offset of id's value in memOf(id). */
  valOff(id: number): number {
    const mem = this.memOf(id);
    const o = this.meta[2 * id + 1]! & this.segMask;
    const kl = readVarint(mem, o);
    const p = o + varintSize(kl);
    return p + varintSize(readVarint(mem, p)) + kl;
  }

  /** Next live id >= from, or -1. */
  nextLive(from: number): number {
    const meta = this.meta;
    for (let id = Math.max(0, from); id < this.hw; id++) if (meta[2 * id + 1]! >= 0) return id;
    return -1;
  }

  /**
   * A uniformly random live id, or -1 when empty. Samples index slots (each live id owns exactly
   * one; the index stays >= 1/16 full), with an exact fallback walk that keeps it uniform.
   */
  randomId(rng: Rng): number {
    if (this.n === 0) return -1;
    const slots = this.slots;
    for (let t = 0; t < RANDOM_TRIES; t++) {
      const s = slots[Math.floor(rng.random() * slots.length)]!;
      if (s !== 0) return s - 1;
    }
    let k = Math.floor(rng.random() * this.n);
    for (let id = 0; ; id++) if (this.meta[2 * id + 1]! >= 0 && k-- === 0) return id;
  }

  /** A deep copy sharing nothing mutable (COPY); compacted. */
  clone(): ByteDict {
    this.finishRehash();
    const d = new ByteDict(this.withValues, 0);
    d.meta = this.meta.slice();
    d.slots = this.slots.slice();
    d.mask = this.mask;
    d.n = this.n;
    d.hw = this.hw;
    d.freeIds = this.freeIds.slice(0, Math.max(this.freeTop, 0));
    d.freeTop = this.freeTop;
    d.shift = this.shift;
    d.segMask = this.segMask;
    d.segs = this.segs.map((m) => m.slice());
    d.segEnd = this.segEnd;
    d.segBytes = this.segBytes;
    d.memEnd = this.memEnd;
    d.memDead = this.memDead;
    if (d.memDead > 0) d.compact(0);
    return d;
  }

  /**
   * Bytes held: the typed arrays' data plus ~56 B of object per typed array and ~120 for the
   * dict object itself. O(1).
   */
  memoryBytes(): number {
    return (
      120 +
      (3 + Math.max(1, this.segs.length)) * 56 +
      this.meta.byteLength +
      this.slots.byteLength +
      this.newSlots.byteLength +
      this.freeIds.byteLength +
      this.segBytes
    );
  }

  /** Verify the invariants (tests). O(n). */
  checkInvariants(): void {
    let live = 0;
    let bytes = 0;
    for (let id = 0; id < this.hw; id++) {
      const o = this.meta[2 * id + 1]!;
      if (o < 0) continue;
      live++;
      const kl = this.keyLen(id);
      const vl = this.withValues ? this.valLen(id) : 0;
      bytes += recordSize(this.withValues, kl, vl);
      const seg = o >>> this.shift;
      const segLimit = seg === this.segs.length - 1 ? this.segEnd : (this.segs[seg]?.length ?? -1);
      if ((o & this.segMask) + recordSize(this.withValues, kl, vl) > segLimit)
        throw new Error(`dict: id ${id} past its segment's end`);
      if (this.meta[2 * id] !== keyHash(this.memOf(id), this.keyOff(id), kl))
        throw new Error(`dict: stale hash ${id}`);
      if (this.find(this.memOf(id), this.keyOff(id), kl) !== id)
        throw new Error(`dict: id ${id} not findable`);
    }
    if (live !== this.n) throw new Error(`dict: count ${this.n}, live ${live}`);
    if (live + this.freeTop !== this.hw) throw new Error("dict: free id count");
    let sum = 0;
    for (const m of this.segs) sum += m.length;
    if (sum !== this.segBytes) throw new Error(`dict: segment bytes ${this.segBytes}, ${sum}`);
    if (bytes + this.memDead !== this.memEnd)
      throw new Error(`dict: mem accounting ${bytes}+${this.memDead} != ${this.memEnd}`);
    const inIndex = this.checkIndex(this.slots, this.mask, this.hw, "");
    if (inIndex !== live) throw new Error(`dict: index ${inIndex}, live ${live}`);
    // While rehashing the old index may run up to 7/8 full (see startRehash).
    if (live * 8 > this.slots.length * 7 || (this.cursor < 0 && live * 4 > this.slots.length * 3))
      throw new Error("dict: index too full");
    if (this.cursor >= 0) {
      // The new index holds exactly the live ids below the cursor, each reachable from home.
      const inNew = this.checkIndex(this.newSlots, this.newMask, this.cursor, " (new)");
      let below = 0;
      for (let id = 0; id < Math.min(this.cursor, this.hw); id++)
        if (this.meta[2 * id + 1]! >= 0) below++;
      if (inNew !== below) throw new Error(`dict: new index ${inNew}, live below cursor ${below}`);
    }
  }

  /**
   * One index's slots each name a live id below `idLimit`, reachable from its home slot
   * without crossing an empty one. Returns how many slots are occupied.
   */
  private checkIndex(slots: Int32Array, mask: number, idLimit: number, which: string): number {
    let occupied = 0;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (s === 0) continue;
      occupied++;
      const id = s - 1;
      if (id >= idLimit || this.meta[2 * id + 1]! < 0)
        throw new Error(`dict: slot ${i} -> free id ${id}${which}`);
      for (let k = this.meta[2 * id]! & mask; k !== i; k = (k + 1) & mask) {
        if (slots[k] === 0) throw new Error(`dict: hole before id ${id}${which}`);
      }
    }
    return occupied;
  }

  // --- internals -------------------------------------------------------------------------

  private writeRecord(
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
  ): number {
    const need = recordSize(this.withValues, klen, vlen);
    if (this.memEnd - this.memDead + need > ByteDict.maxMemBytes)
      throw new RangeError("dict: size limit");
    const at = this.reserve(need, true);
    const mem = this.segs[at >>> this.shift]!;
    let p = writeVarint(mem, at & this.segMask, klen);
    if (this.withValues) p = writeVarint(mem, p, vlen);
    copyIn(kbuf, koff, mem, p, klen);
    if (this.withValues) copyIn(vbuf, voff, mem, p + klen, vlen);
    return at;
  }

  /**
   * Could a record of `need` bytes be placed without passing the segment limit? (Room in the
   * last segment, or a segment index left.)
   */
  private segmentFor(need: number): boolean {
    if (this.segs.length < 2 ** (31 - this.shift)) return true;
    const last = this.segs.length - 1;
    return this.segEnd + need <= Math.max(this.segs[last]!.length, this.segMask + 1);
  }

  /**
   * `need` free bytes after the last record (growing the last segment while it is under the
   * segment size, else a new segment; or compacting, when allowed); returns the record's offset.
   */
  private reserve(need: number, mayCompact: boolean): number {
    const segs = this.segs;
    let last = segs.length - 1;
    if (last < 0 || this.segEnd + need > segs[last]!.length) {
      if (mayCompact && this.memDead > COMPACT_MIN && this.memDead * 2 > this.memEnd) {
        this.compact(need);
        return this.reserve(need, false);
      }
      const segSize = this.segMask + 1;
      if (last >= 0 && this.segEnd + need <= segSize) {
        // The last segment grows by copy (x1.5), never past the segment size.
        const cur = segs[last]!;
        const want = Math.max(this.segEnd + need, MIN_MEM, Math.floor(cur.length * 1.5));
        const mem = new Uint8Array(Math.min(want, segSize));
        copyIn(cur, 0, mem, 0, this.segEnd);
        segs[last] = mem;
        this.segBytes += mem.length - cur.length;
      } else {
        if (segs.length >= 2 ** (31 - this.shift)) throw new RangeError("dict: size limit");
        // The first segment starts small; later ones at the segment size (a bigger record gets
        // one of its own size).
        const size = last < 0 ? Math.max(need, MIN_MEM) : Math.max(need, segSize);
        segs.push(new Uint8Array(size));
        this.segBytes += size;
        this.segEnd = 0;
        last++;
      }
    }
    const at = last * (this.segMask + 1) + this.segEnd;
    this.segEnd += need;
    this.memEnd += need;
    return at;
  }

  /** Rewrite live records back to back (id order) into right-sized segments. */
  private compact(extra: number): void {
    const live = this.memEnd - this.memDead;
    const old = this.segs;
    const oldShift = this.shift;
    const oldMask = this.segMask;
    const first = Math.min(this.segMask + 1, Math.max(MIN_MEM, Math.floor((live + extra) * 1.25)));
    this.segs = [new Uint8Array(first)];
    this.segBytes = first;
    this.segEnd = 0;
    this.memEnd = 0;
    this.memDead = 0;
    for (let id = 0; id < this.hw; id++) {
      const g = this.meta[2 * id + 1]!;
      if (g < 0) continue;
      const src = old[g >>> oldShift]!;
      const o = g & oldMask;
      const kl = readVarint(src, o);
      const vl = this.withValues ? readVarint(src, o + varintSize(kl)) : 0;
      const size = recordSize(this.withValues, kl, vl);
      const at = this.reserve(size, false);
      copyIn(src, o, this.segs[at >>> this.shift]!, at & this.segMask, size);
      this.meta[2 * id + 1] = at;
    }
  }

  private resetMem(): void {
    this.segs = [];
    this.segEnd = 0;
    this.segBytes = 0;
    this.memEnd = 0;
    this.memDead = 0;
  }

  private takeId(): number {
    if (this.freeTop > 0) return this.freeIds[--this.freeTop]!;
    if (this.hw * 2 === this.meta.length) {
      const meta = newMeta(this.hw * 2);
      meta.set(this.meta);
      this.meta = meta;
    }
    return this.hw++;
  }

  /** True while the index is being rebuilt incrementally (tests). */
  get rehashing(): boolean {
    return this.cursor >= 0;
  }

  /**
   * Start an incremental rehash into `size` slots: rebuilding a million-element index in one
   * write stopped the loop for ~20-40 ms (HSET into a big hash).
   */
  private startRehash(size: number): void {
    this.newSlots = new Int32Array(size);
    this.newMask = size - 1;
    this.cursor = 0;
    // Finish within min(old, new)/8 writes so neither index passes 7/8 full.
    const budget = Math.max(1, Math.min(size, this.slots.length) >>> 3);
    this.stepIds = Math.max(REHASH_MIN_IDS, Math.ceil((2 * this.hw) / budget));
  }

  /** Move up to maxIds more ids into the new index; swap when done. */
  rehashStep(maxIds: number): void {
    if (this.cursor < 0) return;
    const meta = this.meta;
    const ns = this.newSlots;
    const nm = this.newMask;
    let c = this.cursor;
    const end = Math.min(this.hw, c + maxIds);
    for (; c < end; c++) if (meta[2 * c + 1]! >= 0) slotInsert(ns, nm, meta[2 * c]!, c);
    this.cursor = c;
    if (c < this.hw) return;
    this.slots = ns;
    this.mask = nm;
    this.newSlots = EMPTY_I32;
    this.newMask = 0;
    this.cursor = -1;
    if (this.n * 4 > this.slots.length * 3) this.startRehash(this.slots.length * 2);
    else this.maybeShrink();
  }

  private finishRehash(): void {
    this.rehashStep(Number.POSITIVE_INFINITY);
  }

  private maybeShrink(): void {
    const slots = this.slots.length;
    if (slots > MIN_SLOTS && this.n * 8 < slots) {
      let target = MIN_SLOTS;
      while (target * 3 < this.n * 8) target *= 2; // back to <= 3/8 full
      this.startRehash(target);
    }
  }
}

/** A key's hash as the dict stores and probes it (seeded murmur3, as Int32). */
export function keyHash(buf: Uint8Array, off: number, len: number): number {
  return hashBytes(buf, off, len) | 0;
}

/** Per-id pairs for `ids` ids, all free (offset -1). */
function newMeta(ids: number): Int32Array {
  const meta = new Int32Array(2 * ids);
  for (let i = 1; i < meta.length; i += 2) meta[i] = -1;
  return meta;
}

function recordSize(withValues: boolean, klen: number, vlen: number): number {
  return withValues ? varintSize(klen) + varintSize(vlen) + klen + vlen : varintSize(klen) + klen;
}

function slotInsert(slots: Int32Array, mask: number, h: number, id: number): void {
  let i = h & mask;
  while (slots[i] !== 0) i = (i + 1) & mask;
  slots[i] = id + 1;
}

/** Unlink id (hash h) and close the gap by shifting later cluster members back. */
function slotDelete(
  slots: Int32Array,
  meta: Int32Array,
  mask: number,
  h: number,
  id: number,
): void {
  let i = h & mask;
  while (slots[i] !== id + 1) i = (i + 1) & mask;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const s = slots[j]!;
    if (s === 0) break;
    // The slot's home comes from its id's hash (kept per id, not per slot: 4 B/slot).
    const k = meta[2 * (s - 1)]! & mask;
    const stays = i <= j ? i < k && k <= j : i < k || k <= j;
    if (!stays) {
      slots[i] = s;
      i = j;
    }
  }
  slots[i] = 0;
}
