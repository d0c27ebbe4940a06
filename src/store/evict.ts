// Eviction under maxmemory, after Redis's evict.c: before a command that may grow memory
// (`denyoom`), evict keys until used memory is back under the limit.
//
// LRU/LFU/TTL policies sample `maxmemory-samples` keys per database and keep the best
// candidates across calls in a pool of 16 (evictionPoolPopulate); the random policies pick one
// random key. volatile-* policies only consider keys with a TTL. The access clock lives in
// each table's `clock` column (see keyspace.ts touch()).

import { CLOCK_LFU, CLOCK_LRU, type Keyspace } from "./keyspace.ts";
import { NOTIFY_EVICTED } from "./notify.ts";
import { type Table, TYPE_FREE } from "./table.ts";

export const POLICY_NOEVICTION = 0;
export const POLICY_ALLKEYS_LRU = 1;
export const POLICY_VOLATILE_LRU = 2;
export const POLICY_ALLKEYS_LFU = 3;
export const POLICY_VOLATILE_LFU = 4;
export const POLICY_ALLKEYS_RANDOM = 5;
export const POLICY_VOLATILE_RANDOM = 6;
export const POLICY_VOLATILE_TTL = 7;

export const POLICY_NAMES = [
  "noeviction",
  "allkeys-lru",
  "volatile-lru",
  "allkeys-lfu",
  "volatile-lfu",
  "allkeys-random",
  "volatile-random",
  "volatile-ttl",
] as const;

export const OOM_ERROR = "OOM command not allowed when used memory > 'maxmemory'.";

/** EVPOOL_SIZE in Redis. */
export const POOL_SIZE = 16;
/** A volatile probe walks at most this many rows from a random start to find a key with a TTL. */
export const VOLATILE_PROBE_ROWS = 4096;

export function policyFromName(name: string): number {
  const i = POLICY_NAMES.indexOf(name as (typeof POLICY_NAMES)[number]);
  if (i < 0) throw new RangeError(`unknown maxmemory-policy ${name}`);
  return i;
}

function isVolatile(p: number): boolean {
  return (
    p === POLICY_VOLATILE_LRU ||
    p === POLICY_VOLATILE_LFU ||
    p === POLICY_VOLATILE_RANDOM ||
    p === POLICY_VOLATILE_TTL
  );
}

export class Evictor {
  /** Bytes; 0 = no limit. */
  maxmemory = 0;
  policy = POLICY_NOEVICTION;
  samples = 5;
  /** Keys removed by eviction (INFO evicted_keys). */
  evictedKeys = 0;
  /** Memory counted against the limit that the keyspace does not hold: client buffers. */
  otherBytes = 0;
  /** Time spent evicting (INFO total_eviction_exceeded_time-ish), ms. */
  evictionMs = 0;

  private readonly ks: Keyspace;
  // The pool, sorted by score ascending: the best candidate is at len-1.
  private readonly poolDb = new Int32Array(POOL_SIZE);
  private readonly poolEnt = new Int32Array(POOL_SIZE);
  private readonly poolHash = new Uint32Array(POOL_SIZE);
  private readonly poolScore = new Float64Array(POOL_SIZE);
  private poolLen = 0;
  private nextDb = 0;

  constructor(ks: Keyspace) {
    this.ks = ks;
  }

  configure(maxmemory: number, policy: number, samples: number): void {
    this.maxmemory = maxmemory;
    if (policy !== this.policy) this.poolLen = 0;
    this.policy = policy;
    this.samples = samples;
    const lfu = policy === POLICY_ALLKEYS_LFU || policy === POLICY_VOLATILE_LFU;
    const mode = lfu ? CLOCK_LFU : CLOCK_LRU;
    if (this.ks.clockMode !== mode) this.ks.setClockMode(mode);
  }

  /** Bytes counted against maxmemory. */
  usedBytes(): number {
    return this.ks.usedBytes() + this.otherBytes;
  }

  /**
   * Evict until used memory <= maxmemory. False when still over the limit with nothing left
   * to evict (or the policy is noeviction): the caller rejects the command with OOM_ERROR.
   */
  performEvictions(maxMs = Number.POSITIVE_INFINITY): boolean {
    const max = this.maxmemory;
    if (max === 0) return true;
    const ks = this.ks;
    const arena = ks.arena;
    const used = this.usedBytes();
    if (used <= max) return true;
    if (this.policy === POLICY_NOEVICTION) return false;
    const start = performance.now();
    let ok = true;
    let n = 0;
    // Each outer round evicts at least one key, so this ends. Inside, only the arena's live
    // bytes and objects are re-read per key; tables and free lists are re-read per round.
    // With a time budget (the cron), stop after it and leave the rest to the next tick.
    for (let u = used; ok && u > max; u = this.usedBytes()) {
      const fixed = u - arena.liveBytes - ks.objectBytes;
      while (arena.liveBytes + ks.objectBytes + fixed > max) {
        if (!this.evictOne()) {
          ok = false;
          break;
        }
        if ((++n & 63) === 0 && performance.now() - start > maxMs) {
          ok = false;
          break;
        }
      }
    }
    this.evictionMs += performance.now() - start;
    return ok || this.usedBytes() <= max;
  }

