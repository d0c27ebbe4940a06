// ZSet: one sorted set, in one of two encodings (the same ones Redis picks between, so replies
// that show the encoding match; see `listpack`):
//
// SMALL (<= 128 members of <= 64 bytes): the id columns below are kept in sorted order, so an
// id is a rank; insert/delete shift the columns (O(n), n <= 128), find is a linear scan, ranges
// are binary searches. No hash index and no tree: a small set costs a handful of arrays.
//
// LARGE: two indexes over the same member ids:
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

import { bytesEqual, COPY_LOOP_MAX, compareBytes, copyNative, hashBytes } from "./bytes.ts";
import { BY_KEY, BY_LEX, BY_SCORE, type KeySource, RankTree } from "./ranktree.ts";

export { BY_KEY, BY_LEX, BY_SCORE };

/** Columns start at two members and double: a 3-member set holds 4 slots, not 8. */
const MIN_IDS = 2;
const EMPTY_TAB = new Uint32Array(0);
/** mOff/mLen of every SMALL set (its member refs live in `score`, see there). */
const EMPTY_I32: Int32Array = new Int32Array(0);
/** Shared by every empty arena; reserveMem replaces it on the first member (never written). */
const EMPTY_MEM: Uint8Array = new Uint8Array(0);
const EMPTY_F64: Float64Array = new Float64Array(0);
/** Shared by every SMALL set; toLarge gives the set its own free list (never pushed to). */
const NO_FREE_IDS: number[] = [];
const MIN_SLOTS = 8;
const MIN_MEM = 64;
/** Compaction does not bother below this many dead bytes. */
const COMPACT_MIN = 4096;
/** Ids moved into the new member index per write while rehashing (raised for sparse id ranges). */
const REHASH_MIN_IDS = 256;
/**
 * LARGE id columns this many ids or larger grow incrementally: the doubled columns are
 * allocated when idHw passes 7/8 of the capacity and GROW_STEP_IDS ids are copied per insert
 * (done within cap/8 inserts), instead of one copy of all three columns (6.7 ms at 512K ids).
 */
const INCREMENTAL_IDS = 1 << 15;
const GROW_STEP_IDS = 16;
/**
 * A LARGE member arena this big or bigger grows (1.5x) incrementally: the new buffer is
 * allocated when the arena passes 7/8 full, and each insert copies MEM_STEP_BYTES + 8 x its
 * member's length (so the copy ends before the old buffer's last eighth is used up); one copy
 * of a 14 MB arena stopped the loop for 11 ms at 870K members.
 */
const INCREMENTAL_MEM = 1 << 20;
const MEM_STEP_BYTES = 256;
/** Typed arrays at least this big are allocated fresh from the OS (see table.ts freshU32). */
const FRESH_BYTES = 1 << 20;

