// RDB snapshots without fork (docs/PERSISTENCE.md, "RDB snapshots").
//
// SAVE writes every entry in one go. BGSAVE walks the tables by entry id in bounded time slices
// from the event loop (setImmediate), writing through the RdbWriter's sink in bounded chunks,
// while clients keep writing. The file is the data as it was when BGSAVE started, because:
//
// - before any write touches an entry the walk has not reached, the keyspace's guard hook
//   (Table.guard / Keyspace.guard, one null check when no save runs) serializes that entry
//   first: in the database section being written it goes straight to the file; for a later
//   database into that database's side buffer, appended when the walk gets there;
// - an entry id taken for a NEW key during the save (ids are reused from a free list) is marked
//   done, so keys created after the start never appear;
// - FLUSHDB / FLUSHALL / SWAPDB (and a loaded snapshot swapped in) first finish the walk
//   synchronously, then run: the file still holds the data at the start.
//
// BGREWRITEAOF's RDB base (src/persistence/aof.ts startRewrite) is the same walk, with its own
// temp file and the `aof-base` aux field set.
//
// Files: written to temp-<pid>.rdb in `dir`, fsynced, renamed over dbfilename, then the
// directory fsynced; a crash at any point leaves the previous file intact.

import {
  close,
  closeSync,
  fsync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { CommandLimits } from "../commands/context.ts";
import { Keyspace, type SnapshotGuard } from "../store/keyspace.ts";
import { type Table, TYPE_FREE, TYPE_STRING } from "../store/table.ts";
import { PoolWriter } from "./pool-writer.ts";
import { type EncodingLimits, RdbWriter, readRdbFile } from "./rdb/index.ts";
import { SnapshotLoader } from "./snapshot-load.ts";
import { EntryWriterState, entryMeta, IncrementalValue, writeEntry } from "./snapshot-write.ts";

export interface SnapshotOptions {
  compression: boolean;
  checksum: boolean;
  /** CLOCK_META_* (snapshot-write.ts): which access clock goes into the file. */
  clockMeta: number;
  limits?: Partial<EncodingLimits>;
  /** Bytes per sink write (bounds one write's pause and the writer's buffer). */
  chunkBytes?: number;
  /** BGSAVE: longest time slice of the walk, ms. */
  sliceMs?: number;
  /** The temp file (default `temp-<pid>.rdb` beside `path`); the AOF rewrite names its own. */
  tmpPath?: string;
  /** The `aof-base` aux field: 1 for an AOF rewrite's RDB base (`.base.rdb`). */
  aofBase?: boolean;
  /** BGSAVE's chunks through the thread pool (default true; false: writeSync, to compare). */
  asyncWrites?: boolean;
  /** Function libraries' code at the start of the save: FUNCTION2 records before the data. */
  functions?: readonly Uint8Array[];
  /** No file: every chunk is dropped (the JIT warm-up after a load, snapshot-warmup.ts). */
  discard?: boolean;
}

/** Fsync a directory so a rename in it is durable (best effort where the OS refuses). */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory: the rename is still atomic
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Write all of chunk at file offset pos. */
function writeAllAt(fd: number, chunk: Uint8Array, pos: number): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off, pos + off);
}

/** BGSAVE chunks in the thread pool at once at most (4 x chunkBytes of copies). */
const MAX_WRITES_IN_FLIGHT = 4;

/** The writer limits that keep our encodings (listpack lists cut as the config says). */
function writerLimits(l: CommandLimits): Partial<EncodingLimits> {
  return {
    hashMaxListpackEntries: l.hashMaxListpackEntries,
    hashMaxListpackValue: l.hashMaxListpackValue,
    zsetMaxListpackEntries: l.zsetMaxListpackEntries,
    zsetMaxListpackValue: l.zsetMaxListpackValue,
    setMaxIntsetEntries: l.setMaxIntsetEntries,
    listMaxListpackSize: l.listMaxListpackSize,
    streamNodeMaxBytes: l.streamNodeMaxBytes,
    streamNodeMaxEntries: l.streamNodeMaxEntries,
  };
}

export function snapshotLimits(l: CommandLimits): Partial<EncodingLimits> {
  return writerLimits(l);
}

/**
 * One snapshot being written: the walk state and the guard. `run()` to completion is SAVE;
 * `step()` in slices is BGSAVE. Not reusable.
 */
