// BGREWRITEAOF's AOF-format base (aof-use-rdb-preamble no) written in slices, as the RDB base
// is (snapshot.ts SnapshotJob; docs/PERSISTENCE.md, "Rewrite"): the keyspace is walked by entry
// id in ~2 ms slices from the event loop, and before a write touches an entry the walk has not
// reached, the guard writes that entry's commands first; entry ids taken for new keys during
// the job are marked done. Unlike RDB, AOF commands need no order between keys: an entry the
// guard writes goes straight into the file behind a SELECT of its database, whatever database
// the walk is in, so there are no side buffers. Each key is written whole (its commands are
// 64 elements each, but a big value is one pause, as before this job existed).

import { close, fsync, open, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Keyspace, SnapshotGuard } from "../store/keyspace.ts";
import { type Table, TYPE_FREE, TYPE_STRING } from "../store/table.ts";
import { CommandWriter } from "./aof-encode.ts";
import { rewriteEntry } from "./aof-rewrite.ts";
import { PoolWriter } from "./pool-writer.ts";

const CHUNK_BYTES = 64 * 1024;
/**
 * Chunks in the thread pool at once at most (as SnapshotJob's): a 64 KiB writeSync in the
 * slice took 10-28 ms now and then (page-cache writeback throttling), and this base is ~8x
 * the RDB's size. Past the bound a chunk is written in the slice: the back-pressure.
 */
export const MAX_WRITES_IN_FLIGHT = 4;
/**
 * Bytes the buffer may hold while the pool is full (the guard keeps writing entries a client
 * write reaches first); past it a chunk is written in the event loop.
 */
export const MAX_PENDING = 4 * CHUNK_BYTES;

export class AofBaseJob implements SnapshotGuard {
  readonly startedAt = Date.now();
  private readonly tables: Table[];
  private readonly startHw: Int32Array;
  private readonly done: Uint8Array[];
  private readonly now: number;
  private readonly w = new CommandWriter();
  /** The temp file, written through the thread pool (pool-writer.ts). */
  readonly pool: PoolWriter;
  private selected = -1;
  private db = 0;
  private cursor = 0;
  finished = false;
  walkDone = false;
  error: string | null = null;
  keys = 0;
  /** Bytes written to the file so far (the base's size when finished). */
  size = 0;
  slices = 0;
  longestSliceMs = 0;
  /** The end step in the event loop (close, rename, directory fsync), ms. */
  endMs = 0;
  /** Chunks the last slice wrote itself (the pool full): the back-pressure's cost, logged. */
  sliceSyncWrites = 0;
  private readonly rssStart = process.memoryUsage.rss();
  private peakRss = 0;
  private readonly fixedExtra: number;

  constructor(
    readonly ks: Keyspace,
    private readonly tmp: string,
    private readonly dest: string,
    private readonly sliceMs = 2,
    functions: readonly Uint8Array[] = [],
  ) {
    this.tables = ks.dbs.slice();
    this.startHw = new Int32Array(this.tables.length);
    this.done = [];
    let fixed = MAX_PENDING + MAX_WRITES_IN_FLIGHT * CHUNK_BYTES;
    for (let i = 0; i < this.tables.length; i++) {
      const t = this.tables[i]!;
      this.startHw[i] = t.count === 0 ? 0 : t.highWater;
      this.done.push(new Uint8Array(this.startHw[i]!));
      fixed += this.startHw[i]!;
    }
    this.fixedExtra = fixed;
    this.now = ks.now; // keys expired at the start are left out, as rewriteKeyspace does
    this.pool = new PoolWriter(openSync(tmp, "w"), CHUNK_BYTES, MAX_WRITES_IN_FLIGHT);
    // Redis's rewriteFunctions: one FUNCTION LOAD per library, before any key.
    for (const code of functions) {
      this.w.begin(3);
      this.w.str("FUNCTION");
      this.w.str("LOAD");
      this.w.bulk(code, 0, code.length);
    }
  }

  /** aof_last_cow_size: the larger of the done bytes + buffer and the RSS growth seen. */
  get extraBytes(): number {
    return Math.max(this.fixedExtra, this.peakRss);
  }

  attach(): void {
    this.ks.guard = this;
    for (const t of this.tables) t.guard = this;
  }

  private detach(): void {
    if (this.ks.guard === this) this.ks.guard = null;
    for (const t of this.tables) if (t.guard === this) t.guard = null;
  }

  /** Walk for about `ms`; true while there is more to do. */
  step(ms = this.sliceMs): boolean {
    if (this.finished || this.walkDone) return false;
    if (this.pool.error !== null) {
      this.fail(new Error(this.pool.error));
      return false;
    }
    const t0 = performance.now();
    this.sliceSyncWrites = 0;
    this.syncAllowed = ms === Number.POSITIVE_INFINITY;
    try {
      return this.walk(this.syncAllowed ? ms : t0 + ms);
    } catch (e) {
      this.fail(e);
      return false;
    } finally {
      const dt = performance.now() - t0;
      this.slices++;
      if (dt > this.longestSliceMs) this.longestSliceMs = dt;
      const g = process.memoryUsage.rss() - this.rssStart;
      if (g > this.peakRss) this.peakRss = g;
    }
  }

