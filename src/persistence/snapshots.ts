// The server's RDB snapshot state (Redis's rdb_* fields of struct redisServer): SAVE, BGSAVE,
// the `save <seconds> <changes>` points checked from the cron, LASTSAVE, INFO persistence,
// loading at start, and the save SHUTDOWN does. The snapshot itself is src/persistence/snapshot.ts.

import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { CommandLimits } from "../commands/context.ts";
import type { Config } from "../config.ts";
import type { Log } from "../server/log.ts";
import type { Keyspace } from "../store/keyspace.ts";
import { RdbError } from "./rdb/index.ts";
import {
  type LoadResult,
  loadSnapshotFile,
  SnapshotJob,
  type SnapshotOptions,
  snapshotLimits,
} from "./snapshot.ts";
import { WARMUP_MIN_KEYS, warmUpSnapshotWriter } from "./snapshot-warmup.ts";
import { clockMetaFor } from "./snapshot-write.ts";

/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long. */
const BGSAVE_RETRY_MS = 5000;

export interface SavePoint {
  seconds: number;
  changes: number;
}

/** Parse the `save` option's value ("3600 1 300 100", "" = none). */
export function parseSavePoints(v: string): SavePoint[] {
  const w = v.trim().split(/\s+/).filter(Boolean);
  const out: SavePoint[] = [];
  for (let i = 0; i + 1 < w.length; i += 2) {
    out.push({ seconds: Number(w[i]), changes: Number(w[i + 1]) });
  }
  return out;
}

/** Where function libraries live: what a save writes (FUNCTION2) and what a load replaces. */
export interface FunctionLibraries {
  /** Every library's code, in load order. */
  libraryCodes(): Uint8Array[];
  /** The libraries become exactly these; returns the errors of those that failed to load. */
  replaceLibraries(codes: Uint8Array[]): string[];
}

/** No scripting (a bare Snapshots in tests): nothing to save; a file's libraries are refused. */
const NO_LIBRARIES: FunctionLibraries = {
  libraryCodes: () => [],
  replaceLibraries: (codes) => codes.map(() => "no scripting engine"),
};

export class Snapshots {
  /** keyspace.dirty when the last successful save started (rdb_changes_since_last_save). */
  dirtyAtLastSave = 0;
  /** Unix seconds of the last successful save (LASTSAVE); server start until then. */
  lastSaveSec: number;
  lastBgsaveOk = true;
  lastBgsaveTryMs = 0;
  lastBgsaveSec = -1;
  /** Extra memory of the last BGSAVE: SnapshotJob.extraBytes (its structures or RSS growth). */
  lastCowBytes = 0;
  lastSaveKeys = 0;
  job: SnapshotJob | null = null;
  private jobDirty = 0;
  private fsyncing = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  loadedKeys = 0;
  /** An AOF rewrite holds the keyspace guard: save points wait (set by the server). */
  otherJobRunning: () => boolean = () => false;
  /** Called when a BGSAVE ends (tests wait on it). */
  onBgsaveDone: ((ok: boolean) => void) | null = null;

  /** The function libraries (the server's ScriptRunner): saved before the data, replaced on load. */
  functions: FunctionLibraries = NO_LIBRARIES;

  constructor(
    private readonly ks: Keyspace,
    private readonly config: Config,
    private readonly limits: CommandLimits,
    private readonly log: Log,
  ) {
    this.lastSaveSec = Math.floor(Date.now() / 1000);
  }

  get path(): string {
    const dir = this.config.get("dir");
    const name = this.config.get("dbfilename");
    return isAbsolute(name) ? name : join(dir === "" ? process.cwd() : dir, name);
  }

  get savePoints(): SavePoint[] {
    return parseSavePoints(this.config.get("save"));
  }

  get inProgress(): boolean {
    return this.job !== null;
  }

  private options(): SnapshotOptions {
    return {
      compression: this.config.bool("rdbcompression"),
      checksum: this.config.bool("rdbchecksum"),
      clockMeta: clockMetaFor(this.config.get("maxmemory-policy")),
      limits: snapshotLimits(this.limits),
      functions: this.functions.libraryCodes(),
    };
  }

  /** A loaded file's libraries replace the server's (Redis's emptyData clears functions too). */
  private adoptFunctions(r: LoadResult): void {
    for (const msg of this.functions.replaceLibraries(r.functions)) {
      this.log.warn(`Failed loading library from the RDB file: ${msg}`);
    }
  }

