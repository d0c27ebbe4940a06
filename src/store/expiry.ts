// Active expiry: reclaim expired keys that nobody reads.
//
// Instead of sampling a separate "keys with a TTL" index (Redis's expires dict), the cycle sweeps
// each table's expireAt column with a cursor: a Float64Array read is ~1 ns per row, nothing has to
// be kept in step when a TTL is set or cleared, and a full lap bounds how long any expired key can
// hold memory. Per cron tick it visits at least 1/(hz * LAP_SECONDS) of all rows, keeps going
// while the rows it just visited were more than STALE_PERC % expired (Redis's
// ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE), and always stops at the time budget (Redis's
// ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25% of the tick) or after one full lap.
// docs/EXPIRY.md has the measurements.

import type { Keyspace } from "./keyspace.ts";
import { NOTIFY_EXPIRED } from "./notify.ts";

/** A full lap over every table should take about this long when the budget allows. */
export const LAP_SECONDS = 1;
/** Rows visited between clock reads; bounds the overrun past the time budget. */
export const CHUNK_ROWS = 1024;
/**
 * Keys removed between clock reads. A removal costs far more than a row read (index deletes,
 * the arena's free, a step of a shrink under way: at 10M keys a chunk of 1024 removals took
 * 10-35 ms of CPU while the index shrank), so a chunk also ends after this many.
 */
export const CHUNK_REMOVALS = 32;
/**
 * A chunk also ends once its removals did this many units of index rehash work (Table.
 * rehashWork): near the end of a mass expiry a shrink pass over a 10M-row table runs at ~20K
 * units a removal, so 32 removals could still be ~2 ms.
 */
export const CHUNK_REHASH_UNITS = 1 << 16;
/** Keep sweeping past the base share while more than this % of visited TTL keys were expired. */
export const STALE_PERC = 10;
/** Share of each tick the cycle may use, like ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC. */
export const TIME_PERC = 25;
/**
 * Longest piece of one tick's sweep that runs without giving the event loop back: the server
 * runs a tick's budget (25 ms at hz 10, Redis's slow cycle) as slices of at most this long,
 * each in its own macrotask (ActiveExpire.beginTick / slice), so a mass expiry of 10M keys
 * stops the loop for ~SLICE_MS at a time rather than 25+ ms.
 */
export const SLICE_MS = 4;
/** A table left empty with at least this many rows of columns is reset to its minimum size. */
export const RESET_EMPTY_ROWS = 4096;

export class ActiveExpire {
  /** DEBUG SET-ACTIVE-EXPIRE 0|1. */
  enabled = true;
  /** Keys removed by the sweep (also counted in keyspace.expiredKeys). */
  expired = 0;
  /** Cycles that stopped because they ran out of time (INFO expired_time_cap_reached_count). */
  timeCapReached = 0;
  /** Total time spent in cycles (INFO expire_cycle_cpu_milliseconds). */
  cpuMs = 0;
  /** Rows read by all sweeps so far (tests: a keyspace without TTLs costs no row reads). */
  rowsVisited = 0;
  /** Longest single cycle, ms. */
  maxCycleMs = 0;
  /** Estimated % of TTL keys that are expired but not yet reclaimed (INFO expired_stale_perc). */
  stalePerc = 0;
  private cursors: Int32Array;
  private nextDb = 0;
  /** What is left of the current tick's budget, ms, and its hz (beginTick/slice). */
  private tickLeftMs = 0;
  private tickHz = 10;
  /** The last run() stopped at its time budget. */
  private capped = false;
  private readonly ks: Keyspace;

  constructor(ks: Keyspace) {
    this.ks = ks;
    this.cursors = new Int32Array(ks.databases);
  }

  /** One whole slow cycle, its slices back to back (tests). Returns the keys it removed. */
  cycle(hz: number): number {
    let removed = this.beginTick(hz);
    while (this.pending) removed += this.slice();
    return removed;
  }

  /**
   * Start a cron tick: store upkeep, then the first slice of the sweep. While `pending` is true
   * afterwards, the caller runs slice() again in a later macrotask (setImmediate).
   */
  beginTick(hz: number): number {
    // Store upkeep rides on the expiry cron until the server cron calls keyspace.cronStep itself.
    this.ks.cronStep(Math.min(2, 20 / hz));
    this.tickLeftMs = 0;
    if (!this.enabled) return 0;
    this.tickLeftMs = ((1000 / hz) * TIME_PERC) / 100;
    this.tickHz = hz;
    return this.slice();
  }

  /** The tick's sweep stopped at a slice boundary with budget left: run slice() soon. */
  get pending(): boolean {
    return this.tickLeftMs > 0 && this.enabled;
  }

