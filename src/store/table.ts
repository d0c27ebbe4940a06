// Table: one logical database. A compact dict (like CPython's): dense entry columns indexed by an
// entry id, plus an open-addressing index (linear probing, backward-shift deletion) that maps a
// key's hash to its entry id. Keys and string values live as bytes in the shared Arena.
//
// Invariants (checked by checkInvariants()):
// - an entry is live iff type[e] !== 0; live ids are < highWater; entries never move while live,
//   so a SCAN cursor that is an entry id never misses a key present for the whole scan;
// - every live entry sits in the authoritative index, reachable from its home slot
//   (hash & mask) through occupied slots only: no tombstones, deletes shift entries back;
// - while rehashing, the new index holds exactly the live entries with id < cursor.

import type { Arena } from "./arena.ts";
import { bytesEqual, copyBytes, hashBytes } from "./bytes.ts";

export const TYPE_FREE = 0;
export const TYPE_STRING = 1;
export const TYPE_ZSET = 2;
export const TYPE_HASH = 3;
export const TYPE_LIST = 4;
export const TYPE_SET = 5;
export const TYPE_STREAM = 6;

/**
 * A point-in-time snapshot in progress (src/persistence/snapshot.ts) watching a table: told
 * before a live entry's bytes, TTL or object change or the entry goes (so it can serialize
 * the entry first), and when an entry id is taken for a new key (which the snapshot skips).
 * Null when no snapshot runs: the cost then is one null check per write.
 */
export interface WriteGuard {
  beforeWrite(t: Table, e: number): void;
  created(t: Table, e: number): void;
}

const MIN_SLOTS = 16;
const MIN_ENTRIES = 16;
/** Entry ids visited per write while rehashing (raised for sparse tables, see startRehash). */
const MIGRATE_MIN = 256;
/** randomEntry probes this many random slots before falling back to a linear walk. */
const RANDOM_TRIES = 128;

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_I32 = new Int32Array(0);

/** Insert entry `e` with hash `h`; the caller guarantees a free slot exists. */
function indexInsert(sh: Uint32Array, se: Int32Array, mask: number, h: number, e: number): void {
  let i = h & mask;
  while (se[i] !== 0) i = (i + 1) & mask;
  sh[i] = h;
  se[i] = e + 1;
}

/** Unlink entry `e` and close the gap by shifting later cluster members back (no tombstone). */
function indexDelete(sh: Uint32Array, se: Int32Array, mask: number, h: number, e: number): void {
  const tag = e + 1;
  let i = h & mask;
  for (let probes = 0; se[i] !== tag; probes++) {
    if (se[i] === 0 || probes > mask) throw new Error(`table: entry ${e} missing from index`);
    i = (i + 1) & mask;
  }
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const t = se[j]!;
    if (t === 0) break;
    const k = sh[j]! & mask;
    // The entry at j must stay if its home k lies cyclically in (i, j]; else it fills hole i.
    const stays = i <= j ? i < k && k <= j : i < k || k <= j;
    if (!stays) {
      sh[i] = sh[j]!;
      se[i] = t;
      i = j;
    }
  }
  se[i] = 0;
  sh[i] = 0;
}

function checkIndex(
  name: string,
  sh: Uint32Array,
  se: Int32Array,
  hash: Uint32Array,
  type: Uint8Array,
  limit: number,
): number {
  const mask = se.length - 1;
  let n = 0;
  for (let i = 0; i < se.length; i++) {
    const t = se[i]!;
    if (t === 0) continue;
    const e = t - 1;
    n++;
    if (e >= limit || type[e] === TYPE_FREE) throw new Error(`${name}: slot ${i} -> dead ${e}`);
    if (sh[i] !== hash[e]) throw new Error(`${name}: slot ${i} hash mismatch for ${e}`);
    for (let k = sh[i]! & mask; k !== i; k = (k + 1) & mask) {
      if (se[k] === 0) throw new Error(`${name}: hole at ${k} before entry ${e} at slot ${i}`);
    }
  }
  return n;
}