  /** MISCONF: stop-writes-on-bgsave-error with save points and a failed last BGSAVE. */
  get writesDenied(): boolean {
    return (
      !this.lastBgsaveOk &&
      this.config.bool("stop-writes-on-bgsave-error") &&
      this.savePoints.length > 0
    );
  }

  /** SAVE: null on success, else the error text. */
  save(): string | null {
    if (this.job !== null) return "ERR Background save already in progress";
    const dirty = this.ks.dirty;
    let job: SnapshotJob;
    try {
      job = new SnapshotJob(this.ks, this.path, this.options(), this.ks.usedBytes());
    } catch (e) {
      this.log.warn(`Failed opening the temp RDB file: ${(e as Error).message}`);
      return "ERR";
    }
    job.run();
    if (job.error !== null) {
      this.log.warn(`Write error saving DB on disk: ${job.error}`);
      return "ERR";
    }
    this.dirtyAtLastSave = dirty;
    this.lastSaveSec = Math.floor(Date.now() / 1000);
    this.lastBgsaveOk = true; // Redis: a good SAVE clears a BGSAVE error too
    this.lastSaveKeys = job.keys;
    this.saves++;
    this.log.notice("DB saved on disk");
    return null;
  }

  /** BGSAVE: the status reply text, or an error text starting with "ERR". */
  bgsave(): string {
    if (this.job !== null) return "ERR Background save already in progress";
    if (this.otherJobRunning())
      return "ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
    this.lastBgsaveTryMs = Date.now();
    let job: SnapshotJob;
    try {
      job = new SnapshotJob(this.ks, this.path, this.options(), this.ks.usedBytes());
    } catch (e) {
      this.lastBgsaveOk = false;
      this.log.warn(`Can't save in background: ${(e as Error).message}`);
      return `ERR ${(e as Error).message}`;
    }
    this.jobDirty = this.ks.dirty;
    this.job = job;
    job.syncFinish = false;
    job.attach();
    this.log.notice("Background saving started (no fork: incremental walk)");
    this.schedule();
    return "Background saving started";
  }