  /** One slice (at most SLICE_MS) of the current tick's sweep. Returns the keys it removed. */
  slice(): number {
    if (!this.pending) return 0;
    const budget = Math.min(SLICE_MS, this.tickLeftMs);
    const t0 = performance.now();
    const removed = this.run(budget, this.tickHz, false, false);
    this.tickLeftMs -= Math.max(budget, performance.now() - t0);
    if (!this.capped)
      this.tickLeftMs = 0; // done for this tick
    else if (this.tickLeftMs <= 0) this.timeCapReached++; // the whole tick's budget went
    return removed;
  }

  /** Sweep every row of every table once, whatever the stale ratio (tests, benchmarks). */
  fullLap(): number {
    this.cursors.fill(0);
    this.nextDb = 0;
    return this.run(Number.POSITIVE_INFINITY, 10, true);
  }

  /**
   * Sweep until the base share is done and the stale ratio is low (or, with `lap`, every row
   * once), stopping at budgetMs either way.
   */
  run(budgetMs: number, hz = 10, lap = false, countCap = true): number {
    const ks = this.ks;
    this.capped = false;
    const start = performance.now();
    const deadline = start + budgetMs;
    const dbs = ks.dbs;
    const ndb = dbs.length;
    let totalRows = 0;
    for (let i = 0; i < ndb; i++) {
      const t = dbs[i]!;
      if (t.ttlCount > 0) totalRows += t.highWater;
      else if (t.count === 0) this.maybeReset(i); // an emptied table gives its columns back
    }
    const base = Math.max(CHUNK_ROWS, Math.ceil(totalRows / (hz * LAP_SECONDS)));
    const now = ks.now;
    let visited = 0;
    let removed = 0;
    let ttlSeen = 0;
    let staleSeen = 0;
    let idleDbs = 0; // consecutive dbs with nothing to visit
    while (visited < totalRows && idleDbs < ndb) {
      const d = this.nextDb;
      const t = dbs[d]!;
      const hw = t.highWater;
      let c = this.cursors[d]!;
      if (c >= hw) c = 0;
      // A table without TTL keys has nothing to reclaim: skip it without reading its rows.
      if (hw === 0 || t.count === 0 || t.ttlCount === 0) {
        this.maybeReset(d);
        this.cursors[d] = 0;
        this.nextDb = (d + 1) % ndb;
        idleDbs++;
        continue;
      }
      idleDbs = 0;
      let end = Math.min(hw, c + CHUNK_ROWS);
      const expireAt = t.expireAt;
      let chunkTtl = 0;
      let chunkStale = 0;
      const work0 = t.rehashWork;
      for (let e = c; e < end; e++) {
        const at = expireAt[e]!;
        if (at === 0) continue;
        chunkTtl++;
        if (at <= now) {
          chunkStale++;
          ks.removeSignalled(t, e, NOTIFY_EXPIRED, "expired");
          // The chunk ends here after enough removals or rehash work they caused.
          if (chunkStale === CHUNK_REMOVALS || t.rehashWork - work0 >= CHUNK_REHASH_UNITS)
            end = e + 1;
        }
      }
      visited += end - c;
      ttlSeen += chunkTtl;
      staleSeen += chunkStale;
      removed += chunkStale;
      if (end >= hw) {
        this.cursors[d] = 0;
        this.maybeReset(d);
        this.nextDb = (d + 1) % ndb;
      } else {
        this.cursors[d] = end;
      }
      if (performance.now() >= deadline) {
        this.capped = true;
        if (countCap) this.timeCapReached++;
        break;
      }
      // Past the base share, continue only while what we just swept was mostly stale.
      if (!lap && visited >= base && chunkStale * 100 <= chunkTtl * STALE_PERC) break;
    }
    this.rowsVisited += visited;
    if (removed > 0) this.maybeResetArena();
    ks.expiredKeys += removed;
    this.expired += removed;
    if (ttlSeen > 0) this.stalePerc = (staleSeen * 100) / ttlSeen;
    const ms = performance.now() - start;
    this.cpuMs += ms;
    if (ms > this.maxCycleMs) this.maxCycleMs = ms;
    return removed;
  }

  /** No key left anywhere: drop the arena's pages and free lists too (nothing is live). */
  private maybeResetArena(): void {
    const ks = this.ks;
    for (const t of ks.dbs) if (t.count !== 0) return;
    if (ks.arena.reservedBytes > 0) ks.flushAll();
  }

  /** An empty table that grew large gives its columns back (no live entry, nothing to free). */
  private maybeReset(d: number): void {
    const t = this.ks.dbs[d]!;
    if (t.count === 0 && t.highWater >= RESET_EMPTY_ROWS) t.reset();
  }
}
