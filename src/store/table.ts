// Table: one logical database. A compact dict (like CPython's): dense entry columns indexed by an
// entry id, plus an open-addressing index (linear probing, backward-shift deletion) that maps a
// key's hash to its entry id. Keys and string values live as bytes in the shared Arena.
//
// Invariants (checked by checkInvariants()):
// - an entry is live iff type[e] !== 0; live ids are < highWater; entries never move while live,
//   so a SCAN cursor that is an entry id never misses a key present for the whole scan;
// - every live entry sits in the authoritative index, reachable from its home slot
//   (home(hash, slots)) through occupied slots only: no tombstones, deletes shift entries back;
// - while rehashing, the new index holds exactly the live entries with id < cursor;
// - free ids below highWater form one list threaded through their addr[] rows (addr[e] is the
//   next free id + 1, 0 ends it), so deleting never grows (or copies) a separate stack;
// - there is no hash column: an index slot holds its entry's hash, and the few places that
//   need the hash of a row (unlink, migrate, moveTo) hash the key bytes again (keyHash).

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
/**
 * A shrink stops at this many slots (8 KiB) unless the table is empty (then the index is
 * replaced at once, nothing to move). A pass costs ~highWater/8 however few keys are left, and
 * below this size the per-write budget (slots/8 writes) is too short to spread it: at 10M rows
 * the shrinks to 64 and 16 slots each did a whole ~4 ms pass inside one delete.
 */
const SHRINK_FLOOR_SLOTS = 1024;
const MIN_ENTRIES = 16;
/**
 * Columns this many rows or larger grow incrementally, by 1.5x: the grown columns are allocated
 * when highWater passes 7/8 of the capacity and rows are copied GROW_STEP_ROWS per write, so no
 * single write copies the whole table. Smaller ones double in one go (well under 1 ms).
 */
export const INCREMENTAL_GROW_ROWS = 1 << 15;
/**
 * Rows copied into the grown columns per write. The copy of hw rows then ends within hw/16
 * writes, before the last cap/8 free rows are used up (hw <= cap), so growth never has to
 * finish in one go (forcedGrowths stays 0).
 */
const GROW_STEP_ROWS = 16;
/** Bytes per row of the entry columns (addr 8, keyLen 4, valLen 4, capCode 1, type 1,
 * expireAt 8, clock 4). */
export const ROW_BYTES = 30;
/**
 * Units of migration work per write while rehashing (raised for sparse tables, see
 * startRehash). A unit is one id looked at, or eight free ids skipped by one 8-byte read.
 */
const MIGRATE_MIN = 256;
/**
 * Units charged for faulting in one 4 KiB page of a new index before the migration starts.
 * A first touch of SharedArrayBuffer memory measured 6-8 us a page on the busy machine (50-70
 * ms for a 32 MB index); left to the random inserts, a few thousand of them landed in one
 * expiry slice. Paced here, a write pays for at most 4 pages.
 */
const FAULT_UNITS = 64;
/**
 * Units charged for migrating one live row on top of looking at its id: its key is hashed
 * again from its block (no hash column), a likely cache miss plus the hash.
 */
const LIVE_UNITS = 4;
/** Uint32 elements of the index per 4 KiB page. */
const PAGE_U32 = 1024;
/** randomEntry probes this many random slots before falling back to a linear walk. */
const RANDOM_TRIES = 128;

/** Keys per prefetch() pass: loads in flight together, within the CPU's miss buffers. */
const PREFETCH_BATCH = 16;
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_I32 = new Int32Array(0);

/**
 * Arrays of at least this many bytes live on a SharedArrayBuffer. In Bun (JSC) a large plain
 * typed array may reuse memory the allocator got back from an earlier one and must then zero
 * it: growing 10M-row columns measured 98 ms in `new` alone. A SharedArrayBuffer is fresh,
 * lazily zeroed memory from the OS (allocation ~0.1 ms at any size) and goes back to the OS when
 * collected; element access is as fast as on a plain array (bench: random reads 5.96 vs 6.47 ms
 * per 1M, scans equal). Nothing here is shared with another thread.
 */
const FRESH_BYTES = 1 << 20;

function freshU32(n: number): Uint32Array {
  return n * 4 >= FRESH_BYTES ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
}
function freshI32(n: number): Int32Array {
  return n * 4 >= FRESH_BYTES ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
}
function freshF64(n: number): Float64Array {
  return n * 8 >= FRESH_BYTES
    ? new Float64Array(new SharedArrayBuffer(n * 8))
    : new Float64Array(n);
}
function freshU8(n: number): Uint8Array {
  return n >= FRESH_BYTES ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
}

/**
 * The index is one Uint32Array of slot pairs: ix[2i] is the slot's hash, ix[2i + 1] its entry id
 * + 1 (0 = empty). A probe reads one 8-byte pair, so one cache line per probe, not one per array.
 */
function freshIndex(slots: number): Uint32Array {
  return freshU32(slots * 2);
}

/**
 * The home slot of hash h in an index of n slots (any n, not only powers of two: the index
 * grows by 1.5x): h * n / 2^32 rounded down, by multiply-shift. In doubles h * n (< 2^63) is
 * rounded to 53 bits, which can move the result by one near a boundary, but always the same
 * way for the same h and n, and it stays below n (the rounding error is far under n / 2^32).
 */
function home(h: number, n: number): number {
  return (h * n * 2.3283064365386963e-10) | 0;
}