export class Table {
  /** When true, add() asserts the key is absent (costs one lookup; tests turn it on). */
  static debug = false;

  readonly arena: Arena;

  // Entry columns. They are replaced when they grow: re-read them after add/upsert/moveTo.
  hash: Uint32Array = EMPTY_U32;
  addr: Float64Array = new Float64Array(0);
  keyLen: Int32Array = EMPTY_I32;
  valLen: Int32Array = EMPTY_I32;
  cap: Int32Array = EMPTY_I32;
  type: Uint8Array = new Uint8Array(0);
  expireAt: Float64Array = new Float64Array(0);
  clock: Uint32Array = EMPTY_U32;
  /** Structure objects of non-string entries. Write through setObj() so it stays dense. */
  objs: unknown[] = [];
  /**
   * Memory accounting hooks (the keyspace sets them): a structure object entered or left the
   * table (setObj, remove, overwrite by a string, clear). moveTo fires both, netting zero.
   */
  onObjSet: ((obj: unknown) => void) | null = null;
  onObjDrop: ((obj: unknown) => void) | null = null;
  /** Bumped whenever a column or index array is replaced, so memoryBytes() can be cached. */
  memVersion = 0;
  /** clock[e] of a new entry: the keyspace keeps it at "accessed now" (LRU) or LFU's initial. */
  clockInit = 0;
  /** Index of the database this table currently is (SWAPDB exchanges tables; the keyspace keeps it). */
  dbIndex = 0;
  /** A snapshot in progress (see WriteGuard), or null. */
  guard: WriteGuard | null = null;

  private entryCap = 0;
  private hw = 0;
  private n = 0;
  /** Live entries with expireAt != 0: lets the expiry sweep skip tables without TTLs. */
  private ttlN = 0;
  private freeIds: Int32Array = EMPTY_I32;
  private freeTop = 0;

  // Authoritative index.
  private slotHash: Uint32Array = EMPTY_U32;
  private slotEntry: Int32Array = EMPTY_I32;
  private mask = 0;

  // Index under construction; cursor < 0 when not rehashing.
  private newHash: Uint32Array = EMPTY_U32;
  private newEntry: Int32Array = EMPTY_I32;
  private newMask = 0;
  private cursor = -1;
  private stepIds = MIGRATE_MIN;
  /** Safety-net completions of a rehash in one go; stays 0 unless the step bound is wrong. */
  forcedRehashes = 0;

  private rng = (Math.random() * 0x7fffffff) | 1;

  constructor(arena: Arena) {
    this.arena = arena;
    this.reset();
  }

  /** Live keys. */
  get count(): number {
    return this.n;
  }

  /** Entry ids in [0, highWater) may be live. */
  get highWater(): number {
    return this.hw;
  }

  get slots(): number {
    return this.slotEntry.length;
  }

  get rehashing(): boolean {
    return this.cursor >= 0;
  }

  /** Entry ids below this are already in the new index; -1 when not rehashing (tests, INFO). */
  get rehashCursor(): number {
    return this.cursor;
  }

  find(kbuf: Uint8Array, koff: number, klen: number): number {
    return this.findHashed(kbuf, koff, klen, hashBytes(kbuf, koff, klen));
  }

  add(kbuf: Uint8Array, koff: number, klen: number, type: number, vlen: number): number {
    if (!(type >= TYPE_STRING && type <= 255)) throw new RangeError(`table: bad type ${type}`);
    const h = hashBytes(kbuf, koff, klen);
    if (Table.debug && this.findHashed(kbuf, koff, klen, h) >= 0) {
      throw new Error("table: add of an existing key");
    }
    const size = klen + vlen;
    const arena = this.arena;
    const a = arena.alloc(size);
    copyBytes(kbuf, koff, arena.page(a), arena.offset(a), klen);
    const e = this.takeEntryId();
    this.hash[e] = h;
    this.addr[e] = a;
    this.keyLen[e] = klen;
    this.valLen[e] = vlen;
    this.cap[e] = arena.capacityFor(size);
    this.type[e] = type;
    this.expireAt[e] = 0;
    this.clock[e] = this.clockInit;
    this.link(e, h);
    return e;
  }

