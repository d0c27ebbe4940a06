// Keyspace: the 16 logical databases over one shared Arena, plus lazy expiry on lookup and the
// per-key access clock (LRU time or LFU counter) that eviction reads.
// Always reach a table through db(i): swapDb() exchanges the Table objects between indexes.
//
// Expiry lives in each table's expireAt column (unix ms, 0 = no TTL). Write it through
// setExpire/clearExpire; the active expiry sweep (expiry.ts) reads the column directly, so no
// other index has to be kept in step with it.

import { Arena, type ArenaOptions } from "./arena.ts";
import { type KeyObserver, NOTIFY_EXPIRED, type NotifyClass } from "./notify.ts";
import { Table, type WriteGuard } from "./table.ts";

/** A snapshot in progress as the keyspace sees it: per-entry hooks, plus whole-database changes. */
export interface SnapshotGuard extends WriteGuard {
  /** FLUSHDB, FLUSHALL or SWAPDB is about to run: finish what the snapshot still has to read. */
  beforeBulk(): void;
}

export const DEFAULT_DATABASES = 16;
/** Compaction starts when free space in small arena pages exceeds both of these... */
export const COMPACT_MIN_FREE_BYTES = 4 << 20;
/** ...the share of small-page bytes that are free (1/8: reserved stays <= ~1.14x live)... */
export const COMPACT_FREE_SHARE = 1 / 8;
/** ...and it evacuates pages at most this full, sparsest first. */
export const COMPACT_MAX_FILL = 0.75;
/** Rows walked, and blocks moved, between clock reads during compaction. */
const COMPACT_CHUNK_ROWS = 2048;
const COMPACT_CHUNK_MOVES = 8;
/** Free-list entries checked between clock reads while purging. */
const COMPACT_PURGE_ENTRIES = 8192;

/** A structure object that keeps blocks in the shared arena moves them out of evacuating pages. */
export interface ArenaBlockOwner {
  relocateArenaBlocks(arena: Arena): void;
}
/** Bound on SELECT indexes; each Table costs ~1 KiB empty. */
export const MAX_DATABASES = 1024;

/** What clock[e] holds: ms-resolution access time (LRU) or Redis's LFU word (LFU). */
export const CLOCK_LRU = 0;
export const CLOCK_LFU = 1;
/** Redis's LFU_INIT_VAL: a new key starts here so it is not evicted before it can be used. */
export const LFU_INIT_VAL = 5;
const TWO32 = 4294967296;

/**
 * The LRU clock word of unix ms `ms`: ms mod 2^32. Not `ms % TWO32`, which on a double is a
 * call to fmod (~8 ns) in every key lookup; dividing by a power of two is exact.
 */
function lruWord(ms: number): number {
  return ms - Math.floor(ms / TWO32) * TWO32;
}

/** Interface of a structure object that reports its own size (zset, hash ...). */
interface Sized {
  memoryBytes(): number;
}

/** Units of rehash/growth work (Table.rehashStep) per clock read in cronStep. */
const CRON_REHASH_STEP = 1024;