/** The slot after i in an index of n slots (wrapping). */
function nextSlot(i: number, n: number): number {
  return i + 1 === n ? 0 : i + 1;
}

/**
 * Slots of the next bigger index: 1.5x (a multiple of 8). Doubling at 3/4 left the index
 * between 3/8 and 3/4 full (0.48 at 1M keys, 16.8 B/key); 1.5x keeps it between 1/2 and 3/4.
 */
function grownSlots(slots: number): number {
  return Math.ceil((slots + (slots >>> 1)) / 8) * 8;
}

/** Insert entry `e` with hash `h`; the caller guarantees a free slot exists. */
function indexInsert(ix: Uint32Array, n: number, h: number, e: number): void {
  let i = home(h, n);
  while (ix[2 * i + 1] !== 0) i = nextSlot(i, n);
  ix[2 * i] = h;
  ix[2 * i + 1] = e + 1;
}

/** Unlink entry `e` and close the gap by shifting later cluster members back (no tombstone). */
function indexDelete(ix: Uint32Array, n: number, h: number, e: number): void {
  const tag = e + 1;
  let i = home(h, n);
  for (let probes = 0; ix[2 * i + 1] !== tag; probes++) {
    if (ix[2 * i + 1] === 0 || probes >= n) {
      throw new Error(`table: entry ${e} missing from index`);
    }
    i = nextSlot(i, n);
  }
  let j = i;
  for (;;) {
    j = nextSlot(j, n);
    const t = ix[2 * j + 1]!;
    if (t === 0) break;
    const hj = ix[2 * j]!;
    const k = home(hj, n);
    // The entry at j must stay if its home k lies cyclically in (i, j]; else it fills hole i.
    const stays = i <= j ? i < k && k <= j : i < k || k <= j;
    if (!stays) {
      ix[2 * i] = hj;
      ix[2 * i + 1] = t;
      i = j;
    }
  }
  ix[2 * i + 1] = 0;
  ix[2 * i] = 0;
}

function checkIndex(name: string, ix: Uint32Array, tab: Table, limit: number): number {
  const type = tab.type;
  const slots = ix.length >>> 1;
  let n = 0;
  for (let i = 0; i < slots; i++) {
    const t = ix[2 * i + 1]!;
    if (t === 0) continue;
    const e = t - 1;
    n++;
    if (e >= limit || type[e] === TYPE_FREE) throw new Error(`${name}: slot ${i} -> dead ${e}`);
    if (ix[2 * i] !== tab.keyHash(e)) throw new Error(`${name}: slot ${i} hash mismatch for ${e}`);
    for (let k = home(ix[2 * i]!, slots); k !== i; k = nextSlot(k, slots)) {
      if (ix[2 * k + 1] === 0)
        throw new Error(`${name}: hole at ${k} before entry ${e} at slot ${i}`);
    }
  }
  return n;
}

export class Table {
  /** When true, add() asserts the key is absent (costs one lookup; tests turn it on). */
  static debug = false;

  readonly arena: Arena;

  // Entry columns. They are replaced when they grow: re-read them after add/upsert/moveTo.
  addr: Float64Array = new Float64Array(0);
  keyLen: Int32Array = EMPTY_I32;
  valLen: Int32Array = EMPTY_I32;
  /** Block capacity as Arena.capacityCode (size class, or LARGE_CODE); read via capacity(e). */
  capCode: Uint8Array = new Uint8Array(0);
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
  /**
   * A key was created in this table (add, addIfAbsent, moveTo's destination): Redis's dbAdd,
   * which publishes the "new" keyspace event (class n). Set only while that class is enabled.
   */
  onAdded: ((t: Table, e: number) => void) | null = null;
  /**
   * Set by a command around the add() that re-creates a key it just removed to store a value of
   * another type (Redis's setKey -> dbOverwrite: SET over a hash, ZUNIONSTORE over a set): that
   * add is not a new key, so onAdded is not called.
   */
  overwriting = false;
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
  /** Head of the free-id list (see the invariants above), -1 when empty, and its length. */
  private freeHead = -1;
  private freeN = 0;
  /** The type column read eight rows at a time (migrate skips free stretches with it). */
  private typeOcts: Float64Array = new Float64Array(0);
  /** prefetch(): entry ids of one batch. */
  private readonly prefetchIds = new Int32Array(PREFETCH_BATCH);
  /** prefetch(): the sum of what it read (unused). */
  prefetchSink = 0;

  // Authoritative index.
  /** Slot pairs (hash, entry id + 1): see freshIndex. */
  private index: Uint32Array = EMPTY_U32;
  /** Slots of the index (ix.length / 2; any multiple of 8, see grownSlots). */
  private nSlots = 0;

  // Index under construction; cursor < 0 when not rehashing.
  private newIndex: Uint32Array = EMPTY_U32;
  private newSlots = 0;
  private cursor = -1;
  /** Uint32 elements of the new index faulted in so far (migration starts when all are). */
  private faulted = 0;
  private stepIds = MIGRATE_MIN;
  /** Safety-net completions of a rehash in one go; stays 0 unless the step bound is wrong. */
  forcedRehashes = 0;
  /** Units of rehash work done so far (see MIGRATE_MIN, FAULT_UNITS; tests bound it). */
  rehashWork = 0;