  /** Replace a string value: in place when it fits without wasting half the block, else move. */
  setValue(e: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    const kl = this.keyLen[e]!;
    const need = kl + vlen;
    const cap = this.cap[e]!;
    const arena = this.arena;
    const a = this.addr[e]!;
    if (need <= cap && arena.capacityFor(need) * 2 > cap) {
      copyBytes(vbuf, voff, arena.page(a), arena.offset(a) + kl, vlen);
      this.valLen[e] = vlen;
      return;
    }
    const na = arena.alloc(need);
    const np = arena.page(na);
    const no = arena.offset(na);
    copyBytes(arena.page(a), arena.offset(a), np, no, kl);
    copyBytes(vbuf, voff, np, no + kl, vlen); // before free: vbuf may be this very block
    arena.free(a, cap);
    this.addr[e] = na;
    this.cap[e] = arena.capacityFor(need);
    this.valLen[e] = vlen;
  }

  /**
   * Make the value vlen bytes, keeping the first min(old, new) bytes; new bytes are zero.
   * Growing reserves 50% headroom so repeated APPENDs copy O(1) times per byte, amortized.
   */
  resizeValue(e: number, vlen: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    const kl = this.keyLen[e]!;
    const old = this.valLen[e]!;
    const need = kl + vlen;
    const cap = this.cap[e]!;
    const arena = this.arena;
    const a = this.addr[e]!;
    if (need <= cap && arena.capacityFor(need) * 2 > cap) {
      if (vlen > old) {
        const vo = arena.offset(a) + kl;
        arena.page(a).fill(0, vo + old, vo + vlen);
      }
      this.valLen[e] = vlen;
      return;
    }
    const want = vlen > old ? Math.min(need + (need >>> 1), 0x7fffffff) : need;
    const na = arena.alloc(want);
    const np = arena.page(na);
    const no = arena.offset(na);
    const keep = Math.min(old, vlen);
    copyBytes(arena.page(a), arena.offset(a), np, no, kl + keep);
    if (vlen > keep) np.fill(0, no + kl + keep, no + kl + vlen);
    arena.free(a, cap);
    this.addr[e] = na;
    this.cap[e] = arena.capacityFor(want);
    this.valLen[e] = vlen;
  }

  /**
   * Like resizeValue but without headroom: the block is right-sized (its size class). For values
   * that are packed structures (a small hash or set in its key's block) that grow a few bytes per
   * write, as a listpack is realloc'ed per insert in Redis. Keeps the first min(old, new) bytes;
   * bytes added are NOT zeroed (the caller writes them).
   */
  resizeValueExact(e: number, vlen: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    const kl = this.keyLen[e]!;
    const need = kl + vlen;
    const cap = this.cap[e]!;
    const arena = this.arena;
    const a = this.addr[e]!;
    if (need <= cap && arena.capacityFor(need) * 2 > cap) {
      this.valLen[e] = vlen;
      return;
    }
    const na = arena.alloc(need);
    copyBytes(
      arena.page(a),
      arena.offset(a),
      arena.page(na),
      arena.offset(na),
      kl + Math.min(this.valLen[e]!, vlen),
    );
    arena.free(a, cap);
    this.addr[e] = na;
    this.cap[e] = arena.capacityFor(need);
    this.valLen[e] = vlen;
  }