export class Keyspace {
  /** Replaced only by adopt() (a loaded snapshot swapped in). */
  arena: Arena;
  readonly dbs: Table[] = [];
  /** Wall clock in unix ms, refreshed by the server once per event-loop tick (setNow). */
  now = Date.now();
  /** Keys removed because they expired (found by a lookup or by the active sweep). */
  expiredKeys = 0;
  /** Read lookups that found / did not find their key (INFO keyspace_hits / _misses). */
  hits = 0;
  misses = 0;
  /**
   * Changes signalled since start (Redis's server.dirty): every keyModified, flush and swap
   * adds one. The dispatcher compares it around a command to know the command wrote.
   */
  dirty = 0;
  /** Told of every change (WATCH, notifications, persistence), in registration order. */
  private observers: KeyObserver[] = [];
  /**
   * Called for every read lookup that misses (Redis's "keymiss" event, class m), when set: the
   * keyspace notifier sets it only while notify-keyspace-events has m. Not a write: no dirty.
   */
  onKeyMiss: ((db: number, buf: Uint8Array, off: number, len: number) => void) | null = null;
  /** Every table's onAdded (the "new" event, class n); kept across table swaps. */
  private keyAdded: ((t: Table, e: number) => void) | null = null;
  /** LRU or LFU: how lookups update clock[e]. Set from maxmemory-policy. */
  clockMode = CLOCK_LRU;
  lfuLogFactor = 10;
  /** Minutes per LFU counter decrement (0 = never decay). */
  lfuDecayTime = 1;
  /**
   * Bytes held by structure objects (zsets ...), kept incrementally: an object's size is added
   * when it enters a table and subtracted when it leaves (Table hooks), and the type code reports
   * growth of an object in place through objectBytesChanged() (docs/EXPIRY.md).
   */
  objectBytes = 0;
  /** Compaction passes finished, blocks moved (INFO-ish counters, tests). */
  compactPasses = 0;
  blocksRelocated = 0;
  /** Longest compactStep, ms. */
  maxCompactMs = 0;
  // Compaction walk: database and row; compactDb < 0 when no pass is running.
  private compactDb = -1;
  private compactRow = 0;
  /** Lazy FLUSHDB: detached tables still holding blocks, and the row reached in the first. */
  private lazyTables: Table[] = [];
  private lazyRow = 0;
  /** Keys freed by lazy FLUSHDB steps (INFO lazyfreed_objects). */
  lazyFreed = 0;
  /** A snapshot in progress (src/persistence/snapshot.ts), or null. */
  guard: SnapshotGuard | null = null;
  private rng = (Math.random() * 0x7fffffff) | 1;
  private tableBytesCache = 0;
  private tableBytesStamp = -1;

  constructor(databases = DEFAULT_DATABASES, arenaOptions: ArenaOptions = {}) {
    if (!(Number.isInteger(databases) && databases >= 1 && databases <= MAX_DATABASES)) {
      throw new RangeError(`keyspace: databases must be 1..${MAX_DATABASES}`);
    }
    this.arena = new Arena(arenaOptions);
    const onSet = (o: unknown) => this.objectBytesChanged(sizeOf(o));
    const onDrop = (o: unknown) => this.objectBytesChanged(-sizeOf(o));
    for (let i = 0; i < databases; i++) {
      const t = new Table(this.arena);
      t.dbIndex = i;
      t.onObjSet = onSet;
      t.onObjDrop = onDrop;
      this.dbs.push(t);
    }
    this.setNow(this.now);
  }

  /** Call `h` after a key is created in any database (null: nothing to call). */
  setKeyAddedHook(h: ((t: Table, e: number) => void) | null): void {
    this.keyAdded = h;
    for (const t of this.dbs) t.onAdded = h;
  }

  get databases(): number {
    return this.dbs.length;
  }

  db(i: number): Table {
    const t = this.dbs[i];
    if (t === undefined) throw new RangeError(`keyspace: no database ${i}`);
    return t;
  }

  swapDb(a: number, b: number): void {
    if (this.guard !== null) this.guard.beforeBulk();
    const ta = this.db(a);
    this.dbs[a] = this.db(b);
    this.dbs[b] = ta;
    this.dbs[a]!.dbIndex = a;
    ta.dbIndex = b;
    this.dirty++;
    for (const o of this.observers) o.swapped(a, b);
  }

  /**
   * FLUSHDB: every key of database i goes. When every other database is empty this drops the
   * arena's pages wholesale (O(pages), as flushAll). Otherwise `lazy` (FLUSHDB ASYNC,
   * lazyfree-lazy-user-flush) swaps in an empty table at once and frees the old one's blocks in
   * bounded cron steps (lazyFreeStep), as Redis frees in its lazyfree thread; sync frees them
   * now, O(highWater) (~45 ms per million keys).
   */
  flushDb(i: number, lazy = false): void {
    for (const o of this.observers) o.flushing?.(i);
    if (this.guard !== null) this.guard.beforeBulk();
    const t = this.db(i);
    let othersEmpty = true;
    for (const u of this.dbs) if (u !== t && u.count !== 0) othersEmpty = false;
    if (othersEmpty) this.dropAll();
    else if (lazy) {
      const fresh = new Table(this.arena);
      fresh.dbIndex = i;
      fresh.onObjSet = t.onObjSet;
      fresh.onObjDrop = t.onObjDrop;
      fresh.onAdded = this.keyAdded;
      fresh.clockInit = t.clockInit;
      this.dbs[i] = fresh;
      this.lazyTables.push(t);
      this.tableBytesStamp = -1;
    } else t.clear();
    this.dirty++;
    for (const o of this.observers) o.flushed(i);
  }