  /**
   * Next slice on a 0 ms timer, not setImmediate: measured in Bun 1.4.5 (a 2 ms busy slice
   * rescheduled by setImmediate left a socket round trip at p50 16 ms, by setTimeout 0 at
   * 0.03 ms), so clients' I/O runs between slices.
   */
  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const job = this.job;
      if (job === null) return;
      if (job.step()) this.schedule();
      else if (job.walkDone && !job.finished) this.afterWalk(job);
      else this.finishJob(job);
    }, 0);
  }

  /** The walk is done: fsync in the thread pool (once), then collect the job. */
  private afterWalk(job: SnapshotJob): void {
    if (this.fsyncing) return;
    this.fsyncing = true;
    job.finishAsync(() => {
      this.fsyncing = false;
      this.finishJob(job);
    });
  }

  /** Called from the cron too: a job finished by a guard (FLUSHALL ...) is collected here. */
  private finishJob(job: SnapshotJob): void {
    if (this.job !== job) return;
    this.job = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.lastCowBytes = job.extraBytes;
    this.lastBgsaveSec = Math.round((Date.now() - job.startedAt) / 1000);
    if (job.error === null) {
      this.dirtyAtLastSave = this.jobDirty;
      this.lastSaveSec = Math.floor(job.startedAt / 1000);
      this.lastBgsaveOk = true;
      this.lastSaveKeys = job.keys;
      this.saves++;
      this.log.notice(
        `Background saving terminated with success (${job.keys} keys, ${job.slices} slices, longest ${job.longestSliceMs.toFixed(1)} ms, extra memory ${job.extraBytes} bytes)`,
      );
    } else {
      this.lastBgsaveOk = false;
      this.log.warn(`Background saving error: ${job.error}`);
    }
    this.onBgsaveDone?.(job.error === null);
  }

  /** Cron tick: collect a finished job, and start a BGSAVE when a save point is due. */
  cron(nowMs: number): void {
    if (this.job !== null) {
      // a guard (FLUSHALL ...) may have completed the walk between slices
      const job = this.job;
      if (job.finished) this.finishJob(job);
      else if (job.walkDone && this.timer === null) this.afterWalk(job);
      return;
    }
    const changes = this.ks.dirty - this.dirtyAtLastSave;
    if (changes === 0 || this.otherJobRunning()) return;
    const since = nowMs - this.lastSaveSec * 1000;
    for (const p of this.savePoints) {
      if (
        changes >= p.changes &&
        since >= p.seconds * 1000 &&
        (this.lastBgsaveOk || nowMs - this.lastBgsaveTryMs > BGSAVE_RETRY_MS)
      ) {
        this.log.notice(`${p.changes} changes in ${p.seconds} seconds. Saving...`);
        this.bgsave();
        return;
      }
    }
  }

  /** Stop a running BGSAVE (shutdown): its temp file goes, the old snapshot stays. */
  abort(): void {
    const job = this.job;
    if (job === null) return;
    job.abort();
    this.job = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The save SHUTDOWN makes (Redis's prepareForShutdown, RDB part): with save points (or
   * `force` SAVE) and without NOSAVE, abort a running BGSAVE and SAVE. True when it is fine to
   * exit. The AOF side of shutdown is merged beside this by the lead.
   */
  saveOnShutdown(mode: "default" | "save" | "nosave"): boolean {
    this.abort();
    if (mode === "nosave") return true;
    if (mode === "default" && this.savePoints.length === 0) return true;
    this.log.notice("Saving the final RDB snapshot before exiting.");
    const err = this.save();
    if (err !== null) {
      this.log.warn("Error trying to save the DB, can't exit.");
      return false;
    }
    return true;
  }

  /**
   * Load dbfilename at start (before serving clients) when the file exists; a missing file is
   * fine, a bad one stops the start (as Redis: "Fatal error loading the DB").
   */
  loadAtStart(): LoadResult | null {
    const path = this.path;
    if (!existsSync(path)) return null;
    const r = loadSnapshotFile(this.ks, path, this.limits);
    this.adoptFunctions(r);
    this.loadedKeys = r.keys;
    this.dirtyAtLastSave = this.ks.dirty;
    this.log.notice(`DB loaded from disk: ${(r.ms / 1000).toFixed(3)} seconds`);
    this.warmUpAfterLoad(r.keys);
    return r;
  }

  /**
   * After a big load at start (no client yet): compile the snapshot writer on the data's first
   * keys (snapshot-warmup.ts), so the first BGSAVE neither pays the JIT's memory nor its slow
   * first slices.
   */
  warmUpAfterLoad(keys: number): void {
    if (keys < WARMUP_MIN_KEYS) return;
    const w = warmUpSnapshotWriter(this.ks, this.options());
    this.log.verbose(
      `Snapshot writer warmed up on ${w.keys} keys in ${w.ms.toFixed(0)} ms (JIT, before the first save)`,
    );
  }

  /** DEBUG RELOAD [NOSAVE]: SAVE, then load the file back (into a fresh keyspace, swapped in). */
  debugReload(save = true): string | null {
    if (save) {
      const err = this.save();
      if (err !== null) return err;
    }
    if (!existsSync(this.path)) return "ERR Error trying to load the RDB dump: no such file";
    try {
      this.adoptFunctions(loadSnapshotFile(this.ks, this.path, this.limits));
      this.dirtyAtLastSave = this.ks.dirty;
    } catch (e) {
      if (e instanceof RdbError) return `ERR Error trying to load the RDB dump: ${e.message}`;
      throw e;
    }
    return null;
  }

  /** INFO persistence's rdb_* fields. */
  infoFields(): [string, string | number][] {
    const job = this.job;
    return [
      ["rdb_changes_since_last_save", this.ks.dirty - this.dirtyAtLastSave],
      ["rdb_bgsave_in_progress", job !== null ? 1 : 0],
      ["rdb_last_save_time", this.lastSaveSec],
      ["rdb_last_bgsave_status", this.lastBgsaveOk ? "ok" : "err"],
      ["rdb_last_bgsave_time_sec", this.lastBgsaveSec],
      [
        "rdb_current_bgsave_time_sec",
        job !== null ? Math.round((Date.now() - job.startedAt) / 1000) : -1,
      ],
      ["rdb_saves", this.saves],
      ["rdb_last_cow_size", this.lastCowBytes],
      ["rdb_last_load_keys_expired", 0],
      ["rdb_last_load_keys_loaded", this.loadedKeys],
    ];
  }

  saves = 0;
}