  /** SET semantics minus TTL: find-or-add, type becomes string. expireAt is left to the caller. */
  upsertString(
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
  ): number {
    let e = this.find(kbuf, koff, klen);
    if (e < 0) {
      e = this.add(kbuf, koff, klen, TYPE_STRING, vlen);
      const a = this.addr[e]!;
      copyBytes(vbuf, voff, this.arena.page(a), this.arena.offset(a) + klen, vlen);
      return e;
    }
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    if (this.type[e] !== TYPE_STRING) {
      this.type[e] = TYPE_STRING;
      this.dropObj(e);
    }
    this.setValue(e, vbuf, voff, vlen);
    return e;
  }

  remove(e: number): void {
    this.arena.free(this.addr[e]!, this.cap[e]!);
    this.unlink(e);
  }

  /** Move a live entry to another table on the same arena (MOVE, SWAPDB-free); no byte copy. */
  moveTo(e: number, other: Table): number {
    if (other === this || other.arena !== this.arena) {
      throw new Error("table: moveTo needs another table on the same arena");
    }
    if (this.type[e] === TYPE_FREE) throw new Error(`table: moveTo of free entry ${e}`);
    const ne = other.takeEntryId();
    const h = this.hash[e]!;
    other.hash[ne] = h;
    other.addr[ne] = this.addr[e]!;
    other.keyLen[ne] = this.keyLen[e]!;
    other.valLen[ne] = this.valLen[e]!;
    other.cap[ne] = this.cap[e]!;
    other.type[ne] = this.type[e]!;
    other.setExpireAt(ne, this.expireAt[e]!);
    other.clock[ne] = this.clock[e]!;
    if (e < this.objs.length && this.objs[e] !== undefined) other.setObj(ne, this.objs[e]);
    other.link(ne, h);
    this.unlink(e);
    return ne;
  }

  /**
   * Set entry e's expiry (unix ms; 0 = none). Every write of the expireAt column goes through
   * here so that `ttlCount` stays exact.
   */
  setExpireAt(e: number, ms: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    const was = this.expireAt[e]! !== 0;
    const now = ms !== 0;
    if (was !== now) this.ttlN += now ? 1 : -1;
    this.expireAt[e] = ms;
  }

  /** Live keys that have a TTL. */
  get ttlCount(): number {
    return this.ttlN;
  }

