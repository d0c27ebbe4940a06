// ZSet: one sorted set. Two indexes over the same member ids:
//   - member -> id: open addressing (linear probing, backward-shift deletion, no tombstones),
//     the same scheme as the keyspace Table, each slot's hash kept beside it (probes read
//     one sequential array, not a random per-id column);
//   - order: a RankTree (counted B+tree, ranktree.ts) over (score, member bytes).
// Per id: score (Float64Array), member offset/length (Int32Array) in the set's own byte arena.
//
// Why a private byte arena and not the shared store Arena: members are packed back to back
// (a 17-byte member costs 17 bytes, not a 32-byte size class), a member is addressed by an
// Int32 offset instead of a Float64 address plus a capacity, and DEL of a huge set frees one
// buffer instead of a million blocks. Deleted members leave holes; the arena is compacted
// when holes pass half of it, so waste is bounded by 2x and the cost is amortized O(1).
//
// Ids are stable while a member lives (ZSCAN's cursor walks ids, like SCAN walks entry ids).

import { bytesEqual, copyBytes, hashBytes } from "./bytes.ts";
import { BY_KEY, BY_LEX, BY_SCORE, type KeySource, RankTree } from "./ranktree.ts";

export { BY_KEY, BY_LEX, BY_SCORE };

const MIN_IDS = 4;
const MIN_SLOTS = 8;
const MIN_MEM = 64;
/** Compaction does not bother below this many dead bytes. */
const COMPACT_MIN = 4096;

export class ZSet implements KeySource {
  /**
   * Limit on one set's member bytes (Int32 offsets). A static so tests can lower it; ZADD
   * answers an error past it instead of corrupting offsets.
   */
  static maxMemBytes = 0x7fffffff;
  /** Limit on members in one set (Int32 ids, Int32 tree counts). */
  static maxMembers = 0x3fffffff;

  score = new Float64Array(MIN_IDS);
  mOff = new Int32Array(MIN_IDS);
  /** -1 marks a free id. */
  mLen = new Int32Array(MIN_IDS).fill(-1);
  mem = new Uint8Array(MIN_MEM);
  private memEnd = 0;
  private memDead = 0;

  /** Slot i: tab[2i] = id + 1 (0 = empty), tab[2i+1] = the member's hash: one cache line. */
  private tab = new Uint32Array(2 * MIN_SLOTS);
  private nslots = MIN_SLOTS;
  private mask = MIN_SLOTS - 1;

  private idCap = MIN_IDS;
  private idHw = 0;
  private freeIds: number[] = [];

  readonly tree: RankTree;
  /**
   * Whether Redis would hold this set as a listpack (<= 128 members of <= 64 bytes; once
   * converted to a skiplist it never goes back, except for results of ZUNIONSTORE & co.).
   * imds has one representation, but Redis's listpack shows through in replies: it stores
   * -0 as 0, and ZSCAN returns a listpack set whole, in order, with integral scores as
   * integers. Kept only to answer exactly as Redis does.
   */
  listpack = true;
  static listpackEntries = 128;
  static listpackValue = 64;
  /**
   * While true (a set being built by ZUNION & co.), insert() only indexes members by name and
   * scores may be written directly; finishOrder() then builds the order index once.
   */
  private unordered = false;

  constructor(leafCap = 64, nodeCap = 64) {
    this.tree = new RankTree(this, leafCap, nodeCap);
  }

  get size(): number {
    return this.tree.size;
  }

  /** Ids in [0, idHighWater) may be live (ZSCAN). */
  get idHighWater(): number {
    return this.idHw;
  }

  isLive(id: number): boolean {
    return id < this.idHw && this.mLen[id]! >= 0;
  }