export class SnapshotJob implements SnapshotGuard {
  readonly startedAt = Date.now();
  /** The tables in database order, as they were at the start (SWAPDB finishes the job first). */
  private readonly tables: Table[];
  /** High-water mark per table at the start: ids at or above it are new keys. */
  private readonly startHw: Int32Array;
  /** Per table, 1 = serialized already or created during the save (skip). */
  private readonly done: Uint8Array[];
  private readonly side: (RdbWriter | null)[];
  private readonly writer: RdbWriter;
  private readonly st = new EntryWriterState();
  private db = -1;
  private cursor = 0;
  /** The temp file, written through the thread pool (pool-writer.ts). */
  readonly pool: PoolWriter;
  private readonly tmp: string;
  finished = false;
  /** Every byte is written (EOF + CRC); the fsync/rename may still be pending (BGSAVE). */
  walkDone = false;
  /**
   * SAVE (true): fsync and rename at once. BGSAVE (false): the end of the walk leaves the fsync
   * to the thread pool (finishAsync), so the event loop never waits on the disk.
   */
  syncFinish = true;
  error: string | null = null;
  keys = 0;
  /** Most bytes the save held beyond the data set (bitmaps, side buffers, writer buffer). */
  peakExtraBytes = 0;
  private sideBytes = 0;
  private readonly fixedExtra: number;
  private readonly sliceMs: number;
  private readonly opts: SnapshotOptions;