  setObj(e: number, obj: unknown): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    if (this.objs.length < this.entryCap) this.growObjs();
    const old = this.objs[e];
    if (old === obj) return;
    if (old !== undefined) this.onObjDrop?.(old);
    this.objs[e] = obj;
    if (obj !== undefined) this.onObjSet?.(obj);
  }

  /** Drop entry e's structure object (if any), telling the memory accounting. */
  private dropObj(e: number): void {
    if (e >= this.objs.length) return;
    const o = this.objs[e];
    if (o === undefined) return;
    this.objs[e] = undefined;
    this.onObjDrop?.(o);
  }

  getObj(e: number): unknown {
    return e < this.objs.length ? this.objs[e] : undefined;
  }

  page(e: number): Uint8Array {
    return this.arena.page(this.addr[e]!);
  }

  keyOffset(e: number): number {
    return this.arena.offset(this.addr[e]!);
  }

  valueOffset(e: number): number {
    return this.arena.offset(this.addr[e]!) + this.keyLen[e]!;
  }

  /** A copy of the key (safe to keep: the block may move or be reused). Allocates. */
  keyBytes(e: number): Uint8Array {
    const o = this.keyOffset(e);
    return this.page(e).slice(o, o + this.keyLen[e]!);
  }

  /** A copy of the value. Allocates. */
  valueBytes(e: number): Uint8Array {
    const o = this.valueOffset(e);
    return this.page(e).slice(o, o + this.valLen[e]!);
  }

  /** Next live entry id >= from, or -1. */
  nextEntry(from: number): number {
    const type = this.type;
    for (let e = Math.max(from, 0); e < this.hw; e++) {
      if (type[e] !== TYPE_FREE) return e;
    }
    return -1;
  }

  /**
   * A uniformly random live entry, or -1. Samples index slots: each live entry owns exactly one
   * slot and the index is kept >= 1/16 full, so 128 tries almost always hit; otherwise it walks
   * from a random slot (always terminates, slightly biased).
   */
  randomEntry(): number {
    if (this.n === 0) return -1;
    const se = this.slotEntry;
    const mask = this.mask;
    for (let t = 0; t < RANDOM_TRIES; t++) {
      const s = se[this.random() & mask]!;
      if (s !== 0) return s - 1;
    }
    for (let i = this.random() & mask; ; i = (i + 1) & mask) {
      if (se[i] !== 0) return se[i]! - 1;
    }
  }

  /** FLUSHDB: free every block, then shrink back to an empty small table. O(highWater). */
  clear(): void {
    const type = this.type;
    for (let e = 0; e < this.hw; e++) {
      if (type[e] === TYPE_FREE) continue;
      this.arena.free(this.addr[e]!, this.cap[e]!);
      this.dropObj(e);
    }
    this.reset();
  }

  /** Forget every entry without freeing blocks: only when the arena itself is reset. */
  reset(): void {
    this.entryCap = MIN_ENTRIES;
    this.hash = new Uint32Array(MIN_ENTRIES);
    this.addr = new Float64Array(MIN_ENTRIES);
    this.keyLen = new Int32Array(MIN_ENTRIES);
    this.valLen = new Int32Array(MIN_ENTRIES);
    this.cap = new Int32Array(MIN_ENTRIES);
    this.type = new Uint8Array(MIN_ENTRIES);
    this.expireAt = new Float64Array(MIN_ENTRIES);
    this.clock = new Uint32Array(MIN_ENTRIES);
    this.objs = [];
    this.freeIds = new Int32Array(MIN_ENTRIES);
    this.freeTop = 0;
    this.hw = 0;
    this.n = 0;
    this.ttlN = 0;
    this.slotHash = new Uint32Array(MIN_SLOTS);
    this.slotEntry = new Int32Array(MIN_SLOTS);
    this.mask = MIN_SLOTS - 1;
    this.newHash = EMPTY_U32;
    this.newEntry = EMPTY_I32;
    this.newMask = 0;
    this.cursor = -1;
    this.memVersion++;
  }

  /** Migrate up to maxEntries entry ids into the new index. Returns true while still rehashing. */
  rehashStep(maxEntries: number): boolean {
    if (this.cursor < 0) return false;
    this.migrate(maxEntries);
    return this.cursor >= 0;
  }

  /** Bytes held by columns, indexes and free lists (not the arena). objs counted at 8 B/slot. */
  memoryBytes(): number {
    return (
      this.hash.byteLength +
      this.addr.byteLength +
      this.keyLen.byteLength +
      this.valLen.byteLength +
      this.cap.byteLength +
      this.type.byteLength +
      this.expireAt.byteLength +
      this.clock.byteLength +
      this.freeIds.byteLength +
      this.slotHash.byteLength +
      this.slotEntry.byteLength +
      this.newHash.byteLength +
      this.newEntry.byteLength +
      this.objs.length * 8
    );
  }

  /** Verify every invariant listed at the top of this file. Throws on the first violation. O(n). */
  checkInvariants(): void {
    const type = this.type;
    let live = 0;
    for (let e = 0; e < this.hw; e++) if (type[e] !== TYPE_FREE) live++;
    for (let e = this.hw; e < this.entryCap; e++) {
      if (type[e] !== TYPE_FREE) throw new Error(`table: live entry ${e} above highWater`);
    }
    if (live !== this.n) throw new Error(`table: count ${this.n} but ${live} live entries`);
    if (live + this.freeTop !== this.hw) throw new Error("table: free list size mismatch");
    const seen = new Set<number>();
    for (let i = 0; i < this.freeTop; i++) {
      const e = this.freeIds[i]!;
      if (e >= this.hw || type[e] !== TYPE_FREE || seen.has(e)) {
        throw new Error(`table: bad free id ${e}`);
      }
      seen.add(e);
    }
    const inOld = checkIndex("index", this.slotHash, this.slotEntry, this.hash, type, this.hw);
    if (inOld !== this.n) throw new Error(`table: index holds ${inOld}, count ${this.n}`);
    if (this.cursor >= 0) {
      const c = this.cursor;
      const inNew = checkIndex("new index", this.newHash, this.newEntry, this.hash, type, c);
      let below = 0;
      for (let e = 0; e < c; e++) if (type[e] !== TYPE_FREE) below++;
      if (inNew !== below) throw new Error(`table: new index ${inNew}, expected ${below}`);
    }
    let ttl = 0;
    for (let e = 0; e < this.hw; e++) if (type[e] !== TYPE_FREE && this.expireAt[e] !== 0) ttl++;
    if (ttl !== this.ttlN) throw new Error(`table: ttlCount ${this.ttlN}, expected ${ttl}`);
    for (let e = 0; e < this.hw; e++) {
      if (type[e] === TYPE_FREE) continue;
      const page = this.page(e);
      const o = this.keyOffset(e);
      const kl = this.keyLen[e]!;
      if (this.hash[e] !== hashBytes(page, o, kl)) throw new Error(`table: stale hash at ${e}`);
      if (kl + this.valLen[e]! > this.cap[e]!) throw new Error(`table: block overflow at ${e}`);
      if (this.findHashed(page, o, kl, this.hash[e]!) !== e) {
        throw new Error(`table: entry ${e} not findable`);
      }
    }
  }

  // --- internals -------------------------------------------------------------------------

  private findHashed(kbuf: Uint8Array, koff: number, klen: number, h: number): number {
    const sh = this.slotHash;
    const se = this.slotEntry;
    const mask = this.mask;
    const keyLen = this.keyLen;
    const addr = this.addr;
    const arena = this.arena;
    let i = h & mask;
    for (;;) {
      const t = se[i]!;
      if (t === 0) return -1;
      if (sh[i] === h) {
        const e = t - 1;
        if (keyLen[e] === klen) {
          const a = addr[e]!;
          if (bytesEqual(arena.page(a), arena.offset(a), kbuf, koff, klen)) return e;
        }
      }
      i = (i + 1) & mask;
    }
  }

  private takeEntryId(): number {
    let e: number;
    if (this.freeTop > 0) e = this.freeIds[--this.freeTop]!;
    else {
      if (this.hw === this.entryCap) this.growEntries();
      e = this.hw++;
    }
    if (this.guard !== null) this.guard.created(this, e);
    return e;
  }

  /** Put a filled-in entry into the index (and the new one if already migrated past it). */
  private link(e: number, h: number): void {
    this.n++;
    indexInsert(this.slotHash, this.slotEntry, this.mask, h, e);
    if (this.cursor >= 0) {
      if (e < this.cursor) indexInsert(this.newHash, this.newEntry, this.newMask, h, e);
      // Safety net: never let either index pass 7/8 full, whatever the step bound says.
      const limit = Math.min(this.slotEntry.length, this.newEntry.length);
      if (this.n * 8 > limit * 7) {
        this.forcedRehashes++;
        this.migrate(Number.POSITIVE_INFINITY);
      } else {
        this.migrate(this.stepIds);
      }
    } else if (this.n * 4 > this.slotEntry.length * 3) {
      this.startRehash(this.slotEntry.length * 2);
    }
  }

  /** Take a live entry out of the index and the columns; its block is the caller's business. */
  private unlink(e: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    if (this.type[e] === TYPE_FREE) throw new Error(`table: entry ${e} is not live`);
    const h = this.hash[e]!;
    indexDelete(this.slotHash, this.slotEntry, this.mask, h, e);
    if (this.cursor >= 0 && e < this.cursor) {
      indexDelete(this.newHash, this.newEntry, this.newMask, h, e);
    }
    this.type[e] = TYPE_FREE;
    this.setExpireAt(e, 0);
    this.clock[e] = 0;
    this.addr[e] = 0;
    this.dropObj(e);
    if (this.freeTop === this.freeIds.length) {
      // Sized by deletes, not by capacity: an insert-only table pays nothing for it.
      const bigger = new Int32Array(this.freeIds.length * 2);
      bigger.set(this.freeIds);
      this.freeIds = bigger;
      this.memVersion++;
    }
    this.freeIds[this.freeTop++] = e;
    this.n--;
    if (this.cursor >= 0) this.migrate(this.stepIds);
    else this.maybeShrink();
  }

  private maybeShrink(): void {
    const slots = this.slotEntry.length;
    if (slots > MIN_SLOTS && this.n * 8 < slots) {
      let target = MIN_SLOTS;
      while (target < this.n * 2) target *= 2;
      this.startRehash(target);
    }
  }

  private startRehash(slots: number): void {
    this.newHash = new Uint32Array(slots);
    this.newEntry = new Int32Array(slots);
    this.newMask = slots - 1;
    this.cursor = 0;
    this.memVersion++;
    // Finish within min(old, new)/8 writes so neither index passes 7/8 full: visit enough ids
    // per write even when highWater is far above count (a sparse table after mass deletes).
    const budget = Math.max(1, Math.min(slots, this.slotEntry.length) >>> 3);
    this.stepIds = Math.max(MIGRATE_MIN, Math.ceil((2 * this.hw) / budget));
  }

  private migrate(maxIds: number): void {
    const type = this.type;
    const hash = this.hash;
    const nh = this.newHash;
    const ne = this.newEntry;
    const nm = this.newMask;
    let c = this.cursor;
    const end = Math.min(this.hw, c + maxIds);
    for (; c < end; c++) {
      if (type[c] !== TYPE_FREE) indexInsert(nh, ne, nm, hash[c]!, c);
    }
    this.cursor = c;
    if (c < this.hw) return;
    this.slotHash = nh;
    this.slotEntry = ne;
    this.mask = nm;
    this.newHash = EMPTY_U32;
    this.newEntry = EMPTY_I32;
    this.newMask = 0;
    this.cursor = -1;
    this.memVersion++;
    // Writes during the rehash may already call for the next resize.
    if (this.n * 4 > nh.length * 3) this.startRehash(nh.length * 2);
    else this.maybeShrink();
  }

  private growEntries(): void {
    const cap = this.entryCap * 2;
    const hash = new Uint32Array(cap);
    hash.set(this.hash);
    this.hash = hash;
    const addr = new Float64Array(cap);
    addr.set(this.addr);
    this.addr = addr;
    const keyLen = new Int32Array(cap);
    keyLen.set(this.keyLen);
    this.keyLen = keyLen;
    const valLen = new Int32Array(cap);
    valLen.set(this.valLen);
    this.valLen = valLen;
    const capCol = new Int32Array(cap);
    capCol.set(this.cap);
    this.cap = capCol;
    const type = new Uint8Array(cap);
    type.set(this.type);
    this.type = type;
    const expireAt = new Float64Array(cap);
    expireAt.set(this.expireAt);
    this.expireAt = expireAt;
    const clock = new Uint32Array(cap);
    clock.set(this.clock);
    this.clock = clock;
    this.entryCap = cap;
    this.memVersion++;
    if (this.objs.length > 0) this.growObjs();
  }

  private growObjs(): void {
    for (let i = this.objs.length; i < this.entryCap; i++) this.objs.push(undefined);
    this.memVersion++;
  }

  private random(): number {
    // xorshift32: cheap, allocation-free; quality is plenty for sampling.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return x >>> 0;
  }
}