  /** Every table reset and the arena's pages dropped: nothing is live any more. */
  private dropAll(): void {
    for (const t of this.dbs) t.reset();
    this.arena.reset();
    this.objectBytes = 0;
    this.compactDb = -1;
    this.lazyTables = [];
    this.lazyRow = 0;
  }

  /** Detached tables (lazy FLUSHDB) whose blocks are still being freed (INFO lazyfree_pending_objects). */
  get lazyFreePending(): number {
    let n = 0;
    for (const t of this.lazyTables) n += t.count;
    return n;
  }

  /** Free detached tables' rows for about budgetMs. Returns true while some remain. */
  lazyFreeStep(budgetMs: number): boolean {
    const start = performance.now();
    while (this.lazyTables.length > 0) {
      const t = this.lazyTables[0]!;
      const hw = t.freeDetachedRows(this.lazyRow, this.lazyRow + COMPACT_CHUNK_ROWS);
      this.lazyRow += COMPACT_CHUNK_ROWS;
      if (this.lazyRow >= hw) {
        this.lazyTables.shift();
        this.lazyRow = 0;
        this.lazyFreed += t.count;
      }
      if (performance.now() - start > budgetMs) break;
    }
    return this.lazyTables.length > 0;
  }

  /** FLUSHALL: drop the arena's pages wholesale instead of freeing key by key. */
  flushAll(): void {
    for (const o of this.observers) o.flushing?.(-1);
    if (this.guard !== null) this.guard.beforeBulk();
    this.dropAll();
    this.dirty++;
    for (const o of this.observers) o.flushed(-1);
  }

  /**
   * Take over another keyspace's data (a snapshot loaded into a fresh keyspace, swapped in only
   * once the whole file was read): its arena, tables and object bytes. Observers are told every
   * database was flushed (WATCH ...). `other` must not be used afterwards.
   */
  adopt(other: Keyspace): void {
    if (other.dbs.length !== this.dbs.length)
      throw new RangeError("keyspace: adopt needs as many databases");
    if (this.guard !== null) this.guard.beforeBulk();
    this.arena = other.arena;
    this.lazyTables = []; // their blocks were in the old arena
    this.lazyRow = 0;
    this.compactDb = -1;
    const onSet = (o: unknown) => this.objectBytesChanged(sizeOf(o));
    const onDrop = (o: unknown) => this.objectBytesChanged(-sizeOf(o));
    for (let i = 0; i < this.dbs.length; i++) {
      const t = other.dbs[i]!;
      t.dbIndex = i;
      t.onObjSet = onSet;
      t.onObjDrop = onDrop;
      t.onAdded = this.keyAdded;
      t.clockInit = this.dbs[i]!.clockInit;
      this.dbs[i] = t;
    }
    this.objectBytes = other.objectBytes;
    this.tableBytesStamp = -1;
    this.dirty++;
    for (const o of this.observers) o.flushed(-1);
  }

  // ---- the write signal -------------------------------------------------------------------

  // Copy on write: an observer may add or remove observers (itself) while being told of a
  // change; the loop in progress keeps the array it started with.
  addObserver(o: KeyObserver): void {
    this.observers = [...this.observers, o];
  }

  removeObserver(o: KeyObserver): void {
    this.observers = this.observers.filter((x) => x !== o);
  }

  /**
   * A write that changes no key (FUNCTION LOAD, DELETE, FLUSH, RESTORE: Redis's server.dirty++):
   * it counts toward save points and makes the AOF write the command; no key is signalled.
   */
  nonKeyWrite(): void {
    this.dirty++;
  }

  /** Key `buf[off, off+len)` of database `db` changed: count it and tell every observer. */
  keyModified(
    db: number,
    buf: Uint8Array,
    off: number,
    len: number,
    cls: NotifyClass,
    event: string,
  ): void {
    this.dirty++;
    const obs = this.observers;
    for (let i = 0; i < obs.length; i++) obs[i]!.keyModified(db, buf, off, len, cls, event);
  }