  // Grown columns being filled (rows [0, growCursor) copied); growCursor < 0 when not growing.
  private gAddr: Float64Array = new Float64Array(0);
  private gKeyLen: Int32Array = EMPTY_I32;
  private gValLen: Int32Array = EMPTY_I32;
  private gCapCode: Uint8Array = new Uint8Array(0);
  private gType: Uint8Array = new Uint8Array(0);
  private gExpireAt: Float64Array = new Float64Array(0);
  private gClock: Uint32Array = EMPTY_U32;
  private growCursor = -1;
  private growCap = 0;
  /** Incremental column growths finished in one go because highWater caught up (should be 0). */
  forcedGrowths = 0;

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
    return this.index.length >>> 1;
  }

  get rehashing(): boolean {
    return this.cursor >= 0;
  }

  /** True while the entry columns are being copied into bigger ones (tests, benches). */
  get growing(): boolean {
    return this.growCursor >= 0;
  }

  /** Rows the entry columns hold now. */
  get capacityRows(): number {
    return this.entryCap;
  }

  /** Entry e's block capacity (what arena.free needs). */
  capacity(e: number): number {
    return this.arena.capacityOfCode(this.capCode[e]!, this.addr[e]!);
  }

  /** Entry ids below this are already in the new index; -1 when not rehashing (tests, INFO). */
  get rehashCursor(): number {
    return this.cursor;
  }

  /** Units of rehash work each write does while rehashing (tests). */
  get rehashStepUnits(): number {
    return this.stepIds;
  }

  find(kbuf: Uint8Array, koff: number, klen: number): number {
    return this.findHashed(kbuf, koff, klen, hashBytes(kbuf, koff, klen));
  }

  /**
   * Bring the index slots, entry columns and key bytes of keys kbuf[offs[i], +lens[i]) for
   * i = first, first + step, ... (n keys) into the cache before a multi-key command works
   * through them one by one (MSET). find() follows one key's chain of dependent misses (slot,
   * then ~8 columns, then the key bytes) before the next key starts; here each pass issues one
   * independent load per key, which the CPU overlaps (Redis 8 prefetches batches likewise).
   * Changes nothing but `prefetchSink` (a stored sum, so the JIT keeps the loads).
   */
  prefetch(
    kbuf: Uint8Array,
    offs: Int32Array,
    lens: Int32Array,
    first: number,
    step: number,
    n: number,
  ): void {
    const ids = this.prefetchIds;
    const ix = this.index;
    const ns = this.nSlots;
    let acc = 0;
    for (let k = 0; k < n; k += PREFETCH_BATCH) {
      const m = Math.min(PREFETCH_BATCH, n - k);
      for (let j = 0; j < m; j++) {
        const i = first + (k + j) * step;
        const h = hashBytes(kbuf, offs[i]!, lens[i]!);
        const s = home(h, ns);
        // Only the key's own entry: a home slot held by another key (or empty: a new key) would
        // cost two misses for lines the command never reads.
        ids[j] = ix[2 * s]! === h ? ix[2 * s + 1]! - 1 : -1;
      }
      for (let j = 0; j < m; j++) {
        const e = ids[j]!;
        if (e < 0) continue;
        acc +=
          this.keyLen[e]! + this.valLen[e]! + this.capCode[e]! + this.type[e]! + this.clock[e]!;
        acc += this.expireAt[e]! + this.addr[e]!;
      }
      const arena = this.arena;
      for (let j = 0; j < m; j++) {
        const e = ids[j]!;
        if (e >= 0) acc += arena.page(this.addr[e]!)[arena.offset(this.addr[e]!)]!;
      }
    }
    this.prefetchSink = acc;
  }

  add(kbuf: Uint8Array, koff: number, klen: number, type: number, vlen: number): number {
    if (!(type >= TYPE_STRING && type <= 255)) throw new RangeError(`table: bad type ${type}`);
    const h = hashBytes(kbuf, koff, klen);
    if (Table.debug && this.findHashed(kbuf, koff, klen, h) >= 0) {
      throw new Error("table: add of an existing key");
    }
    const e = this.newEntry(kbuf, koff, klen, type, vlen);
    this.link(e, h);
    if (this.onAdded !== null && !this.overwriting) this.onAdded(this, e);
    return e;
  }

  /** A block holding the key (vlen bytes of value to follow) and a row for it; not indexed. */
  private newEntry(
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    type: number,
    vlen: number,
  ): number {
    const size = klen + vlen;
    const arena = this.arena;
    const a = arena.alloc(size);
    copyBytes(kbuf, koff, arena.page(a), arena.offset(a), klen);
    const e = this.takeEntryId();
    this.addr[e] = a;
    this.keyLen[e] = klen;
    this.valLen[e] = vlen;
    this.capCode[e] = arena.capacityCode(size);
    this.type[e] = type;
    // expireAt[e] is already 0 (free rows keep it 0): not writing it leaves the page of a
    // column nobody sets untouched, so it costs no RSS in a keyspace without TTLs.
    this.clock[e] = this.clockInit;
    if (e < this.growCursor) this.mirror(e);
    return e;
  }

  /**
   * add() when the key is absent, in one hash and one probe: the probe that finds no such key
   * ends on the free slot the new entry then takes. Returns -1 (nothing changed) when the key
   * exists. For bulk loads (an RDB file, where a key twice is an error) instead of find + add.
   */
  addIfAbsent(kbuf: Uint8Array, koff: number, klen: number, type: number, vlen: number): number {
    if (!(type >= TYPE_STRING && type <= 255)) throw new RangeError(`table: bad type ${type}`);
    const h = hashBytes(kbuf, koff, klen);
    const ix = this.index;
    const ns = this.nSlots;
    const keyLen = this.keyLen;
    const addrs = this.addr;
    const arena = this.arena;
    let i = home(h, ns);
    for (;;) {
      const t = ix[2 * i + 1]!;
      if (t === 0) break;
      if (ix[2 * i] === h) {
        const e = t - 1;
        if (keyLen[e] === klen) {
          const a = addrs[e]!;
          if (bytesEqual(arena.page(a), arena.offset(a), kbuf, koff, klen)) return -1;
        }
      }
      i = nextSlot(i, ns);
    }
    // Neither takeEntryId (columns only) nor alloc touches the index: slot i is still free.
    const e = this.newEntry(kbuf, koff, klen, type, vlen);
    ix[2 * i] = h;
    ix[2 * i + 1] = e + 1;
    this.linked(e, h);
    if (this.onAdded !== null && !this.overwriting) this.onAdded(this, e);
    return e;
  }

  /**
   * Make room for `n` live keys in all: the entry columns and the index at the size they would
   * grow to, so the next n - count adds neither rehash nor grow columns (an RDB load with
   * RESIZEDB). Only grows; a growth or rehash in progress is finished first. The caller bounds
   * n (a file's RESIZEDB may lie).
   */
  reserve(n: number): void {
    if (this.growCursor >= 0) this.growStep(Number.POSITIVE_INFINITY);
    if (this.cursor >= 0) this.migrate(Number.POSITIVE_INFINITY);
    // Rows: the capacity the adds would have grown to (doubling when full below
    // INCREMENTAL_GROW_ROWS, then 1.5x past 7/8: takeEntryId), so the table keeps the same
    // headroom after the load. Sized exactly (n * 8 / 7), the first writes after a load started
    // a growth at once: a P1 writer's p99 went from 0.29 to 1.9 ms (bench/snapshot.ts).
    let cap = Math.max(this.entryCap, MIN_ENTRIES);
    for (;;) {
      if (cap < INCREMENTAL_GROW_ROWS) {
        if (n <= cap) break;
        cap *= 2;
      } else {
        if (n <= cap - (cap >>> 3)) break;
        cap = Math.ceil((cap + (cap >>> 1)) / 1024) * 1024;
      }
    }
    if (cap > this.entryCap) {
      this.startGrowth(cap);
      this.growStep(Number.POSITIVE_INFINITY);
    }
    // Slots: a rehash starts past 3/4 full (link).
    let slots = this.slots;
    while (n * 4 > slots * 3) slots = grownSlots(slots);
    if (slots > this.slots) {
      // Not startRehash + migrate: migrate's end would shrink an index this empty right back.
      const ni = freshIndex(slots);
      const nm = slots;
      const type = this.type;
      for (let e = 0; e < this.hw; e++) {
        if (type[e] !== TYPE_FREE) indexInsert(ni, nm, this.keyHash(e), e);
      }
      this.index = ni;
      this.nSlots = slots;
      this.memVersion++;
    }
  }

  /**
   * Entry e's value bytes are about to be overwritten in place, same length, by the caller
   * (INCR's digits): the snapshot guard sees the old bytes first. Nothing else changes (not
   * the block, its length or the columns, so there is nothing to mirror during a growth).
   */
  beforeValueWrite(e: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
  }

  /**
   * Replace a string value: in place when it fits without wasting half the block, else move.
   * vbuf may be the block's own page (copied as memmove), not another view of an arena page.
   */
  setValue(e: number, vbuf: Uint8Array, voff: number, vlen: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    const kl = this.keyLen[e]!;
    const arena = this.arena;
    const a = this.addr[e]!;
    if (vlen === this.valLen[e]) {
      // Same length (INCR within a power of ten, SET of an equal-size value): the block is
      // already right for it, so neither its capacity (capCode) nor the size class is read.
      const page = arena.page(a);
      const vo = arena.offset(a) + kl;
      if (vlen > 16 || vbuf === page) copyBytes(vbuf, voff, page, vo, vlen);
      else for (let i = 0; i < vlen; i++) page[vo + i] = vbuf[voff + i]!;
      return;
    }
    const need = kl + vlen;
    const cap = this.capacity(e);
    if (need <= cap && arena.capacityFor(need) * 2 > cap) {
      copyBytes(vbuf, voff, arena.page(a), arena.offset(a) + kl, vlen);
      this.valLen[e] = vlen;
      if (e < this.growCursor) this.gValLen[e] = vlen;
      return;
    }
    const na = arena.alloc(need);
    const np = arena.page(na);
    const no = arena.offset(na);
    copyBytes(arena.page(a), arena.offset(a), np, no, kl);
    copyBytes(vbuf, voff, np, no + kl, vlen); // before free: vbuf may be this very block
    arena.free(a, cap);
    this.addr[e] = na;
    this.capCode[e] = arena.capacityCode(need);
    this.valLen[e] = vlen;
    if (e < this.growCursor) this.mirror(e);
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
    const cap = this.capacity(e);
    const arena = this.arena;
    const a = this.addr[e]!;
    if (need <= cap && arena.capacityFor(need) * 2 > cap) {
      if (vlen > old) {
        const vo = arena.offset(a) + kl;
        arena.page(a).fill(0, vo + old, vo + vlen);
      }
      this.valLen[e] = vlen;
      if (e < this.growCursor) this.gValLen[e] = vlen;
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
    this.capCode[e] = arena.capacityCode(want);
    this.valLen[e] = vlen;
    if (e < this.growCursor) this.mirror(e);
  }

  /**
   * Move entry e's block to a fresh block of the same capacity (arena compaction). Returns
   * false if the block was not on an evacuating page. Entry ids, lengths and bytes stay.
   */
  relocate(e: number): boolean {
    const arena = this.arena;
    const a = this.addr[e]!;
    if (!arena.isEvacuating(a)) return false;
    const cap = this.capacity(e);
    const na = arena.alloc(cap);
    copyBytes(
      arena.page(a),
      arena.offset(a),
      arena.page(na),
      arena.offset(na),
      this.keyLen[e]! + this.valLen[e]!,
    );
    arena.free(a, cap);
    this.addr[e] = na;
    if (e < this.growCursor) this.gAddr[e] = na;
    return true;
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
    const cap = this.capacity(e);
    const arena = this.arena;
    const a = this.addr[e]!;
    if (need <= cap && arena.capacityFor(need) * 2 > cap) {
      this.valLen[e] = vlen;
      if (e < this.growCursor) this.gValLen[e] = vlen;
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
    this.capCode[e] = arena.capacityCode(need);
    this.valLen[e] = vlen;
    if (e < this.growCursor) this.mirror(e);
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
      if (e < this.growCursor) this.gType[e] = TYPE_STRING;
      this.dropObj(e);
    }
    this.setValue(e, vbuf, voff, vlen);
    return e;
  }

  remove(e: number): void {
    const a = this.addr[e]!;
    const cap = this.capacity(e);
    this.unlink(e); // first: it hashes the key from the block (and the guard reads the row)
    this.arena.free(a, cap);
  }

  /** Move a live entry to another table on the same arena (MOVE, SWAPDB-free); no byte copy. */
  moveTo(e: number, other: Table): number {
    if (other === this || other.arena !== this.arena) {
      throw new Error("table: moveTo needs another table on the same arena");
    }
    if (this.type[e] === TYPE_FREE) throw new Error(`table: moveTo of free entry ${e}`);
    const ne = other.takeEntryId();
    const h = this.keyHash(e);
    other.addr[ne] = this.addr[e]!;
    other.keyLen[ne] = this.keyLen[e]!;
    other.valLen[ne] = this.valLen[e]!;
    other.capCode[ne] = this.capCode[e]!;
    other.type[ne] = this.type[e]!;
    other.setExpireAt(ne, this.expireAt[e]!);
    other.clock[ne] = this.clock[e]!;
    if (ne < other.growCursor) other.mirror(ne);
    if (e < this.objs.length && this.objs[e] !== undefined) other.setObj(ne, this.objs[e]);
    other.link(ne, h);
    this.unlink(e);
    if (other.onAdded !== null) other.onAdded(other, ne);
    return ne;
  }

  /**
   * Set entry e's expiry (unix ms; 0 = none). Every write of the expireAt column goes through
   * here so that `ttlCount` stays exact.
   */
  setExpireAt(e: number, ms: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    const old = this.expireAt[e]!;
    if (old === ms) return; // no write: an untouched column page stays unbacked
    if ((old !== 0) !== (ms !== 0)) this.ttlN += ms !== 0 ? 1 : -1;
    this.expireAt[e] = ms;
    if (e < this.growCursor) this.gExpireAt[e] = ms;
  }

  /**
   * Write entry e's access clock. External writers must use this (not `clock[e] =`) so that a
   * write during an incremental column growth reaches the grown columns too.
   */
  setClock(e: number, v: number): void {
    this.clock[e] = v;
    if (e < this.growCursor) this.gClock[e] = v;
  }

  /** Live keys that have a TTL. */
  get ttlCount(): number {
    return this.ttlN;
  }

  setObj(e: number, obj: unknown): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    if (e >= this.objs.length) this.growObjs(e);
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

  /** The hash of entry e's key (the index slot holds it too; rows do not: 4 B per row). */
  keyHash(e: number): number {
    const a = this.addr[e]!;
    return hashBytes(this.arena.page(a), this.arena.offset(a), this.keyLen[e]!);
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
    const ix = this.index;
    const ns = this.nSlots;
    for (let t = 0; t < RANDOM_TRIES; t++) {
      const s = ix[2 * home(this.random(), ns) + 1]!;
      if (s !== 0) return s - 1;
    }
    for (let i = home(this.random(), ns); ; i = nextSlot(i, ns)) {
      if (ix[2 * i + 1] !== 0) return ix[2 * i + 1]! - 1;
    }
  }

  /** FLUSHDB: free every block, then shrink back to an empty small table. O(highWater). */
  clear(): void {
    const type = this.type;
    for (let e = 0; e < this.hw; e++) {
      if (type[e] === TYPE_FREE) continue;
      this.arena.free(this.addr[e]!, this.capacity(e));
      this.dropObj(e);
    }
    this.reset();
  }

  /**
   * Lazy FLUSHDB's step on a table already detached from its database: free the blocks and
   * objects of rows [from, to) and mark them free, without touching the index (the table is
   * dropped when done). Returns highWater, so the caller knows where the rows end.
   */
  freeDetachedRows(from: number, to: number): number {
    const type = this.type;
    const end = Math.min(to, this.hw);
    for (let e = from; e < end; e++) {
      if (type[e] === TYPE_FREE) continue;
      this.arena.free(this.addr[e]!, this.capacity(e));
      this.dropObj(e);
      type[e] = TYPE_FREE;
    }
    return this.hw;
  }

  /** Forget every entry without freeing blocks: only when the arena itself is reset. */
  reset(): void {
    this.entryCap = MIN_ENTRIES;
    this.addr = new Float64Array(MIN_ENTRIES);
    this.keyLen = new Int32Array(MIN_ENTRIES);
    this.valLen = new Int32Array(MIN_ENTRIES);
    this.capCode = new Uint8Array(MIN_ENTRIES);
    this.type = new Uint8Array(MIN_ENTRIES);
    this.expireAt = new Float64Array(MIN_ENTRIES);
    this.clock = new Uint32Array(MIN_ENTRIES);
    this.typeOcts = new Float64Array(this.type.buffer);
    this.objs = [];
    this.freeHead = -1;
    this.freeN = 0;
    this.hw = 0;
    this.n = 0;
    this.ttlN = 0;
    this.index = new Uint32Array(MIN_SLOTS * 2);
    this.nSlots = MIN_SLOTS;
    this.newIndex = EMPTY_U32;
    this.newSlots = 0;
    this.cursor = -1;
    this.dropGrowth();
    this.memVersion++;
  }

  /**
   * Migrate up to maxEntries entry ids into the new index, and copy as many rows into growing
   * columns. Returns true while either is still in progress.
   */
  rehashStep(maxEntries: number): boolean {
    if (this.growCursor >= 0) this.growStep(maxEntries);
    if (this.cursor >= 0) this.migrate(maxEntries);
    return this.cursor >= 0 || this.growCursor >= 0;
  }

  /** Bytes held by columns, indexes and free lists (not the arena). objs counted at 8 B/slot. */
  memoryBytes(): number {
    return (
      this.addr.byteLength +
      this.keyLen.byteLength +
      this.valLen.byteLength +
      this.capCode.byteLength +
      this.type.byteLength +
      this.expireAt.byteLength +
      this.clock.byteLength +
      this.index.byteLength +
      this.newIndex.byteLength +
      this.growCap * ROW_BYTES +
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
    if (live + this.freeN !== this.hw) throw new Error("table: free list size mismatch");
    const seen = new Set<number>();
    for (let e = this.freeHead; e >= 0; e = this.addr[e]! - 1) {
      if (e >= this.hw || type[e] !== TYPE_FREE || seen.has(e)) {
        throw new Error(`table: bad free id ${e}`);
      }
      seen.add(e);
    }
    if (seen.size !== this.freeN) throw new Error(`table: free list ${seen.size} != ${this.freeN}`);
    const inOld = checkIndex("index", this.index, this, this.hw);
    if (inOld !== this.n) throw new Error(`table: index holds ${inOld}, count ${this.n}`);
    if (this.cursor >= 0) {
      const c = this.cursor;
      const inNew = checkIndex("new index", this.newIndex, this, c);
      let below = 0;
      for (let e = 0; e < c; e++) if (type[e] !== TYPE_FREE) below++;
      if (inNew !== below) throw new Error(`table: new index ${inNew}, expected ${below}`);
    }
    for (let e = 0; e < this.growCursor; e++) {
      const same =
        this.gAddr[e] === this.addr[e] &&
        this.gKeyLen[e] === this.keyLen[e] &&
        this.gValLen[e] === this.valLen[e] &&
        this.gCapCode[e] === this.capCode[e] &&
        this.gType[e] === type[e] &&
        this.gExpireAt[e] === this.expireAt[e] &&
        this.gClock[e] === this.clock[e];
      if (!same) throw new Error(`table: grown columns differ at row ${e}`);
    }
    let ttl = 0;
    for (let e = 0; e < this.hw; e++) if (type[e] !== TYPE_FREE && this.expireAt[e] !== 0) ttl++;
    if (ttl !== this.ttlN) throw new Error(`table: ttlCount ${this.ttlN}, expected ${ttl}`);
    for (let e = 0; e < this.hw; e++) {
      if (type[e] === TYPE_FREE) continue;
      const page = this.page(e);
      const o = this.keyOffset(e);
      const kl = this.keyLen[e]!;
      if (kl + this.valLen[e]! > this.capacity(e)) throw new Error(`table: block overflow at ${e}`);
      if (this.findHashed(page, o, kl, hashBytes(page, o, kl)) !== e) {
        throw new Error(`table: entry ${e} not findable`);
      }
    }
  }

  // --- internals -------------------------------------------------------------------------

  private findHashed(kbuf: Uint8Array, koff: number, klen: number, h: number): number {
    const ix = this.index;
    const ns = this.nSlots;
    const keyLen = this.keyLen;
    const addr = this.addr;
    const arena = this.arena;
    let i = home(h, ns);
    for (;;) {
      const t = ix[2 * i + 1]!;
      if (t === 0) return -1;
      if (ix[2 * i] === h) {
        const e = t - 1;
        if (keyLen[e] === klen) {
          const a = addr[e]!;
          if (bytesEqual(arena.page(a), arena.offset(a), kbuf, koff, klen)) return e;
        }
      }
      i = nextSlot(i, ns);
    }
  }

  private takeEntryId(): number {
    let e: number;
    if (this.freeHead >= 0) {
      e = this.freeHead;
      this.freeHead = this.addr[e]! - 1;
      this.freeN--;
    } else {
      if (this.hw === this.entryCap) this.growEntries();
      e = this.hw++;
      const cap = this.entryCap;
      if (this.growCursor < 0 && cap >= INCREMENTAL_GROW_ROWS && this.hw > cap - (cap >>> 3)) {
        this.startGrowth(Math.ceil((cap + (cap >>> 1)) / 1024) * 1024);
      }
    }
    if (this.guard !== null) this.guard.created(this, e);
    return e;
  }

  /** Put a filled-in entry into the index (and the new one if already migrated past it). */
  private link(e: number, h: number): void {
    indexInsert(this.index, this.nSlots, h, e);
    this.linked(e, h);
  }

  /** The rest of link() once entry e is in the authoritative index. */
  private linked(e: number, h: number): void {
    this.n++;
    if (this.growCursor >= 0) this.growStep(GROW_STEP_ROWS);
    if (this.cursor >= 0) {
      if (e < this.cursor) indexInsert(this.newIndex, this.newSlots, h, e);
      // Safety net: never let either index pass 7/8 full, whatever the step bound says.
      const limit = Math.min(this.index.length, this.newIndex.length) >>> 1;
      if (this.n * 8 > limit * 7) {
        this.forcedRehashes++;
        this.migrate(Number.POSITIVE_INFINITY);
      } else {
        this.migrate(this.stepIds);
      }
    } else if (this.n * 4 > this.slots * 3) {
      this.startRehash(grownSlots(this.slots));
    }
  }

  /** Take a live entry out of the index and the columns; its block is the caller's business. */
  private unlink(e: number): void {
    if (this.guard !== null) this.guard.beforeWrite(this, e);
    if (this.type[e] === TYPE_FREE) throw new Error(`table: entry ${e} is not live`);
    const h = this.keyHash(e);
    indexDelete(this.index, this.nSlots, h, e);
    if (this.cursor >= 0 && e < this.cursor) {
      indexDelete(this.newIndex, this.newSlots, h, e);
    }
    this.type[e] = TYPE_FREE;
    this.setExpireAt(e, 0);
    this.clock[e] = 0;
    // Onto the free list through the row itself (its addr): no stack to double (a doubling
    // Int32Array stopped the loop for 10-28 ms copying 8M ids when 10M keys expired).
    this.addr[e] = this.freeHead + 1;
    this.freeHead = e;
    this.freeN++;
    if (e < this.growCursor) this.mirror(e);
    this.dropObj(e);
    this.n--;
    if (this.growCursor >= 0) this.growStep(GROW_STEP_ROWS);
    if (this.cursor >= 0 && this.n === 0) this.dropRehash(); // nothing left to move
    if (this.cursor >= 0) this.migrate(this.stepIds);
    else this.maybeShrink();
  }

  /** Abandon the rehash under way (the table is empty: maybeShrink then swaps a small index). */
  private dropRehash(): void {
    this.newIndex = EMPTY_U32;
    this.newSlots = 0;
    this.cursor = -1;
    this.memVersion++;
  }

  private maybeShrink(): void {
    const slots = this.slots;
    if (this.n === 0 && slots > MIN_SLOTS) {
      this.index = new Uint32Array(MIN_SLOTS * 2);
      this.nSlots = MIN_SLOTS;
      this.memVersion++;
    } else if (slots > SHRINK_FLOOR_SLOTS && this.n * 8 < slots) {
      let target = SHRINK_FLOOR_SLOTS;
      while (target < this.n * 2) target *= 2;
      this.startRehash(target);
    }
  }

  private startRehash(slots: number): void {
    this.newIndex = freshIndex(slots);
    this.newSlots = slots;
    this.cursor = 0;
    // A small index is a plain, already zeroed array: nothing to fault in.
    this.faulted = this.newIndex.byteLength >= FRESH_BYTES ? 0 : this.newIndex.length;
    this.memVersion++;
    // Finish within min(old, new)/8 writes so neither index passes 7/8 full, with 2x margin.
    // A full pass costs FAULT_UNITS per page of the new index, at most hw/8 units for the
    // free stretches it skips and 8 per live entry (each id of its 8-row group), so it stays
    // short when highWater is far above count: after a mass expiry a shrink no longer reads
    // every one of 10M mostly free rows.
    const budget = Math.max(1, Math.min(slots, this.slots) >>> 3);
    const pages = Math.ceil((this.newIndex.length - this.faulted) / PAGE_U32);
    const work = pages * FAULT_UNITS + Math.ceil(this.hw / 8) + (8 + LIVE_UNITS) * this.n;
    this.stepIds = Math.max(MIGRATE_MIN, Math.ceil((2 * work) / budget));
  }

  /**
   * Up to maxUnits units of work (see MIGRATE_MIN, FAULT_UNITS): first fault in the new
   * index's pages (cursor stays 0, so no write touches the new index meanwhile), then move
   * entries into it; swap when done.
   */
  private migrate(maxUnits: number): void {
    const ni = this.newIndex;
    let units = maxUnits;
    let done = 0;
    if (this.faulted < ni.length) {
      let f = this.faulted;
      do {
        ni[f] = 0; // a write: a read would map the shared zero page and fault again later
        f += PAGE_U32;
        units -= FAULT_UNITS;
        done += FAULT_UNITS;
      } while (f < ni.length && units > 0);
      this.faulted = Math.min(f, ni.length);
      if (this.faulted < ni.length) {
        this.rehashWork += done;
        return;
      }
    }
    const type = this.type;
    const octs = this.typeOcts;
    const nm = this.newSlots;
    const hw = this.hw;
    let c = this.cursor;
    while (c < hw && units > 0) {
      if ((c & 7) === 0) {
        // Eight free rows in one read (the column's length is a multiple of 8). An all-zero
        // group reads as +0; -0 would be a type byte of 0x80 in the top row.
        let q = c >>> 3;
        const qEnd = Math.min((hw + 7) >>> 3, q + units);
        const q0 = q;
        for (; q < qEnd; q++) {
          const g = octs[q]!;
          if (g !== 0 || 1 / g < 0) break;
        }
        units -= q - q0;
        done += q - q0;
        c = q << 3;
        if (c >= hw || units <= 0) break;
      }
      units--;
      done++;
      if (type[c] !== TYPE_FREE) {
        // The key is hashed again (no hash column): that reads its block, so a live row costs
        // LIVE_UNITS in all.
        indexInsert(ni, nm, this.keyHash(c), c);
        units -= LIVE_UNITS - 1;
        done += LIVE_UNITS - 1;
      }
      c++;
    }
    if (c > hw) c = hw; // a skipped group may reach past highWater (those rows are free)
    this.cursor = c;
    this.rehashWork += done;
    if (c < hw) return;
    this.index = ni;
    this.nSlots = nm;
    this.newIndex = EMPTY_U32;
    this.newSlots = 0;
    this.cursor = -1;
    this.memVersion++;
    // Writes during the rehash may already call for the next resize.
    const ns = ni.length >>> 1;
    if (this.n * 4 > ns * 3) this.startRehash(grownSlots(ns));
    else this.maybeShrink();
  }

  /** Out of rows: finish an incremental growth at once (safety net), or double in one go. */
  private growEntries(): void {
    if (this.growCursor >= 0) {
      this.forcedGrowths++;
      this.growStep(Number.POSITIVE_INFINITY);
      if (this.hw < this.entryCap) return;
    }
    this.startGrowth(this.entryCap * 2);
    this.growStep(Number.POSITIVE_INFINITY);
  }

  /** Allocate the grown columns (lazily backed by the OS: no copy and no page touched yet). */
  private startGrowth(cap: number): void {
    if (cap % 8 !== 0) throw new Error(`table: column capacity ${cap} is not a multiple of 8`);
    this.gAddr = freshF64(cap);
    this.gKeyLen = freshI32(cap);
    this.gValLen = freshI32(cap);
    this.gCapCode = freshU8(cap);
    this.gType = freshU8(cap);
    this.gExpireAt = freshF64(cap);
    this.gClock = freshU32(cap);
    this.growCap = cap;
    this.growCursor = 0;
    this.memVersion++;
  }

  /** Copy up to maxRows more rows into the grown columns; swap them in when all are copied. */
  private growStep(maxRows: number): void {
    let c = this.growCursor;
    const end = Math.min(this.hw, c + maxRows);
    if (c < end) {
      // Rows past ttl-less expireAt pages stay unwritten: only copy what is non-zero.
      const expireAt = this.expireAt;
      const gExpireAt = this.gExpireAt;
      if (this.ttlN > 0)
        for (let e = c; e < end; e++) if (expireAt[e] !== 0) gExpireAt[e] = expireAt[e]!;
      const addr = this.addr;
      const keyLen = this.keyLen;
      const valLen = this.valLen;
      const capCode = this.capCode;
      const type = this.type;
      const clock = this.clock;
      const gAddr = this.gAddr;
      const gKeyLen = this.gKeyLen;
      const gValLen = this.gValLen;
      const gCapCode = this.gCapCode;
      const gType = this.gType;
      const gClock = this.gClock;
      for (; c < end; c++) {
        gAddr[c] = addr[c]!;
        gKeyLen[c] = keyLen[c]!;
        gValLen[c] = valLen[c]!;
        gCapCode[c] = capCode[c]!;
        gType[c] = type[c]!;
        gClock[c] = clock[c]!;
      }
    }
    this.growCursor = c;
    if (c < this.hw) return;
    this.addr = this.gAddr;
    this.keyLen = this.gKeyLen;
    this.valLen = this.gValLen;
    this.capCode = this.gCapCode;
    this.type = this.gType;
    this.typeOcts = new Float64Array(
      this.type.buffer,
      this.type.byteOffset,
      this.type.length >>> 3,
    );
    this.expireAt = this.gExpireAt;
    this.clock = this.gClock;
    this.entryCap = this.growCap;
    this.dropGrowth();
    this.memVersion++;
  }

  private dropGrowth(): void {
    this.gAddr = new Float64Array(0);
    this.gKeyLen = EMPTY_I32;
    this.gValLen = EMPTY_I32;
    this.gCapCode = new Uint8Array(0);
    this.gType = new Uint8Array(0);
    this.gExpireAt = new Float64Array(0);
    this.gClock = EMPTY_U32;
    this.growCursor = -1;
    this.growCap = 0;
  }

  /** Copy row e into the grown columns (it was written after the copy passed it). */
  private mirror(e: number): void {
    this.gAddr[e] = this.addr[e]!;
    this.gKeyLen[e] = this.keyLen[e]!;
    this.gValLen[e] = this.valLen[e]!;
    this.gCapCode[e] = this.capCode[e]!;
    this.gType[e] = this.type[e]!;
    if (this.gExpireAt[e] !== this.expireAt[e]) this.gExpireAt[e] = this.expireAt[e]!;
    this.gClock[e] = this.clock[e]!;
  }

  /** Extend objs (kept dense: no holes) to cover entry e, doubling so growth is amortized. */
  private growObjs(e: number): void {
    const want = Math.min(
      Math.max(e + 1, this.objs.length * 2, 16),
      Math.max(this.entryCap, e + 1),
    );
    for (let i = this.objs.length; i < want; i++) this.objs.push(undefined);
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