  /** Evict one key chosen by the policy. False if no key qualifies. */
  evictOne(): boolean {
    const p = this.policy;
    if (p === POLICY_ALLKEYS_RANDOM || p === POLICY_VOLATILE_RANDOM) return this.evictRandom();
    if (p === POLICY_NOEVICTION) return false;
    const dbs = this.ks.dbs;
    // Bounded: each round either evicts, drops stale pool entries, or finds nothing to sample.
    for (let round = 0; round < 64; round++) {
      let sampled = 0;
      for (let d = 0; d < dbs.length; d++) {
        if (dbs[d]!.count !== 0) sampled += this.populate(d);
      }
      for (let k = this.poolLen - 1; k >= 0; k--) {
        const d = this.poolDb[k]!;
        const e = this.poolEnt[k]!;
        const h = this.poolHash[k]!;
        this.poolRemove(k);
        const t = dbs[d]!;
        if (!this.stillThere(t, e, h)) continue;
        this.evict(t, e);
        return true;
      }
      if (sampled === 0) return false;
    }
    return false;
  }

  // ---- internals -------------------------------------------------------------------------

  private stillThere(t: Table, e: number, h: number): boolean {
    if (e >= t.highWater || t.type[e] === TYPE_FREE || t.keyHash(e) !== h) return false;
    return !isVolatile(this.policy) || t.expireAt[e] !== 0;
  }

  private evict(t: Table, e: number): void {
    this.ks.removeSignalled(t, e, NOTIFY_EVICTED, "evicted");
    this.evictedKeys++;
  }

  private evictRandom(): boolean {
    const dbs = this.ks.dbs;
    const volatile = this.policy === POLICY_VOLATILE_RANDOM;
    for (let i = 0; i < dbs.length; i++) {
      const d = this.nextDb;
      this.nextDb = (d + 1) % dbs.length;
      const t = dbs[d]!;
      if (t.count === 0) continue;
      const e = volatile ? this.probeVolatile(t) : this.sampleAny(t);
      if (e < 0) continue;
      this.evict(t, e);
      return true;
    }
    return false;
  }

  /** A key with a TTL near a random row, or -1 (bounded walk). */
  private probeVolatile(t: Table): number {
    const hw = t.highWater;
    if (hw === 0) return -1;
    const expireAt = t.expireAt;
    let e = Math.floor(this.ks.random() * hw);
    const limit = Math.min(hw, VOLATILE_PROBE_ROWS);
    for (let i = 0; i < limit; i++) {
      if (expireAt[e] !== 0) return e; // free rows have expireAt 0
      e++;
      if (e === hw) e = 0;
    }
    return -1;
  }

  /** Sample keys of db d into the pool; returns how many were sampled. */
  private populate(d: number): number {
    const ks = this.ks;
    const t = ks.dbs[d]!;
    const p = this.policy;
    const volatile = isVolatile(p);
    let n = 0;
    for (let s = 0; s < this.samples; s++) {
      const e = volatile ? this.probeVolatile(t) : this.sampleAny(t);
      if (e < 0) continue;
      n++;
      let score: number;
      if (p === POLICY_VOLATILE_TTL) score = 1e16 - t.expireAt[e]!;
      else if (p === POLICY_ALLKEYS_LFU || p === POLICY_VOLATILE_LFU) {
        score = 255 - ks.lfuFreq(t, e);
      } else score = ks.idleMs(t, e);
      this.poolInsert(d, t, e, score);
    }
    return n;
  }

  /**
   * A uniformly random live entry: random rows of the 1-byte type column (cache-resident, unlike
   * the index) until a live one; after 16 misses (a table far sparser than its rows) the index.
   */
  private sampleAny(t: Table): number {
    const hw = t.highWater;
    const type = t.type;
    for (let i = 0; i < 16; i++) {
      const e = Math.floor(this.ks.random() * hw);
      if (type[e] !== TYPE_FREE) return e;
    }
    return t.randomEntry();
  }

  /** Insert keeping the pool sorted by score; when full, the worst (lowest) falls off. */
  private poolInsert(d: number, t: Table, e: number, score: number): void {
    const sc = this.poolScore;
    let len = this.poolLen;
    // Worse than everything in a full pool: done before touching the key's hash.
    if (len === POOL_SIZE && score <= sc[0]!) return;
    const h = t.keyHash(e);
    for (let i = 0; i < len; i++) {
      if (this.poolEnt[i] === e && this.poolDb[i] === d && this.poolHash[i] === h) {
        // Same key sampled again: refresh its score by re-inserting.
        this.poolRemove(i);
        len--;
        break;
      }
    }
    let k = 0;
    while (k < len && sc[k]! < score) k++;
    if (len === POOL_SIZE) {
      if (k === 0) return; // worse than everything in a full pool
      // Drop the lowest (index 0) and shift left to open slot k-1.
      k--;
      for (let i = 0; i < k; i++) this.copySlot(i + 1, i);
    } else {
      for (let i = len; i > k; i--) this.copySlot(i - 1, i);
      this.poolLen = len + 1;
    }
    this.poolDb[k] = d;
    this.poolEnt[k] = e;
    this.poolHash[k] = h;
    sc[k] = score;
  }

  private poolRemove(k: number): void {
    for (let i = k; i < this.poolLen - 1; i++) this.copySlot(i + 1, i);
    this.poolLen--;
  }

  private copySlot(from: number, to: number): void {
    this.poolDb[to] = this.poolDb[from]!;
    this.poolEnt[to] = this.poolEnt[from]!;
    this.poolHash[to] = this.poolHash[from]!;
    this.poolScore[to] = this.poolScore[from]!;
  }
}