  /**
   * Remove live entry e of table t and signal it (expired / evicted / deleted by the store on
   * its own). The key bytes are read before the entry goes.
   */
  removeSignalled(t: Table, e: number, cls: NotifyClass, event: string): void {
    if (this.observers.length === 0) {
      this.dirty++;
      t.remove(e);
      return;
    }
    const key = t.keyBytes(e).slice();
    t.remove(e);
    this.keyModified(t.dbIndex, key, 0, key.length, cls, event);
  }

  /**
   * One bounded step of background work, from the cron: incremental column growth / index
   * rehash of every table, then arena compaction. Stops after about budgetMs.
   */
  cronStep(budgetMs: number): void {
    // Rehash/growth in small steps up to half the budget: one 16K-entry step into a fresh
    // index (its pages faulted in on first touch) took 7-23 ms at 10M keys.
    const start = performance.now();
    for (const t of this.dbs) {
      while (t.rehashStep(CRON_REHASH_STEP)) if (performance.now() - start > budgetMs / 2) break;
    }
    if (this.lazyTables.length > 0) this.lazyFreeStep(budgetMs / 2);
    this.compactStep(budgetMs);
  }

  /**
   * Arena compaction: when small pages hold more than COMPACT_FREE_SHARE free space, evacuate
   * the sparsest pages (arena.beginEvacuation) and walk every table's rows moving the blocks
   * that live on them (Table.relocate; objects holding arena blocks implement ArenaBlockOwner).
   * Each emptied page is dropped, so RSS follows live data. Bounded by budgetMs per call.
   */
  compactStep(budgetMs: number): void {
    const arena = this.arena;
    const start = performance.now();
    while (arena.purgeStep(COMPACT_PURGE_ENTRIES))
      if (performance.now() - start > budgetMs / 4) break;
    if (this.compactDb < 0) {
      if (arena.evacuatingPages === 0) {
        const reserved = arena.smallReservedBytes;
        const free = reserved - arena.smallLiveBytes;
        if (free <= COMPACT_MIN_FREE_BYTES || free <= reserved * COMPACT_FREE_SHARE) return;
        // Aim for half the allowed free share afterwards.
        const target = free - reserved * (COMPACT_FREE_SHARE / 2);
        if (arena.beginEvacuation(target, COMPACT_MAX_FILL) === 0) return;
        if (arena.evacuatingPages === 0) return; // only empty pages: dropped already
      }
      this.compactDb = 0;
      this.compactRow = 0;
    }
    const dbs = this.dbs;
    let moved = 0;
    let out = false;
    while (this.compactDb < dbs.length && !out) {
      const t = dbs[this.compactDb]!;
      const hw = t.highWater;
      let e = this.compactRow;
      const end = Math.min(hw, e + COMPACT_CHUNK_ROWS);
      const type = t.type;
      const objs = t.objs;
      let sinceCheck = 0;
      for (; e < end; e++) {
        if (type[e] === 0) continue;
        const o = e < objs.length ? objs[e] : undefined;
        if (o !== undefined && typeof (o as ArenaBlockOwner).relocateArenaBlocks === "function") {
          (o as ArenaBlockOwner).relocateArenaBlocks(arena);
        }
        if (arena.isEvacuating(t.addr[e]!) && t.relocate(e)) {
          moved++;
          // Moving costs ~0.5-5 us (copy, fresh pages): read the clock every few moves.
          if (++sinceCheck === COMPACT_CHUNK_MOVES) {
            sinceCheck = 0;
            if (performance.now() - start > budgetMs) {
              out = true;
              e++;
              break;
            }
          }
        }
      }
      this.compactRow = e;
      if (e >= hw) {
        this.compactDb++;
        this.compactRow = 0;
      }
      if (arena.evacuatingPages === 0 || performance.now() - start > budgetMs) break;
    }
    this.blocksRelocated += moved;
    if (this.compactDb >= dbs.length || arena.evacuatingPages === 0) {
      this.compactDb = -1;
      this.compactPasses++;
    }
    const ms = performance.now() - start;
    if (ms > this.maxCompactMs) this.maxCompactMs = ms;
  }