  /** Id of a member, or -1. */
  find(buf: Uint8Array, off: number, len: number): number {
    const h = hashBytes(buf, off, len);
    const tab = this.tab;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const t = tab[2 * i]!;
      if (t === 0) return -1;
      if (tab[2 * i + 1] === h) {
        const id = t - 1;
        if (this.mLen[id] === len && bytesEqual(this.mem, this.mOff[id]!, buf, off, len)) return id;
      }
    }
  }

  /** Would adding a member of `len` bytes pass a limit? (Check before insert.) */
  wouldOverflow(len: number): boolean {
    return this.size >= ZSet.maxMembers || this.memEnd - this.memDead + len > ZSet.maxMemBytes;
  }

  /** Add a member that is not present; returns its id. */
  insert(buf: Uint8Array, off: number, len: number, score: number): number {
    if (this.wouldOverflow(len)) throw new RangeError("zset: size limit");
    if (
      this.listpack &&
      (len > ZSet.listpackValue || this.size + this.pending + 1 > ZSet.listpackEntries)
    ) {
      this.listpack = false;
    }
    if (this.listpack && score === 0) score = 0; // a listpack stores -0 as the integer 0
    const id = this.takeId();
    const at = this.reserveMem(len);
    copyBytes(buf, off, this.mem, at, len);
    const h = hashBytes(this.mem, at, len);
    this.mOff[id] = at;
    this.mLen[id] = len;
    this.score[id] = score;
    if ((this.tree.size + this.pending + 1) * 4 > this.nslots * 3) {
      this.rehash(this.nslots * 2);
    }
    slotInsert(this.tab, this.mask, h, id);
    if (this.unordered) this.pending++;
    else this.tree.insert(id);
    return id;
  }

  private pending = 0;

  /** Start building a set without order (see `unordered`). Only on an empty set. */
  beginUnordered(): void {
    if (this.size !== 0 || this.pending !== 0)
      throw new Error("zset: beginUnordered on a non-empty set");
    this.unordered = true;
  }

  /** Members added while unordered (size stays 0 until finishOrder). */
  get pendingCount(): number {
    return this.pending;
  }

  /** Insert every member into the order index. */
  finishOrder(): void {
    if (!this.unordered) return;
    this.unordered = false;
    this.pending = 0;
    for (let id = 0; id < this.idHw; id++) if (this.mLen[id]! >= 0) this.tree.insert(id);
  }

  /** Change a member's score (moves it in the order). */
  setScore(id: number, score: number): void {
    if (this.listpack && score === 0) score = 0;
    if (Object.is(this.score[id], score)) return;
    this.tree.remove(id);
    this.score[id] = score;
    this.tree.insert(id);
  }

  delete(id: number): void {
    this.tree.remove(id);
    const h = hashBytes(this.mem, this.mOff[id]!, this.mLen[id]!);
    slotDelete(this.tab, this.mask, h, id);
    this.memDead += this.mLen[id]!;
    this.mLen[id] = -1;
    this.freeIds.push(id);
    const n = this.tree.size;
    if (this.nslots > MIN_SLOTS && n * 8 < this.nslots) {
      let target = MIN_SLOTS;
      while (target * 3 < n * 4 * 2) target *= 2;
      this.rehash(target);
    }
    if (this.memDead > COMPACT_MIN && this.memDead * 2 > this.memEnd) this.compact(0);
  }

  /** A deep copy sharing nothing mutable (COPY). */
  clone(): ZSet {
    this.finishOrder();
    const z = new ZSet(this.tree.leafCap, this.tree.nodeCap);
    z.score = this.score.slice();
    z.mOff = this.mOff.slice();
    z.mLen = this.mLen.slice();
    z.mem = this.mem.slice();
    z.memEnd = this.memEnd;
    z.memDead = this.memDead;
    z.tab = this.tab.slice();
    z.nslots = this.nslots;
    z.mask = this.mask;
    z.idCap = this.idCap;
    z.idHw = this.idHw;
    z.freeIds = this.freeIds.slice();
    z.listpack = this.listpack;
    z.tree.copyFrom(this.tree);
    return z;
  }

  /** OBJECT ENCODING: what Redis would answer for this set. */
  get encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  /** Redis's zsetConvertToListpackIfNeeded, for stored results of set operations. */
  convertIfSmall(): void {
    if (this.listpack || this.size > ZSet.listpackEntries) return;
    for (let id = 0; id < this.idHw; id++) if (this.mLen[id]! > ZSet.listpackValue) return;
    this.listpack = true;
    for (let id = 0; id < this.idHw; id++)
      if (this.mLen[id]! >= 0 && this.score[id] === 0) this.score[id] = 0;
  }

  rank(id: number): number {
    return this.tree.rankOf(id);
  }

  /** Elements before a score bound: score < s, or score <= s when excl (range starts). */
  scoreRank(s: number, excl: boolean): number {
    return this.tree.lowerBound(BY_SCORE, s, this.mem, 0, 0, excl);
  }

  /** Elements before a lex bound: member < k, or member <= k when excl. */
  lexRank(buf: Uint8Array, off: number, len: number, excl: boolean): number {
    return this.tree.lowerBound(BY_LEX, 0, buf, off, len, excl);
  }

  /** Put the cursor on rank r; then nextId()/prevId() walk the order. */
  seek(r: number): void {
    this.tree.seekRank(r);
  }

  nextId(): number {
    return this.tree.nextId();
  }

  prevId(): number {
    return this.tree.prevId();
  }

  /** Id of the element of rank r. */
  idAt(r: number): number {
    this.tree.seekRank(r);
    return this.tree.nextId();
  }

  /** A copy of a member's bytes (allocates; for tests and set operations). */
  memberBytes(id: number): Uint8Array {
    const o = this.mOff[id]!;
    return this.mem.slice(o, o + this.mLen[id]!);
  }

  /** Bytes held: columns, hash index, member arena, tree, plus a fixed object overhead. */
  memoryBytes(): number {
    return (
      256 +
      this.score.byteLength +
      this.mOff.byteLength +
      this.mLen.byteLength +
      this.mem.byteLength +
      this.tab.byteLength +
      this.freeIds.length * 8 +
      this.tree.memoryBytes()
    );
  }

  checkInvariants(): void {
    let live = 0;
    let liveBytes = 0;
    for (let id = 0; id < this.idHw; id++) {
      const len = this.mLen[id]!;
      if (len < 0) continue;
      live++;
      liveBytes += len;
      const o = this.mOff[id]!;
      if (o < 0 || o + len > this.memEnd) throw new Error(`zset: member ${id} out of arena`);
      if (this.find(this.mem, o, len) !== id) throw new Error(`zset: member ${id} not findable`);
      if (Number.isNaN(this.score[id])) throw new Error(`zset: NaN score at ${id}`);
    }
    if (live !== this.tree.size) throw new Error(`zset: ${live} live ids, tree ${this.tree.size}`);
    if (live + this.freeIds.length !== this.idHw) throw new Error("zset: free id count");
    if (liveBytes + this.memDead !== this.memEnd) throw new Error("zset: arena accounting");
    let inIndex = 0;
    const mask = this.mask;
    for (let i = 0; i < this.nslots; i++) {
      const t = this.tab[2 * i]!;
      if (t === 0) continue;
      inIndex++;
      const id = t - 1;
      if (this.mLen[id]! < 0) throw new Error(`zset: slot ${i} -> free id ${id}`);
      if (this.tab[2 * i + 1] !== hashBytes(this.mem, this.mOff[id]!, this.mLen[id]!)) {
        throw new Error(`zset: stale hash at slot ${i}`);
      }
      for (let k = this.tab[2 * i + 1]! & mask; k !== i; k = (k + 1) & mask) {
        if (this.tab[2 * k] === 0) throw new Error(`zset: hole before id ${id}`);
      }
    }
    if (inIndex !== live) throw new Error(`zset: index holds ${inIndex}, live ${live}`);
    if (live * 4 > this.nslots * 3) throw new Error("zset: index too full");
    this.tree.checkInvariants();
  }

  // --- internals -------------------------------------------------------------------------

  private takeId(): number {
    const f = this.freeIds.pop();
    if (f !== undefined) return f;
    if (this.idHw === this.idCap) {
      const cap = this.idCap * 2;
      const score = new Float64Array(cap);
      score.set(this.score);
      this.score = score;
      const mOff = new Int32Array(cap);
      mOff.set(this.mOff);
      this.mOff = mOff;
      const mLen = new Int32Array(cap).fill(-1);
      mLen.set(this.mLen);
      this.mLen = mLen;
      this.idCap = cap;
    }
    return this.idHw++;
  }

  /** Offset of `len` free bytes at the arena's end, growing or compacting it. */
  private reserveMem(len: number): number {
    if (this.memEnd + len > this.mem.length) {
      if (this.memDead * 2 > this.memEnd) this.compact(len);
      else {
        const want = Math.max(this.memEnd + len, Math.floor(this.mem.length * 1.5) + 16);
        const mem = new Uint8Array(Math.min(want, Math.max(ZSet.maxMemBytes, this.memEnd + len)));
        mem.set(this.mem.subarray(0, this.memEnd));
        this.mem = mem;
      }
    }
    const at = this.memEnd;
    this.memEnd += len;
    return at;
  }

  /** Rewrite live members back to back (id order) into a right-sized arena. */
  private compact(extra: number): void {
    const live = this.memEnd - this.memDead;
    const mem = new Uint8Array(Math.max(MIN_MEM, Math.floor((live + extra) * 1.25)));
    let at = 0;
    for (let id = 0; id < this.idHw; id++) {
      const len = this.mLen[id]!;
      if (len < 0) continue;
      copyBytes(this.mem, this.mOff[id]!, mem, at, len);
      this.mOff[id] = at;
      at += len;
    }
    this.mem = mem;
    this.memEnd = at;
    this.memDead = 0;
  }

  private rehash(size: number): void {
    const tab = new Uint32Array(2 * size);
    const mask = size - 1;
    const old = this.tab;
    for (let i = 0; i < this.nslots; i++) {
      const t = old[2 * i]!;
      if (t !== 0) slotInsert(tab, mask, old[2 * i + 1]!, t - 1);
    }
    this.tab = tab;
    this.nslots = size;
    this.mask = mask;
  }
}

function slotInsert(tab: Uint32Array, mask: number, h: number, id: number): void {
  let i = h & mask;
  while (tab[2 * i] !== 0) i = (i + 1) & mask;
  tab[2 * i] = id + 1;
  tab[2 * i + 1] = h;
}

/** Unlink id (hash h) and close the gap by shifting later cluster members back. */
function slotDelete(tab: Uint32Array, mask: number, h: number, id: number): void {
  let i = h & mask;
  while (tab[2 * i] !== id + 1) i = (i + 1) & mask;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const t = tab[2 * j]!;
    if (t === 0) break;
    const k = tab[2 * j + 1]! & mask;
    const stays = i <= j ? i < k && k <= j : i < k || k <= j;
    if (!stays) {
      tab[2 * i] = t;
      tab[2 * i + 1] = tab[2 * j + 1]!;
      i = j;
    }
  }
  tab[2 * i] = 0;
  tab[2 * i + 1] = 0;
}