  constructor(
    readonly ks: Keyspace,
    readonly path: string,
    opts: SnapshotOptions,
    readonly usedMem: number,
  ) {
    this.opts = opts;
    this.sliceMs = opts.sliceMs ?? 2;
    this.tables = ks.dbs.slice();
    this.startHw = new Int32Array(this.tables.length);
    this.done = [];
    this.side = [];
    let fixed = 0;
    for (let i = 0; i < this.tables.length; i++) {
      const t = this.tables[i]!;
      this.startHw[i] = t.highWater;
      this.done.push(new Uint8Array(t.count === 0 ? 0 : t.highWater));
      fixed += t.count === 0 ? 0 : t.highWater;
      this.side.push(null);
    }
    this.tmp = opts.tmpPath ?? join(dirname(path), `temp-${process.pid}.rdb`);
    this.chunkBytes = opts.chunkBytes ?? 64 * 1024;
    this.pool = new PoolWriter(
      opts.discard ? -1 : openSync(this.tmp, "w"),
      this.chunkBytes,
      MAX_WRITES_IN_FLIGHT,
    );
    this.writer = new RdbWriter({
      sink: (chunk) => this.out(chunk),
      chunkBytes: this.chunkBytes,
      compression: opts.compression,
      checksum: opts.checksum,
      limits: opts.limits,
    });
    this.fixedExtra = fixed + (1 + MAX_WRITES_IN_FLIGHT) * this.chunkBytes;
    this.peakExtraBytes = this.fixedExtra;
    try {
      this.writer.writeHeader();
      this.writer.writeStandardAux({ usedMem, aofBase: opts.aofBase ? 1 : 0 });
      // rdbSaveRio's order: aux fields, functions, then the databases.
      for (const code of opts.functions ?? []) this.writer.writeFunction(code);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Watch the keyspace (BGSAVE). */
  attach(): void {
    this.ks.guard = this;
    for (const t of this.tables) t.guard = this;
  }

  private detach(): void {
    if (this.ks.guard === this) this.ks.guard = null;
    for (const t of this.tables) if (t.guard === this) t.guard = null;
  }

  /** SAVE: everything now. */
  run(): void {
    this.syncFinish = true;
    while (!this.finished && !this.walkDone) this.step(Number.POSITIVE_INFINITY);
  }

  /**
   * Walk for at most `ms`, then return; finishes the file when the walk is done. Returns true
   * while there is more to do. The clock is read after every aggregate and every 16th string
   * (a string entry is ~1 us; an aggregate can be anything up to its whole size).
   */
  step(ms = this.sliceMs): boolean {
    // walkDone: a guard (FLUSHALL ...) finished the walk between slices; walking again would
    // spin past the last database
    if (this.finished || this.walkDone) return false;
    if (this.pool.error !== null) {
      this.fail(new Error(this.pool.error));
      return false;
    }
    const t0 = performance.now();
    try {
      return this.walk(ms);
    } finally {
      const dt = performance.now() - t0;
      this.slices++;
      if (dt > this.longestSliceMs) this.longestSliceMs = dt;
      this.sampleRss();
    }
  }

  /** RSS when the job started (bytes): the growth since is the save's real extra memory. */
  private readonly rssStart = process.memoryUsage.rss();
  /** Most RSS growth seen at a slice's end (writer garbage, JSC heap growth, side buffers). */
  peakRssGrowthBytes = 0;

  private sampleRss(): void {
    const g = process.memoryUsage.rss() - this.rssStart; // ~20 us: once per slice
    if (g > this.peakRssGrowthBytes) this.peakRssGrowthBytes = g;
  }

  /**
   * rdb_last_cow_size: the larger of what the save's own structures held (bitmaps, side
   * buffers, writer buffer) and the process's RSS growth during it (which also counts what
   * the clients' writes grew meanwhile: an over- rather than an under-estimate, like the
   * dirtied pages Redis reports for its child).
   */
  get extraBytes(): number {
    return Math.max(this.peakExtraBytes, this.peakRssGrowthBytes);
  }

  /** Slices run so far and the longest one (ms): what BGSAVE cost the event loop at worst. */
  slices = 0;
  longestSliceMs = 0;

  private walk(ms: number): boolean {
    const deadline =
      ms === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : performance.now() + ms;
    try {
      for (;;) {
        if (this.big !== null && !this.stepBig(deadline)) return true;
        if (this.db < 0 || this.cursor >= this.startHw[this.db]!) {
          if (!this.nextDb()) {
            this.writer.finish();
            this.walkDone = true;
            this.detach(); // everything is in the file: writes may go on unobserved
            if (this.syncFinish) this.complete();
            return false;
          }
        }
        const d = this.db;
        const t = this.tables[d]!;
        const done = this.done[d]!;
        const end = this.startHw[d]!;
        let n = 0;
        while (this.cursor < end) {
          if (this.big !== null && !this.stepBig(deadline)) return true;
          const e = this.cursor++;
          if (done[e] === 1 || t.type[e] === TYPE_FREE) continue;
          done[e] = 1;
          const meta = entryMeta(this.ks, t, e, this.opts.clockMeta, this.st.meta);
          this.big = IncrementalValue.begin(this.writer, t, e, true, meta);
          if (this.big !== null) {
            if (!this.stepBig(deadline)) return true;
            continue;
          }
          writeEntry(this.writer, this.st, t, e, true, meta);
          this.keys++;
          if (++n === 16 || t.type[e] !== TYPE_STRING) {
            n = 0;
            if (performance.now() >= deadline) return true;
          }
        }
      }
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /**
   * A big value written across slices (snapshot-write.ts IncrementalValue). While it is in
   * progress nothing else goes into the file: keys of this database that a write reaches
   * first wait in its side buffer, appended when the value is complete.
   */
  private big: IncrementalValue | null = null;

  /** A big value is half written (tests: the walk really split one). */
  get bigInProgress(): boolean {
    return this.big !== null;
  }

  /** Elements of a big value between two reads of the clock. */
  private static readonly BIG_STEP = 256;

  /** Continue the big value until the deadline; true when it is complete. */
  private stepBig(deadline: number): boolean {
    const big = this.big!;
    while (!big.step(this.writer, this.st, SnapshotJob.BIG_STEP)) {
      if (performance.now() >= deadline) return false;
    }
    this.big = null;
    this.keys++;
    const pending = this.side[this.db];
    if (pending) {
      this.sideBytes -= pending.bufferedBytes;
      this.writer.writeRaw(pending.takeBytes());
      this.side[this.db] = null;
    }
    return true;
  }

  /** Open the next database that had keys at the start; false when none is left. */
  private nextDb(): boolean {
    for (;;) {
      this.db++;
      this.cursor = 0;
      if (this.db >= this.tables.length) return false;
      const t = this.tables[this.db]!;
      const pending = this.side[this.db];
      if (this.startHw[this.db] === 0 || this.done[this.db]!.length === 0) continue;
      this.writer.writeSelectDb(this.db);
      this.writer.writeResizeDb(t.count, t.ttlCount);
      if (pending) {
        // keys of this database serialized early (a write reached them first)
        this.sideBytes -= pending.bufferedBytes;
        this.writer.writeRaw(pending.takeBytes());
        this.side[this.db] = null;
      }
      return true;
    }
  }

  private writeOne(w: RdbWriter, t: Table, e: number): void {
    const meta = entryMeta(this.ks, t, e, this.opts.clockMeta, this.st.meta);
    writeEntry(w, this.st, t, e, true, meta);
    this.keys++;
  }

  // ---- the guard ----

  beforeWrite(t: Table, e: number): void {
    const big = this.big;
    if (big !== null && big.t === t && big.e === e) {
      // a write to the big value being written: finish it first (one pause of its rest)
      try {
        this.stepBig(Number.POSITIVE_INFINITY);
      } catch (err) {
        this.fail(err);
      }
      return;
    }
    const d = this.tables.indexOf(t);
    if (d < 0 || e >= this.startHw[d]!) return;
    const done = this.done[d]!;
    if (e >= done.length || done[e] === 1) return;
    done[e] = 1;
    if (t.type[e] === TYPE_FREE) return;
    try {
      if (d === this.db && big === null) {
        this.writeOne(this.writer, t, e);
        return;
      }
      // a later database (or this one while a big value is half written): keep its bytes
      // until the walk opens that database's section (or the value is complete)
      let w = this.side[d];
      if (!w) {
        w = new RdbWriter({ compression: this.opts.compression, limits: this.opts.limits });
        this.side[d] = w;
        this.sideBytes += w.bufferedBytes;
      }
      const before = w.bufferedBytes;
      this.writeOne(w, t, e);
      this.sideBytes += w.bufferedBytes - before;
      const extra = this.fixedExtra + this.sideBytes;
      if (extra > this.peakExtraBytes) this.peakExtraBytes = extra;
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
    if (this.finished || this.walkDone) return;
    // finish the walk now; the fsync may stay asynchronous
    const sync = this.syncFinish;
    while (!this.finished && !this.walkDone) this.step(Number.POSITIVE_INFINITY);
    this.syncFinish = sync;
  }

  // ---- the file ----

  private readonly chunkBytes: number;
  /** Next file offset: every chunk is written at its own offset, so completion order is free. */
  private fileOff = 0;
  /**
   * The writer's sink. SAVE writes here (writeSync). BGSAVE copies the chunk and writes it in
   * the thread pool (pool-writer.ts). With MAX_WRITES_IN_FLIGHT chunks outstanding (the disk
   * is behind) or a block larger than a chunk (one huge string), it writes here: the
   * back-pressure, and a bound on the copies.
   */
  private out(chunk: Uint8Array): void {
    const pos = this.fileOff;
    this.fileOff += chunk.length;
    if (this.opts.discard) return;
    if (
      this.syncFinish ||
      this.opts.asyncWrites === false ||
      chunk.length > this.chunkBytes ||
      this.pool.full
    ) {
      writeAllAt(this.pool.fd, chunk, pos);
      return;
    }
    this.pool.writeCopy(chunk, 0, chunk.length, pos);
  }

  // ---- end ----

  private complete(): void {
    if (this.pool.inFlight > 0)
      throw new Error("snapshot: synchronous finish with writes in flight");
    if (this.opts.discard) {
      this.finished = true;
      return;
    }
    fsyncSync(this.pool.fd);
    this.publish();
  }

  /**
   * close, rename over dbfilename, fsync the directory. BGSAVE keeps the old file open across
   * the rename and closes it in the thread pool: the rename drops the old file's last link,
   * and freeing its blocks then happens in that syscall (measured: renameSync over a 30 MB
   * file 26-29 ms in the event loop; with the old file held open, 0.06-0.09 ms, the freeing
   * moves to the close).
   */
  private publish(): void {
    this.pool.close();
    let old = -1;
    if (!this.syncFinish) {
      try {
        old = openSync(this.path, "r");
      } catch {
        // no old file (or unreadable): the rename has nothing to free
      }
    }
    try {
      renameSync(this.tmp, this.path);
    } finally {
      if (old >= 0) close(old, () => {});
    }
    fsyncDir(dirname(this.path));
    this.sampleRss(); // the fsync's wait counts too: the save lasts until here
    this.finished = true;
  }

  /** After the walk (walkDone): fsync in the thread pool, then rename; `done` when finished. */
  finishAsync(done: () => void): void {
    if (this.finished) return done();
    if (this.pool.inFlight > 0) return this.pool.whenIdle(() => this.finishAsync(done));
    if (this.pool.error !== null) {
      this.fail(new Error(this.pool.error));
      return done();
    }
    fsync(this.pool.fd, (err) => {
      if (this.finished) return done(); // aborted meanwhile
      try {
        if (err) throw err;
        this.publish();
      } catch (e) {
        this.fail(e);
      }
      done();
    });
  }

  private fail(e: unknown): void {
    this.big = null;
    this.error = e instanceof Error ? e.message : String(e);
    this.finished = true;
    this.detach();
    this.pool.close();
    if (this.opts.discard) return; // no temp file
    try {
      unlinkSync(this.tmp);
    } catch {}
  }

  /** Abandon (server stopping): the temp file goes, the old snapshot stays. */
  abort(): void {
    if (!this.finished) this.fail(new Error("aborted"));
  }
}

/** What loading a file did. */
export interface LoadResult {
  keys: number;
  expiredSkipped: number;
  ms: number;
  /** The file's function libraries (code, in file order). */
  functions: Uint8Array[];
}

/**
 * Read an RDB file into a fresh keyspace and swap it into `ks` only when the whole file was
 * read (checksum included); on any error `ks` is untouched and the error is thrown.
 */
export function loadSnapshotFile(ks: Keyspace, path: string, limits: CommandLimits): LoadResult {
  const t0 = performance.now();
  const fresh = new Keyspace(ks.databases);
  fresh.clockMode = ks.clockMode;
  fresh.lfuDecayTime = ks.lfuDecayTime;
  fresh.lfuLogFactor = ks.lfuLogFactor;
  fresh.setNow(ks.now);
  const loader = new SnapshotLoader(fresh, limits, ks.now);
  readRdbFile(path, loader);
  ks.adopt(fresh);
  return {
    keys: loader.keys,
    expiredSkipped: loader.expiredSkipped,
    ms: performance.now() - t0,
    functions: loader.functions,
  };
}