  /** Set the clock (once per event-loop tick) and the clock word new entries start with. */
  setNow(ms: number): void {
    this.now = ms;
    const init = this.clockMode === CLOCK_LFU ? lfuWord(ms, LFU_INIT_VAL) : lruWord(ms);
    const dbs = this.dbs;
    if (dbs[0]!.clockInit === init) return;
    for (let i = 0; i < dbs.length; i++) dbs[i]!.clockInit = init;
  }

  setClockMode(mode: number): void {
    this.clockMode = mode;
    this.setNow(this.now);
  }

  // ---- memory ----------------------------------------------------------------------------

  /** Arena pages reserved plus every table's columns and indexes (what the process holds). */
  memoryBytes(): number {
    let n = this.arena.reservedBytes + this.arena.overheadBytes;
    for (const t of this.dbs) n += t.memoryBytes();
    return n;
  }

  /**
   * Bytes the store holds from the OS for its data: arena pages (live or not) and bookkeeping,
   * table columns and indexes, structure objects. Over usedBytes() this is the store's own
   * fragmentation (free blocks in small pages), which compaction bounds; INFO's
   * mem_fragmentation_ratio reports it, since the process RSS is dominated by the runtime
   * (~40 MB for Bun) at small data sizes.
   */
  heldBytes(): number {
    return (
      this.arena.reservedBytes + this.arena.overheadBytes + this.tableBytes() + this.objectBytes
    );
  }

  /** Every table's columns and indexes; recomputed only when some table replaced an array. */
  tableBytes(): number {
    const dbs = this.dbs;
    let v = 0;
    for (let i = 0; i < dbs.length; i++) v += dbs[i]!.memVersion;
    if (v !== this.tableBytesStamp) {
      let n = 0;
      for (let i = 0; i < dbs.length; i++) n += dbs[i]!.memoryBytes();
      this.tableBytesCache = n;
      this.tableBytesStamp = v;
    }
    return this.tableBytesCache;
  }

  /**
   * Bytes in use: live arena blocks (not free-listed ones), the arena's bookkeeping, table
   * columns and indexes, and structure objects. Freeing a key lowers it at once (docs/EXPIRY.md).
   */
  usedBytes(): number {
    return this.arena.liveBytes + this.arena.overheadBytes + this.tableBytes() + this.objectBytes;
  }

  /**
   * Type code reports growth/shrink of a structure object already in a table (ZADD to an
   * existing zset ...): before = obj.memoryBytes(); mutate; objectBytesChanged(after - before).
   * Report before removing the key, since removal subtracts the object's size at that moment.
   */
  objectBytesChanged(delta: number): void {
    this.objectBytes += delta;
    if (this.objectBytes < 0) this.objectBytes = 0;
  }

  /** Remove a live key (its structure object's bytes leave objectBytes through the hook). */
  removeEntry(t: Table, e: number): void {
    t.remove(e);
  }

  /** Recount objectBytes by scanning every object (tests; O(keys)). */
  recountObjectBytes(): number {
    let n = 0;
    for (const t of this.dbs) for (const o of t.objs) if (o !== undefined) n += sizeOf(o);
    return n;
  }

  // ---- expiry ----------------------------------------------------------------------------

  /** Give entry e an absolute expiry time (unix ms, > 0). */
  setExpire(t: Table, e: number, ms: number): void {
    if (!(ms > 0)) throw new RangeError(`keyspace: bad expire time ${ms}`);
    t.setExpireAt(e, ms);
  }

  /** Drop entry e's TTL (PERSIST, a plain SET). */
  clearExpire(t: Table, e: number): void {
    t.setExpireAt(e, 0);
  }

  /** Entry id of a live, unexpired key, or -1. An expired key is removed on the way. */
  lookupRead(db: number, kbuf: Uint8Array, koff: number, klen: number): number {
    return this.lookup(this.db(db), kbuf, koff, klen);
  }