function freshF64(n: number): Float64Array {
  return n * 8 >= FRESH_BYTES
    ? new Float64Array(new SharedArrayBuffer(n * 8))
    : new Float64Array(n);
}
function freshI32(n: number): Int32Array {
  return n * 4 >= FRESH_BYTES ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
}
function freshU8(n: number): Uint8Array {
  return n >= FRESH_BYTES ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

export class ZSet implements KeySource {
  /**
   * Limit on one set's member bytes (Int32 offsets). A static so tests can lower it; ZADD
   * answers an error past it instead of corrupting offsets.
   */
  static maxMemBytes = 0x7fffffff;
  /** Limit on members in one set (Int32 ids, Int32 tree counts). */
  static maxMembers = 0x3fffffff;

  /**
   * LARGE: the score per id (length idCap). SMALL: 2 * idCap doubles, the scores at [0, idCap)
   * and each member's ref at [idCap, 2 * idCap), ref = offset * 128 + length (members are
   * <= 64 bytes): one array instead of three, since each typed array costs ~60 bytes of
   * object before its data. Read members through off(id)/len(id).
   */
  score: Float64Array = new Float64Array(2 * MIN_IDS);
  /** LARGE only (SMALL: empty, see `score`). */
  mOff: Int32Array = EMPTY_I32;
  /** LARGE only; -1 marks a free id. */
  mLen: Int32Array = EMPTY_I32;
  mem: Uint8Array = EMPTY_MEM;
  private memEnd = 0;
  private memDead = 0;

  private idCap = MIN_IDS;
  /** RankTree node capacities, leafCap * 65536 + nodeCap (one field: see `lg`). */
  private readonly caps: number;
  /**
   * The LARGE encoding's state (indexes, free ids), null while SMALL: a SMALL set's object
   * then has a dozen fields instead of twenty (~100 bytes less per set). The accessors below
   * read it as if the fields were here; while SMALL they read as empty.
   */
  private lg: Large | null = null;
  /** Members, SMALL encoding. */
  private n = 0;
  /** Cursor (a rank), SMALL encoding. */
  private cur = 0;
  static listpackEntries = 128;
  static listpackValue = 64;

  constructor(leafCap = 64, nodeCap = 64) {
    this.caps = leafCap * 65536 + nodeCap;
  }

  private get leafCap(): number {
    return Math.floor(this.caps / 65536);
  }
  private get nodeCap(): number {
    return this.caps % 65536;
  }
  /**
   * SMALL encoding, exactly when Redis would hold the set as a listpack (<= 128 members of
   * <= 64 bytes; once converted it never goes back, except for results of ZUNIONSTORE & co.).
   * Redis's listpack shows through in replies: it stores -0 as 0, and ZSCAN returns a listpack
   * set whole, in order, with integral scores as integers.
   */
  private get small(): boolean {
    return this.lg === null;
  }
  private get tab(): Uint32Array {
    return this.lg === null ? EMPTY_TAB : this.lg.tab;
  }
  private set tab(v: Uint32Array) {
    this.lg!.tab = v;
  }
  private get nslots(): number {
    return this.lg === null ? 0 : this.lg.nslots;
  }
  private set nslots(v: number) {
    this.lg!.nslots = v;
  }
  private get mask(): number {
    return this.lg === null ? 0 : this.lg.mask;
  }
  private set mask(v: number) {
    this.lg!.mask = v;
  }
  private get idHw(): number {
    return this.lg === null ? 0 : this.lg.idHw;
  }
  private set idHw(v: number) {
    this.lg!.idHw = v;
  }
  private get freeIds(): number[] {
    return this.lg === null ? NO_FREE_IDS : this.lg.freeIds;
  }
  private set freeIds(v: number[]) {
    this.lg!.freeIds = v;
  }
  private get tr(): RankTree | null {
    return this.lg === null ? null : this.lg.tr;
  }
  private set tr(v: RankTree | null) {
    this.lg!.tr = v;
  }
  private get pending(): number {
    return this.lg === null ? 0 : this.lg.pending;
  }
  private set pending(v: number) {
    this.lg!.pending = v;
  }
  private get unordered(): boolean {
    return this.lg === null ? false : this.lg.unordered;
  }
  private set unordered(v: boolean) {
    this.lg!.unordered = v;
  }

  get size(): number {
    return this.small ? this.n : this.tr!.size;
  }

  /** True while the set uses the SMALL encoding (what Redis calls a listpack). */
  get listpack(): boolean {
    return this.small;
  }

  /** The order index (LARGE encoding); converts a SMALL set first. */
  get tree(): RankTree {
    this.toLarge();
    return this.tr!;
  }

  /** Levels of the order index above the leaves (0 for a SMALL set). */
  get height(): number {
    return this.tr === null ? 0 : this.tr.height;
  }

  /** Ids in [0, idHighWater) may be live (ZSCAN). */
  get idHighWater(): number {
    return this.small ? this.n : this.idHw;
  }

  isLive(id: number): boolean {
    return this.small ? id < this.n : id < this.idHw && this.mLen[id]! >= 0;
  }

  /** Id of a member, or -1. */
  find(buf: Uint8Array, off: number, len: number): number {
    if (this.small) {
      const score = this.score;
      const cap = this.idCap;
      for (let i = 0; i < this.n; i++) {
        const ref = score[cap + i]!;
        if ((ref & 127) === len && bytesEqual(this.mem, ref >>> 7, buf, off, len)) return i;
      }
      return -1;
    }
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
    if (this.small && (len > ZSet.listpackValue || this.n + 1 > ZSet.listpackEntries)) {
      this.toLarge();
    }
    if (this.small) {
      if (score === 0) score = 0; // a listpack stores -0 as the integer 0
      const at = this.reserveMem(len);
      copyMember(buf, off, this.mem, at, len);
      return this.smallPlace(at, len, score);
    }
    const id = this.takeId();
    const at = this.reserveMem(len);
    copyMember(buf, off, this.mem, at, len);
    const lg = this.lg!;
    if (lg.memCursor >= 0) this.memGrowStep(MEM_STEP_BYTES + 8 * len); // after the bytes are in
    const h = hashBytes(this.mem, at, len);
    this.mOff[id] = at;
    this.mLen[id] = len;
    this.score[id] = score;
    if (lg.growCursor >= 0) {
      if (id < lg.growCursor) this.mirrorId(id);
      this.idGrowStep(GROW_STEP_IDS);
    }
    if (lg.cursor < 0 && (this.tr!.size + this.pending + 1) * 4 > this.nslots * 3) {
      this.startRehash(this.nslots * 2);
    }
    slotInsert(this.tab, this.mask, h, id);
    if (lg.cursor >= 0) {
      if (id < lg.cursor) slotInsert(lg.newTab, lg.newMask, h, id);
      // Safety net: neither index may pass 7/8 full, whatever the step bound says.
      const n = this.tr!.size + this.pending + 1;
      if (n * 8 > Math.min(lg.nslots, lg.newSlots) * 7) this.finishRehash();
      else this.rehashStep(lg.stepIds);
    }
    if (this.unordered) this.pending++;
    else this.tr!.insert(id);
    return id;
  }

  /**
   * Room for `members` members of `bytes` bytes in all, so that building a SMALL set of known
   * parts (an RDB load) reallocates nothing per insert. Only on an empty SMALL set; a no-op
   * otherwise or past the SMALL limits.
   */
  reserveSmall(members: number, bytes: number): void {
    if (!this.small || this.n !== 0 || this.memEnd !== 0) return;
    if (members > ZSet.listpackEntries) return;
    if (members > this.idCap) {
      this.score = new Float64Array(2 * members);
      this.idCap = members;
    }
    if (bytes > this.mem.length) this.mem = new Uint8Array(bytes);
  }

  /** Start building a set without order (see `unordered`). Only on an empty set. */
  beginUnordered(): void {
    if (this.size !== 0 || this.pending !== 0)
      throw new Error("zset: beginUnordered on a non-empty set");
    this.toLarge();
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
    for (let id = 0; id < this.idHw; id++) if (this.mLen[id]! >= 0) this.tr!.insert(id);
  }

  /** Change a member's score (moves it in the order; a SMALL set's ids change). */
  setScore(id: number, score: number): void {
    if (this.small && score === 0) score = 0;
    if (Object.is(this.score[id], score)) return;
    if (this.small) {
      const at = this.off(id);
      const len = this.len(id);
      this.smallRemove(id);
      this.smallPlace(at, len, score);
      return;
    }
    this.tr!.remove(id);
    this.score[id] = score;
    if (id < this.lg!.growCursor) this.lg!.gScore[id] = score;
    this.tr!.insert(id);
  }

  /**
   * Overwrite a member's score while the set is unordered (ZUNIONSTORE & co. aggregating into
   * a set being built): no order index to update yet.
   */
  writeScoreUnordered(id: number, score: number): void {
    if (!this.unordered) throw new Error("zset: writeScoreUnordered on an ordered set");
    this.score[id] = score;
    if (id < this.lg!.growCursor) this.lg!.gScore[id] = score;
  }

  delete(id: number): void {
    if (this.small) {
      this.memDead += this.len(id);
      this.smallRemove(id);
      if (this.memDead > COMPACT_MIN && this.memDead * 2 > this.memEnd) this.compact(0);
      return;
    }
    this.tr!.remove(id);
    const h = hashBytes(this.mem, this.mOff[id]!, this.mLen[id]!);
    const lg = this.lg!;
    slotDelete(this.tab, this.mask, h, id);
    if (lg.cursor >= 0 && id < lg.cursor) slotDelete(lg.newTab, lg.newMask, h, id);
    this.memDead += this.mLen[id]!;
    this.mLen[id] = -1;
    if (id < lg.growCursor) lg.gLen[id] = -1;
    this.freeIds.push(id);
    if (lg.cursor >= 0) this.rehashStep(lg.stepIds);
    else this.maybeShrink();
    if (this.memDead > COMPACT_MIN && this.memDead * 2 > this.memEnd) this.compact(0);
  }

  /** A deep copy sharing nothing mutable (COPY). */
  clone(): ZSet {
    this.finishOrder();
    this.finishRehash();
    this.finishGrowth();
    const z = new ZSet(this.leafCap, this.nodeCap);
    z.score = this.score.slice();
    z.mOff = this.small ? EMPTY_I32 : this.mOff.slice();
    z.mLen = this.small ? EMPTY_I32 : this.mLen.slice();
    z.mem = this.mem.slice();
    z.memEnd = this.memEnd;
    z.memDead = this.memDead;
    z.idCap = this.idCap;
    z.n = this.n;
    if (this.lg !== null) {
      z.lg = new Large();
      z.tab = this.tab.slice();
      z.nslots = this.nslots;
      z.mask = this.mask;
      z.idHw = this.idHw;
      z.freeIds = this.freeIds.slice();
      z.tr = new RankTree(z, this.leafCap, this.nodeCap);
      z.tr.copyFrom(this.tr!);
    }
    return z;
  }

  /** OBJECT ENCODING: what Redis would answer for this set. */
  get encoding(): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  /** Redis's zsetConvertToListpackIfNeeded, for stored results of set operations. */
  convertIfSmall(): void {
    this.finishOrder();
    if (this.small || this.size > ZSet.listpackEntries) return;
    for (let id = 0; id < this.idHw; id++) if (this.mLen[id]! > ZSet.listpackValue) return;
    // Rebuild the columns in order (ids become ranks) and drop both indexes.
    const n = this.tr!.size;
    const cap = Math.max(MIN_IDS, n);
    const score = new Float64Array(2 * cap);
    const mem = new Uint8Array(this.memEnd - this.memDead);
    let at = 0;
    this.tr!.seekRank(0);
    for (let r = 0; r < n; r++) {
      const id = this.tr!.nextId();
      const len = this.mLen[id]!;
      copyMember(this.mem, this.mOff[id]!, mem, at, len);
      const s = this.score[id]!;
      score[r] = s === 0 ? 0 : s; // -0 becomes 0 in a listpack
      score[cap + r] = at * 128 + len;
      at += len;
    }
    this.score = score;
    this.mOff = EMPTY_I32;
    this.mLen = EMPTY_I32;
    this.mem = mem;
    this.memEnd = at;
    this.memDead = 0;
    this.idCap = cap;
    this.lg = null;
    this.n = n;
  }

  rank(id: number): number {
    return this.small ? id : this.tr!.rankOf(id);
  }

  /** Elements before a score bound: score < s, or score <= s when excl (range starts). */
  scoreRank(s: number, excl: boolean): number {
    if (!this.small) return this.tr!.lowerBound(BY_SCORE, s, this.mem, 0, 0, excl);
    let lo = 0;
    let hi = this.n;
    const score = this.score;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = score[mid]!;
      if (excl ? x <= s : x < s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Elements before a lex bound: member < k, or member <= k when excl. */
  lexRank(buf: Uint8Array, off: number, len: number, excl: boolean): number {
    if (!this.small) return this.tr!.lowerBound(BY_LEX, 0, buf, off, len, excl);
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareBytes(this.mem, this.off(mid), this.len(mid), buf, off, len);
      if (excl ? c <= 0 : c < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Put the cursor on rank r; then nextId()/prevId() walk the order. */
  seek(r: number): void {
    if (this.small) this.cur = r;
    else this.tr!.seekRank(r);
  }

  nextId(): number {
    return this.small ? this.cur++ : this.tr!.nextId();
  }

  prevId(): number {
    return this.small ? this.cur-- : this.tr!.prevId();
  }

  /** Id of the element of rank r. */
  idAt(r: number): number {
    if (this.small) return r;
    this.tr!.seekRank(r);
    return this.tr!.nextId();
  }

  /**
   * Leave the SMALL encoding (Redis: listpack -> skiplist): index the sorted columns by name
   * and build the tree. Ids stay what they are (the current ranks).
   */
  toLarge(): void {
    if (!this.small) return;
    const n = this.n;
    const cap = this.idCap;
    const old = this.score;
    const score = new Float64Array(cap);
    for (let i = 0; i < n; i++) score[i] = old[i]!;
    const mOff = new Int32Array(cap);
    const mLen = new Int32Array(cap).fill(-1);
    for (let id = 0; id < n; id++) {
      const ref = old[cap + id]!;
      mOff[id] = ref >>> 7;
      mLen[id] = ref & 127;
    }
    this.score = score;
    this.mOff = mOff;
    this.mLen = mLen;
    this.lg = new Large();
    this.idHw = n;
    this.freeIds = [];
    let slots = MIN_SLOTS;
    while (slots * 3 < n * 4 * 2) slots *= 2;
    this.tab = new Uint32Array(2 * slots);
    this.nslots = slots;
    this.mask = slots - 1;
    const tr = new RankTree(this, this.leafCap, this.nodeCap);
    this.tr = tr;
    for (let id = 0; id < n; id++) {
      slotInsert(this.tab, this.mask, hashBytes(this.mem, this.mOff[id]!, this.mLen[id]!), id);
      tr.insert(id);
    }
    this.n = 0;
  }

  /** Offset of a live member's bytes in `mem`. */
  off(id: number): number {
    return this.small ? this.score[this.idCap + id]! >>> 7 : this.mOff[id]!;
  }

  /** Length of a live member's bytes. */
  len(id: number): number {
    return this.small ? this.score[this.idCap + id]! & 127 : this.mLen[id]!;
  }

  /** A copy of a member's bytes (allocates; for tests and set operations). */
  memberBytes(id: number): Uint8Array {
    const o = this.off(id);
    return this.mem.slice(o, o + this.len(id));
  }

  /**
   * Bytes held: columns, hash index, member arena, tree, plus the JS objects around them. A
   * SMALL set is its ZSet object (~112 bytes in Bun) and two typed arrays (score/refs and the
   * arena, ~56 bytes of object each before the data): 3 members of 8 bytes measure ~305 bytes
   * of JS heap and count 312 here (test/store/zset-memory.test.ts checks both).
   */
  memoryBytes(): number {
    return (
      (this.small ? 112 + 2 * 56 : 400) +
      this.score.byteLength +
      this.mOff.byteLength +
      this.mLen.byteLength +
      this.mem.byteLength +
      this.tab.byteLength +
      (this.lg === null
        ? 0
        : this.lg.newTab.byteLength +
          this.lg.gScore.byteLength +
          this.lg.gOff.byteLength +
          this.lg.gLen.byteLength +
          this.lg.gMem.byteLength) +
      this.freeIds.length * 8 +
      (this.tr === null ? 0 : this.tr.memoryBytes())
    );
  }

  checkInvariants(): void {
    if (this.small) return this.checkSmall();
    const lg = this.lg!;
    if (lg.cursor >= 0) {
      // The new index holds exactly the live ids below the cursor.
      let below = 0;
      for (let id = 0; id < lg.cursor; id++) {
        if (this.mLen[id]! < 0) continue;
        below++;
        const h = hashBytes(this.mem, this.mOff[id]!, this.mLen[id]!);
        let i = h & lg.newMask;
        while (lg.newTab[2 * i] !== id + 1) {
          if (lg.newTab[2 * i] === 0) throw new Error(`zset: id ${id} missing from new index`);
          i = (i + 1) & lg.newMask;
        }
      }
      let inNew = 0;
      for (let i = 0; i < lg.newTab.length; i += 2) if (lg.newTab[i] !== 0) inNew++;
      if (inNew !== below) throw new Error(`zset: new index ${inNew}, expected ${below}`);
    }
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
    if (live !== this.tr!.size) throw new Error(`zset: ${live} live ids, tree ${this.tr!.size}`);
    for (let id = 0; id < lg.growCursor; id++) {
      const same =
        Object.is(lg.gScore[id], this.score[id]) &&
        lg.gOff[id] === this.mOff[id] &&
        lg.gLen[id] === this.mLen[id];
      if (!same) throw new Error(`zset: grown id columns differ at ${id}`);
    }
    for (let b = 0; b < lg.memCursor; b++) {
      if (lg.gMem[b] !== this.mem[b]) throw new Error(`zset: grown arena differs at byte ${b}`);
    }
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
    // While rehashing the old index may run up to 7/8 full (see startRehash).
    if (live * 8 > this.nslots * 7 || (lg.cursor < 0 && live * 4 > this.nslots * 3)) {
      throw new Error("zset: index too full");
    }
    this.tr!.checkInvariants();
  }

  private checkSmall(): void {
    if (this.tr !== null || this.nslots !== 0) throw new Error("zset: small set with indexes");
    if (this.mOff.length !== 0 || this.mLen.length !== 0 || this.freeIds.length !== 0) {
      throw new Error("zset: small set with large columns");
    }
    if (this.score.length !== 2 * this.idCap) throw new Error("zset: small score column size");
    if (this.n > ZSet.listpackEntries) throw new Error("zset: small set too big");
    let bytes = 0;
    for (let i = 0; i < this.n; i++) {
      const len = this.len(i);
      const o = this.off(i);
      if (len < 0 || len > ZSet.listpackValue) throw new Error(`zset: small member ${i} length`);
      if (o < 0 || o + len > this.memEnd) throw new Error(`zset: member ${i} out of arena`);
      if (Number.isNaN(this.score[i]) || Object.is(this.score[i], -0)) {
        throw new Error(`zset: bad small score at ${i}`);
      }
      if (i > 0 && this.cmpIds(i - 1, i) >= 0) throw new Error(`zset: small set order at ${i}`);
      bytes += len;
    }
    if (bytes + this.memDead !== this.memEnd) throw new Error("zset: arena accounting");
  }

  // --- internals -------------------------------------------------------------------------

  private cmpIds(a: number, b: number): number {
    const sa = this.score[a]!;
    const sb = this.score[b]!;
    if (sa !== sb) return sa < sb ? -1 : 1;
    return compareBytes(this.mem, this.off(a), this.len(a), this.mem, this.off(b), this.len(b));
  }

  /** SMALL: put a member (bytes already at mem[at, at+len)) at its rank; returns the rank. */
  private smallPlace(at: number, len: number, score: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.score[mid]!;
      const before =
        s !== score
          ? s < score
          : compareBytes(this.mem, this.off(mid), this.len(mid), this.mem, at, len) < 0;
      if (before) lo = mid + 1;
      else hi = mid;
    }
    if (this.n === this.idCap) this.growIds(this.idCap * 2);
    const n = this.n;
    const cap = this.idCap;
    const col = this.score;
    col.copyWithin(lo + 1, lo, n);
    col.copyWithin(cap + lo + 1, cap + lo, cap + n);
    col[lo] = score;
    col[cap + lo] = at * 128 + len;
    this.n = n + 1;
    return lo;
  }

  /** SMALL: drop rank i from the columns (its bytes stay in the arena as a hole). */
  private smallRemove(i: number): void {
    const n = this.n;
    const cap = this.idCap;
    this.score.copyWithin(i, i + 1, n);
    this.score.copyWithin(cap + i, cap + i + 1, cap + n);
    this.n = n - 1;
  }

  private growIds(cap: number): void {
    if (this.small) {
      const old = this.score;
      const score = new Float64Array(2 * cap);
      const n = this.n;
      const oldCap = this.idCap;
      for (let i = 0; i < n; i++) {
        score[i] = old[i]!;
        score[cap + i] = old[oldCap + i]!;
      }
      this.score = score;
      this.idCap = cap;
      return;
    }
    const lg = this.lg!;
    if (lg.growCursor >= 0) {
      // Out of ids before the incremental copy ended (it should not: see GROW_STEP_IDS).
      lg.forcedGrowths++;
      this.idGrowStep(Number.POSITIVE_INFINITY);
      if (this.idHw < this.idCap) return;
    }
    // mLen past idHw is never read before insert writes it, so the new tail is not filled
    // with -1. (TypedArray set() into a SharedArrayBuffer view is slower than into a plain
    // one in Bun: these small ones stay plain.)
    const score = new Float64Array(cap);
    score.set(this.score);
    this.score = score;
    const mOff = new Int32Array(cap);
    mOff.set(this.mOff);
    this.mOff = mOff;
    const mLen = new Int32Array(cap);
    mLen.set(this.mLen);
    this.mLen = mLen;
    this.idCap = cap;
  }

  private takeId(): number {
    const f = this.freeIds.pop();
    if (f !== undefined) return f;
    if (this.idHw === this.idCap) this.growIds(this.idCap * 2);
    const id = this.idHw++;
    const cap = this.idCap;
    const lg = this.lg!;
    if (lg.growCursor < 0 && cap >= INCREMENTAL_IDS && this.idHw > cap - (cap >>> 3)) {
      lg.gScore = freshF64(2 * cap);
      lg.gOff = freshI32(2 * cap);
      lg.gLen = freshI32(2 * cap);
      lg.growCursor = 0;
    }
    return id;
  }

  /** Copy up to maxIds more ids into the grown id columns; swap them in when all are. */
  private idGrowStep(maxIds: number): void {
    const lg = this.lg!;
    let c = lg.growCursor;
    const hw = this.idHw;
    const end = Math.min(hw, c + maxIds);
    const score = this.score;
    const mOff = this.mOff;
    const mLen = this.mLen;
    const gScore = lg.gScore;
    const gOff = lg.gOff;
    const gLen = lg.gLen;
    for (; c < end; c++) {
      gScore[c] = score[c]!;
      gOff[c] = mOff[c]!;
      gLen[c] = mLen[c]!;
    }
    lg.growCursor = c;
    if (c < hw) return;
    this.score = gScore;
    this.mOff = gOff;
    this.mLen = gLen;
    this.idCap = gScore.length;
    lg.gScore = EMPTY_F64;
    lg.gOff = EMPTY_I32;
    lg.gLen = EMPTY_I32;
    lg.growCursor = -1;
  }

  /** Id `id` was written after the copy passed it: write it into the grown columns too. */
  private mirrorId(id: number): void {
    const lg = this.lg!;
    lg.gScore[id] = this.score[id]!;
    lg.gOff[id] = this.mOff[id]!;
    lg.gLen[id] = this.mLen[id]!;
  }

  /** Copy up to maxBytes more of the member arena into the grown one; swap when all are. */
  private memGrowStep(maxBytes: number): void {
    const lg = this.lg!;
    const c = lg.memCursor;
    const end = Math.min(this.memEnd, c + maxBytes);
    const mem = this.mem;
    const g = lg.gMem;
    if (end - c <= 4096) for (let b = c; b < end; b++) g[b] = mem[b]!;
    else g.set(mem.subarray(c, end), c); // a big member: one view object, rare
    lg.memCursor = end;
    if (end < this.memEnd) return;
    this.mem = g;
    lg.gMem = EMPTY_MEM;
    lg.memCursor = -1;
  }

  /** Finish both incremental growths at once (clone, compact). */
  private finishGrowth(): void {
    const lg = this.lg;
    if (lg === null) return;
    if (lg.growCursor >= 0) this.idGrowStep(Number.POSITIVE_INFINITY);
    if (lg.memCursor >= 0) this.memGrowStep(Number.POSITIVE_INFINITY);
  }

  /** Grown id columns being filled (tests): ids below this are copied; -1 when not growing. */
  get idGrowCursor(): number {
    return this.lg === null ? -1 : this.lg.growCursor;
  }

  /** Grown member arena being filled (tests): bytes below this are copied; -1 when not. */
  get memGrowCursor(): number {
    return this.lg === null ? -1 : this.lg.memCursor;
  }

  /** Growths that had to finish in one go (tests: stays 0). */
  get forcedGrowths(): number {
    return this.lg === null ? 0 : this.lg.forcedGrowths;
  }

  /** Offset of `len` free bytes at the arena's end, growing or compacting it. */
  private reserveMem(len: number): number {
    const lg = this.lg;
    if (lg !== null && lg.memCursor >= 0 && this.memEnd + len > this.mem.length) {
      // The old buffer is full before the copy ended (a member far above the step's bound).
      lg.forcedGrowths++;
      this.memGrowStep(Number.POSITIVE_INFINITY);
    }
    if (this.memEnd + len > this.mem.length) {
      if (this.memDead * 2 > this.memEnd) this.compact(len);
      else {
        // SMALL arenas grow without the fixed slack (3 members of 8 bytes: an arena of 24).
        const slack = this.lg === null ? 0 : 16;
        const want = Math.max(this.memEnd + len, Math.floor(this.mem.length * 1.5) + slack);
        const mem = new Uint8Array(Math.min(want, Math.max(ZSet.maxMemBytes, this.memEnd + len)));
        copyMember(this.mem, 0, mem, 0, this.memEnd);
        this.mem = mem;
      }
    }
    const at = this.memEnd;
    this.memEnd += len;
    const cap = this.mem.length;
    if (
      lg !== null &&
      lg.memCursor < 0 &&
      cap >= INCREMENTAL_MEM &&
      this.memEnd > cap - (cap >>> 3) &&
      this.memDead * 2 <= this.memEnd // else the next overflow compacts instead
    ) {
      lg.gMem = freshU8(Math.min(Math.floor(cap * 1.5) + 16, Math.max(ZSet.maxMemBytes, cap)));
      lg.memCursor = 0;
    }
    return at;
  }

  /** Rewrite live members back to back (id order) into a right-sized arena. */
  private compact(extra: number): void {
    const live = this.memEnd - this.memDead;
    const mem = new Uint8Array(Math.max(MIN_MEM, Math.floor((live + extra) * 1.25)));
    let at = 0;
    if (this.small) {
      const score = this.score;
      const cap = this.idCap;
      for (let id = 0; id < this.n; id++) {
        const len = this.len(id);
        copyMember(this.mem, this.off(id), mem, at, len);
        score[cap + id] = at * 128 + len;
        at += len;
      }
      this.mem = mem;
      this.memEnd = at;
      this.memDead = 0;
      return;
    }
    // Offsets are rewritten below: the id columns must be whole first. A member arena being
    // grown is dropped (this one replaces it).
    const lg = this.lg!;
    if (lg.growCursor >= 0) this.idGrowStep(Number.POSITIVE_INFINITY);
    lg.gMem = EMPTY_MEM;
    lg.memCursor = -1;
    const hw = this.idHw;
    for (let id = 0; id < hw; id++) {
      const len = this.mLen[id]!;
      if (len < 0) continue;
      copyMember(this.mem, this.mOff[id]!, mem, at, len);
      this.mOff[id] = at;
      at += len;
    }
    this.mem = mem;
    this.memEnd = at;
    this.memDead = 0;
  }

  /** True while the member index is being rebuilt incrementally (tests). */
  get rehashing(): boolean {
    return this.lg !== null && this.lg.cursor >= 0;
  }

  /**
   * Start an incremental rehash into `size` slots (like Table's): the old index stays the one
   * lookups use, a cursor walks ids [0, idHw) copying live ones into the new index, stepIds per
   * write, so no write rebuilds a million-member index in one go (~10 ms before).
   */
  private startRehash(size: number): void {
    const lg = this.lg!;
    lg.newTab = new Uint32Array(2 * size);
    lg.newSlots = size;
    lg.newMask = size - 1;
    lg.cursor = 0;
    // Finish within min(old, new)/8 writes so neither index passes 7/8 full.
    const budget = Math.max(1, Math.min(size, this.nslots) >>> 3);
    lg.stepIds = Math.max(REHASH_MIN_IDS, Math.ceil((2 * this.idHw) / budget));
  }

  /** Move up to maxIds more ids into the new index; swap when done. */
  rehashStep(maxIds: number): void {
    const lg = this.lg;
    if (lg === null || lg.cursor < 0) return;
    const mLen = this.mLen;
    const mOff = this.mOff;
    const mem = this.mem;
    const nt = lg.newTab;
    const nm = lg.newMask;
    let c = lg.cursor;
    const end = Math.min(lg.idHw, c + maxIds);
    for (; c < end; c++) {
      const len = mLen[c]!;
      if (len >= 0) slotInsert(nt, nm, hashBytes(mem, mOff[c]!, len), c);
    }
    lg.cursor = c;
    if (c < lg.idHw) return;
    lg.tab = nt;
    lg.nslots = lg.newSlots;
    lg.mask = nm;
    lg.newTab = EMPTY_TAB;
    lg.newSlots = 0;
    lg.newMask = 0;
    lg.cursor = -1;
    const n = this.tr!.size + this.pending;
    if (n * 4 > lg.nslots * 3) this.startRehash(lg.nslots * 2);
    else this.maybeShrink();
  }

  private finishRehash(): void {
    this.rehashStep(Number.POSITIVE_INFINITY);
  }

  private maybeShrink(): void {
    const n = this.tr!.size + this.pending;
    if (this.nslots > MIN_SLOTS && n * 8 < this.nslots) {
      let target = MIN_SLOTS;
      while (target * 3 < n * 4 * 2) target *= 2;
      this.startRehash(target);
    }
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

/**
 * Copy member bytes into or out of a set's arena. As bytes.ts copyBytes it never reads
 * `.buffer` or takes a subarray of a short array: in Bun that gives a small typed array its own
 * ArrayBuffer object (~200 bytes), more than a small set's whole arena. An arena is never a
 * view of another array's buffer, so distinct arrays cannot overlap.
 */
function copyMember(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number) {
  if (src === dst) dst.copyWithin(dstOff, srcOff, srcOff + len);
  else if (len <= COPY_LOOP_MAX) for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
  else if (len > 0) copyNative(src, srcOff, dst, dstOff, len); // no view: see bytes.ts
}

/** The LARGE encoding's fields (ZSet.lg). */
class Large {
  /** Slot i: tab[2i] = id + 1 (0 = empty), tab[2i+1] = the member's hash: one cache line. */
  tab: Uint32Array = EMPTY_TAB;
  nslots = 0;
  mask = 0;
  /** Index under construction (incremental rehash); cursor < 0 when not rehashing. */
  newTab: Uint32Array = EMPTY_TAB;
  newSlots = 0;
  newMask = 0;
  cursor = -1;
  stepIds = 0;
  /** Ids in [0, idHw) have been handed out. */
  idHw = 0;
  /** Grown id columns being filled, ids [0, growCursor) copied; growCursor < 0 when not. */
  gScore: Float64Array = EMPTY_F64;
  gOff: Int32Array = EMPTY_I32;
  gLen: Int32Array = EMPTY_I32;
  growCursor = -1;
  /** Grown member arena being filled, bytes [0, memCursor) copied; memCursor < 0 when not. */
  gMem: Uint8Array = EMPTY_MEM;
  memCursor = -1;
  /** Incremental growths finished in one go (should stay 0). */
  forcedGrowths = 0;
  freeIds: number[] = [];
  /** The order index. */
  tr: RankTree | null = null;
  /** Members inserted while unordered, not yet in `tr`. */
  pending = 0;
  /**
   * While true (a set being built by ZUNION & co.), insert() only indexes members by name and
   * scores may be written directly; finishOrder() then builds the order index once.
   */
  unordered = false;
}