  private walk(deadline: number): boolean {
    let n = 0;
    // bytes left by a slice that met a full pool go first; still full: nothing this slice
    if (this.w.out.pending >= CHUNK_BYTES && !this.drain()) return true;
    for (; this.db < this.tables.length; this.db++, this.cursor = 0) {
      const t = this.tables[this.db]!;
      const done = this.done[this.db]!;
      const end = this.startHw[this.db]!;
      while (this.cursor < end) {
        const e = this.cursor++;
        if (done[e] === 1 || t.type[e] === TYPE_FREE) continue;
        done[e] = 1;
        this.writeOne(this.db, t, e);
        // the pool full: the slice ends rather than write a chunk itself (a 64 KiB writeSync
        // took 5-28 ms under writeback); the next slice starts by handing the bytes over
        if (this.poolFull()) return true;
        if (++n === 16 || t.type[e] !== TYPE_STRING) {
          n = 0;
          if (performance.now() >= deadline) return true;
        }
      }
    }
    // the last bytes: the walk is done only once they are out (a full pool: next slice)
    if (!this.drain() && this.w.out.pending > 0) return true;
    this.walkDone = true;
    this.detach();
    return false;
  }

  private writeOne(d: number, t: Table, e: number): void {
    const w = this.w;
    if (this.selected !== d) {
      w.begin(2);
      w.str("SELECT");
      w.int(d);
      this.selected = d;
    }
    if (rewriteEntry(w, t, e, this.now)) this.keys++;
    if (w.out.pending >= CHUNK_BYTES) this.drain();
  }

  /** A chunk is waiting and no buffer is free for it. */
  private poolFull(): boolean {
    return this.w.out.pending >= CHUNK_BYTES && this.pool.full;
  }

  /** Next file offset: each chunk is written at its own, so completion order is free. */
  private fileOff = 0;

  /**
   * The buffer out in chunks, copied to the thread pool. With the pool full the walk's bytes
   * wait in the buffer (true: all out; false: some wait); writeSync is only for a slice with no
   * deadline (FLUSHALL's guard, SAVE-like callers) or past MAX_PENDING (a guard's writes
   * while the walk waits): the back-pressure that bounds the buffer.
   */
  private drain(): boolean {
    const o = this.w.out;
    while (o.pending > 0) {
      const full = this.pool.full;
      if (full && !this.syncAllowed && o.pending <= MAX_PENDING) return false;
      const n = Math.min(o.pending, CHUNK_BYTES);
      const pos = this.fileOff;
      this.fileOff += n;
      this.size += n;
      if (full) {
        this.sliceSyncWrites++;
        let off = 0;
        while (off < n) off += writeSync(this.pool.fd, o.buf, o.start + off, n - off, pos + off);
      } else {
        this.pool.writeCopy(o.buf, o.start, n, pos);
      }
      o.consumed(n);
    }
    return true;
  }

  /** The current step has no deadline (step(Infinity)): chunks may be written in it. */
  private syncAllowed = false;

  // ---- the guard ----

  beforeWrite(t: Table, e: number): void {
    if (this.finished || this.walkDone) return;
    const d = this.tables.indexOf(t);
    if (d < 0 || e >= this.startHw[d]!) return;
    const done = this.done[d]!;
    if (done[e] === 1) return;
    done[e] = 1;
    if (t.type[e] === TYPE_FREE) return;
    try {
      this.writeOne(d, t, e);
    } catch (err) {
      this.fail(err);
    }
  }

  created(t: Table, e: number): void {
    const d = this.tables.indexOf(t);
    if (d < 0) return;
    const done = this.done[d]!;
    if (e < done.length) done[e] = 1;
  }

  beforeBulk(): void {
    while (!this.finished && !this.walkDone) this.step(Number.POSITIVE_INFINITY);
  }

  // ---- end ----

  /** After the walk: fsync in the thread pool, close, rename to the base's name. */
  finishAsync(done: () => void): void {
    if (this.finished) return done();
    if (this.pool.inFlight > 0) return this.pool.whenIdle(() => this.finishAsync(done));
    if (this.pool.error !== null) {
      this.fail(new Error(this.pool.error));
      return done();
    }
    fsync(this.pool.fd, (err) => {
      if (this.finished) return done(); // aborted meanwhile
      const t0 = performance.now();
      try {
        if (err) throw err;
        this.pool.close();
        this.publish();
      } catch (e) {
        this.fail(e);
        this.endMs = performance.now() - t0;
        return done();
      }
      this.endMs = performance.now() - t0;
      // the directory's fsync in the thread pool too: the caller's manifest comes after it
      fsyncDirAsync(dirname(this.dest), () => {
        this.finished = true; // (an abort meanwhile set it, with error: the caller sees that)
        done();
      });
    });
  }

  /**
   * Rename over the base's name holding the old file (if any) open, closed in the thread pool:
   * dropping the last link of a big file frees its blocks in the syscall that does it (a
   * rename over 30 MB: 26-29 ms, as SnapshotJob.publish measured).
   */
  private publish(): void {
    let old = -1;
    try {
      old = openSync(this.dest, "r");
    } catch {
      // no old file: nothing to free
    }
    try {
      renameSync(this.tmp, this.dest);
    } finally {
      if (old >= 0) close(old, () => {});
    }
  }

  private fail(e: unknown): void {
    this.error = e instanceof Error ? e.message : String(e);
    this.finished = true;
    this.detach();
    this.pool.close();
    try {
      unlinkSync(this.tmp); // writes still in flight land in the unlinked inode, then it goes
    } catch {}
  }

  abort(): void {
    if (!this.finished) this.fail(new Error("aborted"));
  }
}

/** open, fsync, close a directory in the thread pool; errors ignored, as fsyncDir's. */
export function fsyncDirAsync(dir: string, done: () => void): void {
  open(dir, "r", (err, fd) => {
    if (err) return done();
    fsync(fd, () => close(fd, () => done()));
  });
}