  /** Same as lookupRead today; kept separate so eviction/replication can treat writes apart. */
  lookupWrite(db: number, kbuf: Uint8Array, koff: number, klen: number): number {
    const t = this.db(db);
    if (this.guard !== null) {
      // the caller may change the value's object in place: a snapshot reads it first
      const e = t.find(kbuf, koff, klen);
      if (e >= 0) this.guard.beforeWrite(t, e);
    }
    return this.lookup(t, kbuf, koff, klen);
  }

  /** Like lookupRead but leaves the access clock alone (TTL, OBJECT, TYPE-like peeks). */
  lookupNoTouch(db: number, kbuf: Uint8Array, koff: number, klen: number): number {
    const t = this.db(db);
    const e = t.find(kbuf, koff, klen);
    if (e < 0 || this.expireIfNeeded(t, e)) return -1;
    return e;
  }

  /** True (and the key is removed) if entry e of table t has expired at `now`. */
  expireIfNeeded(t: Table, e: number): boolean {
    const at = t.expireAt[e]!;
    if (at === 0 || at > this.now) return false;
    this.removeSignalled(t, e, NOTIFY_EXPIRED, "expired");
    this.expiredKeys++;
    return true;
  }

  private lookup(t: Table, kbuf: Uint8Array, koff: number, klen: number): number {
    const e = t.find(kbuf, koff, klen);
    if (e < 0 || this.expireIfNeeded(t, e)) return -1;
    this.touch(t, e);
    return e;
  }

  // ---- access clock (LRU / LFU) ----------------------------------------------------------

  /** Record an access to entry e. */
  touch(t: Table, e: number): void {
    if (this.clockMode === CLOCK_LRU) {
      t.setClock(e, lruWord(this.now));
      return;
    }
    const c = this.lfuIncr(this.lfuDecayed(t.clock[e]!));
    t.setClock(e, lfuWord(this.now, c));
  }

  /** Milliseconds since entry e was last accessed (LRU mode; wraps after 49.7 days). */
  idleMs(t: Table, e: number): number {
    return this.idleMsOf(t.clock[e]!);
  }

  /** Milliseconds since the access that wrote LRU clock word `clock`. */
  idleMsOf(clock: number): number {
    const now = lruWord(this.now);
    return now >= clock ? now - clock : now + TWO32 - clock;
  }

  /** Clock word of a key just created or overwritten: accessed now / LFU_INIT_VAL. */
  stampNew(t: Table, e: number): void {
    t.setClock(
      e,
      this.clockMode === CLOCK_LFU ? lfuWord(this.now, LFU_INIT_VAL) : lruWord(this.now),
    );
  }

  /** Entry e's LFU counter after decay (OBJECT FREQ; LFU mode). */
  lfuFreq(t: Table, e: number): number {
    return this.lfuDecayed(t.clock[e]!);
  }

  /** Redis's LFUDecrAndReturn: counter minus one per lfu-decay-time minutes since last access. */
  lfuDecayed(word: number): number {
    const ldt = word >>> 8;
    const counter = word & 255;
    if (this.lfuDecayTime === 0) return counter;
    const nowMin = lfuMinutes(this.now);
    const elapsed = nowMin >= ldt ? nowMin - ldt : 65535 - ldt + nowMin;
    const periods = Math.floor(elapsed / this.lfuDecayTime);
    return periods > counter ? 0 : counter - periods;
  }

  /** Redis's LFULogIncr: increment with probability 1/((counter-5)*lfu-log-factor+1). */
  private lfuIncr(counter: number): number {
    if (counter === 255) return 255;
    const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    const p = 1 / (base * this.lfuLogFactor + 1);
    return this.random() < p ? counter + 1 : counter;
  }

  /** Uniform in [0, 1): xorshift32, allocation-free. */
  random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x;
    return (x >>> 0) / TWO32;
  }
}

function sizeOf(o: unknown): number {
  const m = (o as Sized).memoryBytes;
  return typeof m === "function" ? m.call(o) : 0;
}

/** Minutes clock for LFU decay, 16 bits like Redis. */
export function lfuMinutes(ms: number): number {
  return Math.floor(ms / 60000) & 65535;
}

/** The LFU clock word: 16-bit minutes of last decrement time, 8-bit log counter. */
export function lfuWord(ms: number, counter: number): number {
  return ((lfuMinutes(ms) << 8) | counter) >>> 0;
}
