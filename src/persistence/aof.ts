// The append-only file (Redis 7.0's multi-part AOF: docs/PERSISTENCE.md).
//
// Write path. Server.call hands every command that changed data (keyspace.dirty moved, the
// command has the write flag) to feedCommand after its handler ran and before its reply can
// leave: the command goes into `w` (pending bytes, RESP) in its propagation form (relative
// expiry as absolute PEXPIREAT / SET ... PXAT, INCRBYFLOAT as SET ... KEEPTTL), preceded by
// SELECT when the database differs from the last one written. Keys the store removes on its
// own (expired, evicted: KeyObserver events) are written as DEL. beginUnit/endUnit wrap a
// transaction's commands in MULTI ... EXEC.
//
// When the bytes reach the disk (appendfsync):
//   always:   the replies of a turn are held (holdReply, from Client.flush); one setImmediate
//             per turn writes everything pending, fsyncs once (group commit), then flushes
//             the held clients. A reply never leaves before its command is on disk.
//   everysec: pending bytes are written before the reply leaves (write(2), no fsync); an
//             fsync runs at most once a second off the event loop (fs.fsync: Bun runs it on
//             its thread pool). If an fsync is still running, writes are postponed up to 2 s,
//             then written anyway and counted in aof_delayed_fsync (Redis's rule).
//   no:       written before the reply leaves; the OS decides when it reaches the disk.
//
// Failures: a failed write/fsync sets aof_last_write_status:err; the server refuses writes
// with -MISCONF (Server.execute asks misconfError()), reads keep working, and the cron retries
// every tick until the disk takes the bytes again.

import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlink,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { REPLY_ON, SessionContext } from "../commands/context.ts";
import type { CommandSpec } from "../commands/table.ts";
import type { Args } from "../protocol/args.ts";
import { OutBuf } from "../protocol/outbuf.ts";
import { MODE_RESP2, Reply } from "../protocol/reply.ts";
import type { Server } from "../server/server.ts";
import type { KeyObserver, NotifyClass } from "../store/notify.ts";
import type { Table } from "../store/table.ts";
import { AofBaseJob } from "./aof-base-job.ts";
import { CommandWriter } from "./aof-encode.ts";
import { AofLoadError, loadAofFile, type Replayer } from "./aof-loader.ts";
import {
  type AofFileInfo,
  baseName,
  formatManifest,
  incrName,
  type Manifest,
  ManifestError,
  manifestName,
  parseManifest,
} from "./aof-manifest.ts";
import { RdbError } from "./rdb/reader.ts";
import { type LoadResult, loadSnapshotFile, SnapshotJob, snapshotLimits } from "./snapshot.ts";
import { clockMetaFor } from "./snapshot-write.ts";

export { AofLoadError } from "./aof-loader.ts";

export const FSYNC_ALWAYS = 0;
export const FSYNC_EVERYSEC = 1;
export const FSYNC_NO = 2;

/** Redis's postponed-write bound for everysec while an fsync is running. */
const MAX_POSTPONE_MS = 2000;

/** A client whose reply may be held until its writes are on disk (Client). */
export interface AofWaiter {
  /** End offset (aof.pendingEnd()) of this client's last propagated command. */
  aofWait: number;
  /** In the held list (set and cleared by the Aof). */
  aofHeld: boolean;
  flush(): void;
}

/** Text of an errno code, as strerror(3) gives it (MISCONF and the log quote it). */
const STRERROR: Record<string, string> = {
  ENOSPC: "No space left on device",
  EDQUOT: "Disk quota exceeded",
  EIO: "Input/output error",
  EROFS: "Read-only file system",
  EBADF: "Bad file descriptor",
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  EFBIG: "File too large",
};

export function strerror(e: unknown): string {
  const err = e as Error & { code?: string };
  if (err.code !== undefined && STRERROR[err.code] !== undefined) return STRERROR[err.code]!;
  return err.message ?? String(e);
}

export class AofError extends Error {}

export class Aof implements KeyObserver {
  private readonly server: Server;
  /** appendonly is on and the files are open (after start() / CONFIG SET appendonly yes). */
  on = false;
  /**
   * Redis's AOF_WAIT_REWRITE: appendonly was switched on at runtime and the first base is being
   * written in the background. Writes go to a temp incr file no manifest names (`on` once the
   * walk started); the manifest naming base + incr is written when the base is complete.
   */
  waitRewrite = false;
  /** The server has started (start() ran): config changes act on the files from now on. */
  private started = false;
  policy = FSYNC_EVERYSEC;
  /** Pending bytes: fed but not yet written. */
  private readonly w = new CommandWriter(new OutBuf());
  /** Database of the last command written (-1: none yet in this file: SELECT first). */
  private selectedDb = -1;
  private unitDepth = 0;
  private unitOpen = false;
  /** Changes the store made on its own (expired/evicted), not counted as command writes. */
  storeEvents = 0;

  // ---- the directory and its files ----
  dirPath = "";
  private fname = "appendonly.aof";
  private manifest: Manifest = { base: null, incr: [], history: [] };
  private fd = -1;
  /** Bytes of the base file and of base + every incr file (aof_base_size, aof_current_size). */
  baseSize = 0;
  currentSize = 0;
  /** Size of the open incr file (ftruncate target after a failed write). */
  private incrSize = 0;

  // ---- offsets: bytes fed since start; written = taken by write(2); synced = fsynced ----
  private writtenEnd = 0;
  private syncedEnd = 0;
  private lastFsyncMs = 0;
  private fsyncInProgress = false;
  private postponeStart = 0;
  delayedFsync = 0;
  /** fsyncs and write(2) calls issued (group-commit measurements). */
  fsyncs = 0;
  writes = 0;

  // ---- group commit ----
  private held: AofWaiter[] = [];
  private scheduled = false;
  private releasing = false;
  /**
   * everysec/no: one write per event-loop turn for all clients (true), or one write per client
   * flush with no reply held (false: in-process tests that read replies synchronously).
   */
  batchWrites = true;

  // ---- status ----
  /** strerror text of the last failed write/fsync, or null (aof_last_write_status ok). */
  writeError: string | null = null;
  rewrites = 0;
  lastRewriteMs = -1;
  /** aof_last_cow_size: the last rewrite's extra memory (SnapshotJob.extraBytes; 0 for an AOF base). */
  lastCowBytes = 0;
  lastBgrewriteOk = true;
  /** The running rewrite, or null; BGREWRITEAOF during a BGSAVE waits (aof_rewrite_scheduled). */
  private rw: RewriteState | null = null;
  rewriteScheduled = false;

  // ---- loading (INFO loading_*) ----
  loading = false;
  loadingStart = 0;
  loadingTotal = 0;
  loadingLoaded = 0;

  constructor(server: Server) {
    this.server = server;
  }

  // ---- config ------------------------------------------------------------------------------

  /** From Server.applyConfig: fsync policy; appendonly switched at runtime (CONFIG SET). */
  applyConfig(): void {
    const c = this.server.config;
    const p = c.get("appendfsync");
    this.policy = p === "always" ? FSYNC_ALWAYS : p === "no" ? FSYNC_NO : FSYNC_EVERYSEC;
    if (!this.started) return;
    const want = c.bool("appendonly");
    if (want && !this.enabled) this.enable();
    else if (!want && this.enabled) this.disable();
  }

  /** aof_enabled: Redis's aof_state != AOF_OFF (1 while the first base is written, too). */
  get enabled(): boolean {
    return this.on || this.waitRewrite;
  }

  // ---- start / stop ------------------------------------------------------------------------

  /**
   * Before the server accepts clients: with appendonly yes, load the AOF directory (or create
   * it) and open the last incr file for appending. Throws AofLoadError / AofError.
   */
  /** start() will replay an AOF (appendonly yes and a manifest exists): prepare() loads the
   * Lua VM first, as the files may hold FUNCTION LOAD. */
  willLoadAtStart(): boolean {
    const c = this.server.config;
    if (!c.bool("appendonly")) return false;
    const dir = resolve(c.get("dir"), c.get("appenddirname"));
    return existsSync(join(dir, manifestName(c.get("appendfilename"))));
  }

  start(): void {
    this.started = true;
    const c = this.server.config;
    this.fname = c.get("appendfilename");
    this.dirPath = resolve(c.get("dir"), c.get("appenddirname"));
    if (!c.bool("appendonly")) return;
    const mpath = join(this.dirPath, manifestName(this.fname));
    if (existsSync(mpath)) {
      this.loadAll(mpath);
      this.openExisting();
    } else {
      this.createFresh();
    }
    this.attach();
  }

  /** Write and fsync everything pending, then close (SHUTDOWN, SIGTERM, appendonly no). */
  close(): boolean {
    if (this.waitRewrite) {
      this.stopWaitRewrite();
      return true;
    }
    if (!this.on) return true;
    this.abortRewrite();
    const ok = this.flushAndSync();
    if (ok) {
      closeQuiet(this.fd);
      this.fd = -1;
      this.detach();
    }
    this.releaseHeld();
    return ok;
  }

  /** Write everything pending and fsync (no postponing); false if the disk refused. */
  flushAndSync(): boolean {
    if (!this.on) return true;
    if (!this.writePending(true)) return false;
    return this.fsyncNow();
  }

  private attach(): void {
    this.on = true;
    this.selectedDb = -1;
    this.server.keyspace.addObserver(this);
    this.lastFsyncMs = Date.now();
  }

  private detach(): void {
    this.on = false;
    this.server.keyspace.removeObserver(this);
  }

  private enable(): void {
    const c = this.server.config;
    this.fname = c.get("appendfilename");
    this.dirPath = resolve(c.get("dir"), c.get("appenddirname"));
    const mpath = join(this.dirPath, manifestName(this.fname));
    if (existsSync(mpath)) {
      try {
        this.manifest = parseManifest(readFileSync(mpath, "latin1"));
      } catch (e) {
        throw new AofError(`Can't read the AOF manifest: ${(e as Error).message}`);
      }
    }
    // Redis 7.0's startAppendOnly: the data in memory may differ from the files, so a fresh
    // base of it is written by a background rewrite (AOF_WAIT_REWRITE); until the base is
    // complete no manifest names it, and a crash leaves the previous state.
    try {
      mkdirSync(this.dirPath, { recursive: true });
    } catch (e) {
      throw new AofError(`Can't create the AOF directory ${this.dirPath}: ${strerror(e)}`);
    }
    this.waitRewrite = true;
    const r = this.startRewrite();
    if (r.startsWith("ERR")) {
      this.waitRewrite = false;
      this.rewriteScheduled = false;
      this.server.log.warn(
        "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.",
      );
      throw new AofError(r.slice(4));
    }
    if (this.rewriteScheduled) {
      this.server.log.warn(
        "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.",
      );
    }
  }

  /**
   * WAIT_REWRITE ended without a manifest (cancelled or failed): close the temp incr file the
   * writes went to, drop what was not written yet, and delete it.
   */
  private dropTempIncr(): void {
    if (this.on) {
      closeQuiet(this.fd);
      this.fd = -1;
      this.detach();
    }
    this.w.out.consumed(this.w.out.pending);
    this.writeError = null;
    unlinkQuiet(this.path(this.tempIncrName()));
  }

  /** appendonly no (or shutdown) before the first base was complete: nothing was published. */
  private stopWaitRewrite(): void {
    this.abortRewrite();
    this.dropTempIncr();
    this.waitRewrite = false;
    this.releaseHeld();
    this.server.log.notice("AOF switched off before its first rewrite completed");
  }

  /** Redis's getTempIncrAofName: the incr file of AOF_WAIT_REWRITE, named by no manifest. */
  private tempIncrName(): string {
    return `temp-${this.fname}.incr`;
  }

  private disable(): void {
    if (this.waitRewrite) return this.stopWaitRewrite();
    if (!this.close()) {
      this.server.log.warn("AOF turned off with unwritten data (write error)");
      closeQuiet(this.fd);
      this.fd = -1;
      this.detach();
      this.w.out.consumed(this.w.out.pending);
      this.writeError = null;
      this.releaseHeld(); // off: nothing to wait for any more
    }
  }

  // ---- the write path ----------------------------------------------------------------------

  /** End offset of everything fed so far (written + pending). */
  pendingEnd(): number {
    return this.writtenEnd + this.w.out.pending;
  }

  /** Bytes fed but not yet written (INFO aof_buffer_length). */
  get bufferLength(): number {
    return this.w.out.pending;
  }

  /** keyspace.dirty minus the store's own changes: moves only when a command wrote. */
  commandDirty(): number {
    return this.server.keyspace.dirty - this.storeEvents;
  }

  /** The -MISCONF error for a write while the AOF cannot be written, or null. */
  misconfError(): string | null {
    if (this.writeError === null || !this.on) return null;
    return `MISCONF Errors writing to the AOF file: ${this.writeError}`;
  }

  /** A transaction's commands become one MULTI ... EXEC unit (nested: counted). */
  beginUnit(): void {
    this.unitDepth++;
  }

  endUnit(): void {
    if (this.unitDepth === 0) return;
    this.unitDepth--;
    if (this.unitDepth === 0 && this.unitOpen) {
      this.unitOpen = false;
      this.w.begin(1);
      this.w.str("EXEC");
    }
  }

  private select(db: number): void {
    if (db === this.selectedDb) return;
    this.w.begin(2);
    this.w.str("SELECT");
    this.w.int(db);
    this.selectedDb = db;
  }

  private startCommand(db: number): void {
    if (this.unitDepth > 0 && !this.unitOpen) {
      this.unitOpen = true;
      this.w.begin(1);
      this.w.str("MULTI");
    }
    this.select(db);
  }

  /**
   * Server.call: command `spec` ran on database `db` with arguments `a` and changed data.
   * Written in Redis's propagation form; `waiter` (the client) waits for these bytes.
   */
  feedCommand(db: number, a: Args, spec: CommandSpec, waiter: AofWaiter | null): void {
    this.startCommand(db);
    const w = this.w;
    const t = this.server.keyspace.dbs[db]!;
    const name = spec.name;
    // The state after the command decides the form (t.find: no lazy expiry, no touch).
    switch (name) {
      case "set":
      case "setex":
      case "psetex": {
        if (a.count === 3 && name === "set") {
          w.argv(a); // plain SET: no TTL after it, no lookup needed
          break;
        }
        const e = keyEntry(t, a);
        if (e < 0) delArg(w, a);
        else if (t.expireAt[e]! !== 0) {
          w.begin(5);
          w.str("SET");
          w.arg(a, 1);
          w.arg(a, name === "set" ? 2 : 3);
          w.str("PXAT");
          w.int(t.expireAt[e]!);
        } else w.argv(a);
        break;
      }
      case "expire":
      case "pexpire":
      case "expireat":
      case "pexpireat":
      case "getex": {
        const e = keyEntry(t, a);
        if (e < 0) delArg(w, a);
        else if (t.expireAt[e]! !== 0) {
          w.begin(3);
          w.str("PEXPIREAT");
          w.arg(a, 1);
          w.int(t.expireAt[e]!);
        } else if (name === "getex") {
          w.begin(2);
          w.str("PERSIST");
          w.arg(a, 1);
        } else w.argv(a);
        break;
      }
      case "incrbyfloat": {
        const e = keyEntry(t, a);
        if (e < 0) w.argv(a);
        else {
          w.begin(4);
          w.str("SET");
          w.arg(a, 1);
          w.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
          w.str("KEEPTTL");
        }
        break;
      }
      case "restore": {
        // RESTORE key ttl payload [REPLACE] [ABSTTL] ...: a relative ttl becomes ABSTTL.
        const e = keyEntry(t, a);
        let abs = false;
        for (let i = 4; i < a.count; i++) if (a.is(i, "absttl")) abs = true;
        if (e >= 0 && t.expireAt[e]! !== 0 && !abs) {
          w.begin(a.count + 1);
          for (let i = 0; i < a.count; i++) {
            if (i === 2) w.int(t.expireAt[e]!);
            else w.arg(a, i);
          }
          w.str("ABSTTL");
        } else w.argv(a);
        break;
      }
      default:
        w.argv(a);
    }
    if (waiter !== null) waiter.aofWait = this.pendingEnd();
  }

  /** Propagate a command given as strings/bytes (e.g. a blocked client served later). */
  feedArgs(db: number, parts: readonly (string | Uint8Array)[], waiter: AofWaiter | null): void {
    if (!this.on || this.loading) return;
    this.startCommand(db);
    this.w.begin(parts.length);
    for (const p of parts) {
      const b = typeof p === "string" ? Buffer.from(p) : p;
      this.w.bulk(b, 0, b.length);
    }
    if (waiter !== null) waiter.aofWait = this.pendingEnd();
  }

  // KeyObserver: the store removed a key on its own -> DEL (commands are fed from call).
  keyModified(
    db: number,
    buf: Uint8Array,
    off: number,
    len: number,
    _cls: NotifyClass,
    event: string,
  ): void {
    if (event !== "expired" && event !== "evicted") return;
    this.storeEvents++;
    if (this.loading) return;
    this.startCommand(db);
    this.w.begin(2);
    this.w.str("DEL");
    this.w.bulk(buf, off, len);
  }

  flushed(_db: number): void {}
  swapped(_a: number, _b: number): void {}

  /**
   * Client.flush asks before sending: true = the reply is held, and sent after the turn's one
   * write (+ one fsync with always) of everything pending, from all clients (group commit).
   * With everysec/no, a reply is held only until the write, and never while writes fail or
   * are postponed (Redis sends those replies too); with always, until its bytes are fsynced.
   */
  holdReply(c: AofWaiter): boolean {
    if (!this.on) return false;
    if (this.policy !== FSYNC_ALWAYS) {
      if (this.releasing || this.w.out.pending === 0 || this.writeError !== null) return false;
      if (!this.batchWrites) {
        this.writePending(false);
        return false;
      }
    } else {
      if (this.syncedEnd >= this.pendingEnd()) return false;
      // While the disk refuses writes, clients that wrote nothing unsynced still get replies.
      if (this.writeError !== null && c.aofWait <= this.syncedEnd) return false;
    }
    if (!c.aofHeld) {
      c.aofHeld = true;
      this.held.push(c);
    }
    if (!this.scheduled && this.writeError === null) {
      this.scheduled = true;
      setImmediate(this.groupCommit);
    }
    return true;
  }

  /** One write (+ one fsync with always) for everything pending, then the held replies. */
  private readonly groupCommit = (): void => {
    this.scheduled = false;
    const always = this.policy === FSYNC_ALWAYS;
    if (this.on && this.writePending(always) && always) this.fsyncNow();
    this.releasing = true;
    try {
      this.releaseHeld();
    } finally {
      this.releasing = false;
    }
  };

  private releaseHeld(): void {
    if (this.held.length === 0) return;
    const held = this.held;
    this.held = [];
    for (const c of held) c.aofHeld = false;
    for (const c of held) c.flush(); // those still waiting (write error) are held again
  }

  /**
   * Write the pending bytes (Redis's flushAppendOnlyFile). everysec: postponed while an fsync
   * runs, up to 2 s (`force` skips that). Returns false if the disk refused them.
   */
  private writePending(force: boolean): boolean {
    const out = this.w.out;
    if (out.pending === 0) return true;
    if (this.policy === FSYNC_EVERYSEC && this.fsyncInProgress && !force) {
      const now = Date.now();
      if (this.postponeStart === 0) {
        this.postponeStart = now;
        return true;
      }
      if (now - this.postponeStart < MAX_POSTPONE_MS) return true;
      this.delayedFsync++;
      this.server.log.notice(
        "Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.",
      );
    }
    this.postponeStart = 0;
    let done = 0;
    const total = out.pending;
    try {
      while (done < total) {
        const n = writeSync(this.fd, out.buf, out.start + done, total - done);
        this.writes++;
        done += n;
      }
    } catch (e) {
      // Cut a partial write back off the file so the retry does not duplicate bytes.
      if (done > 0) {
        try {
          ftruncateSync(this.fd, this.incrSize);
        } catch {
          this.advance(done); // could not cut: those bytes stay in the file
        }
      }
      this.setWriteError(e, "write");
      return false;
    }
    this.advance(total);
    if (this.policy === FSYNC_EVERYSEC) this.maybeFsync(Date.now());
    return true;
  }

  private advance(n: number): void {
    this.w.out.consumed(n);
    this.writtenEnd += n;
    this.incrSize += n;
    this.currentSize += n;
  }

  private setWriteError(e: unknown, what: string): void {
    const text = strerror(e);
    if (this.writeError === null) {
      const verb = what === "fsync" ? "fsyncing" : "writing to";
      this.server.log.warn(`Error ${verb} the AOF file: ${text}`);
    }
    this.writeError = text;
  }

  private fsyncNow(): boolean {
    if (this.syncedEnd < this.writtenEnd) {
      const target = this.writtenEnd;
      try {
        fdatasyncSync(this.fd); // as Redis's redis_fsync on Linux
        this.fsyncs++;
      } catch (e) {
        this.setWriteError(e, "fsync");
        return false;
      }
      this.syncedEnd = target;
      this.lastFsyncMs = Date.now();
    }
    if (this.writeError !== null && this.w.out.pending === 0) {
      this.writeError = null;
      this.server.log.warn("AOF write error looks solved, Redis can write again.");
    }
    return true;
  }

  /** everysec: start an fsync off the event loop if a second passed and bytes are unsynced. */
  private maybeFsync(now: number): void {
    if (this.fsyncInProgress || this.syncedEnd >= this.writtenEnd) return;
    if (now - this.lastFsyncMs < 1000) return;
    const target = this.writtenEnd;
    const fd = this.fd;
    this.fsyncInProgress = true;
    this.lastFsyncMs = now;
    fdatasync(fd, (err) => {
      this.fsyncInProgress = false;
      this.fsyncs++;
      if (fd !== this.fd) return;
      if (err) this.setWriteError(err, "fsync");
      else if (target > this.syncedEnd) this.syncedEnd = target;
    });
  }

  /** From the server cron: postponed writes, everysec fsync, retries after a write error. */
  cron(now: number): void {
    if (!this.on) {
      if (this.waitRewrite) this.rewriteCron(); // a scheduled or failed first rewrite
      return;
    }
    if (this.w.out.pending > 0 || this.writeError !== null) {
      const strict = this.policy === FSYNC_ALWAYS || this.writeError !== null;
      if (this.writePending(strict) && strict) this.fsyncNow();
      if (this.policy === FSYNC_ALWAYS) this.releaseHeld();
    }
    if (this.policy === FSYNC_EVERYSEC) this.maybeFsync(now);
    this.rewriteCron();
  }

  // ---- files -------------------------------------------------------------------------------

  private path(name: string): string {
    return join(this.dirPath, name);
  }

  /** An RDB base file into the (empty) keyspace; returns its number of keys. */
  private loadRdbBase(name: string): number {
    const server = this.server;
    let r: LoadResult;
    try {
      r = loadSnapshotFile(server.keyspace, this.path(name), server.commandLimits);
    } catch (e) {
      if (!(e instanceof RdbError)) throw e;
      throw new AofLoadError(`Bad RDB base file ${name}: ${e.message}`);
    }
    const bad = server.scripts.replaceLibraries(r.functions);
    if (bad.length > 0) {
      throw new AofLoadError(`Failed loading library from the RDB base ${name}: ${bad[0]}`);
    }
    return r.keys;
  }

  /** Load base + incr files of the manifest through the command table. */
  private loadAll(mpath: string): void {
    const log = this.server.log;
    try {
      this.manifest = parseManifest(readFileSync(mpath, "latin1"));
    } catch (e) {
      if (e instanceof ManifestError) throw new AofLoadError(`${e.message}: ${mpath}`);
      throw e;
    }
    const m = this.manifest;
    const files: AofFileInfo[] = [...(m.base ? [m.base] : []), ...m.incr];
    if (files.length === 0) throw new AofLoadError(`The AOF manifest ${mpath} lists no files`);
    let total = 0;
    for (const f of files) {
      const p = this.path(f.name);
      if (!existsSync(p)) {
        throw new AofLoadError(`The AOF file ${f.name} (in ${this.dirPath}) doesn't exist`);
      }
      total += statSync(p).size;
    }
    const replayer = this.replayer();
    this.loading = true;
    this.loadingStart = Date.now();
    this.loadingTotal = total;
    this.loadingLoaded = 0;
    const t0 = performance.now();
    let before = 0;
    let commands = 0;
    try {
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        const last = i === files.length - 1;
        let lastLog = performance.now();
        if (f.type === "b" && f.name.endsWith(".rdb")) {
          // redis-server's default base (aof-use-rdb-preamble yes): an RDB file, loaded as
          // dbfilename is (every type and encoding, straight into the store), then its
          // function libraries; the incr files replay on top.
          const keys = this.loadRdbBase(f.name);
          const size = statSync(this.path(f.name)).size;
          before += size;
          this.baseSize = size;
          log.notice(`DB loaded from base file ${f.name} (RDB): ${keys} keys`);
          continue;
        }
        const r = loadAofFile(this.path(f.name), f.name, replayer, {
          last,
          truncatedOk: this.server.config.bool("aof-load-truncated"),
          log: (level, msg) => (level === "warning" ? log.warn(msg) : log.notice(msg)),
          progressBytes: 4 << 20,
          progress: (n) => {
            this.loadingLoaded = before + n;
            const now = performance.now();
            if (now - lastLog >= 1000) {
              lastLog = now;
              const pct = ((this.loadingLoaded / Math.max(1, total)) * 100).toFixed(2);
              log.notice(`Loading AOF: ${pct}% (${this.loadingLoaded} of ${total} bytes)`);
            }
          },
        });
        commands += r.commands;
        before += r.size;
        if (f.type === "b") this.baseSize = r.size;
        else if (last) this.incrSize = r.size;
        log.notice(
          `DB loaded from ${f.type === "b" ? "base" : "incr"} file ${f.name}: ${r.commands} commands`,
        );
      }
    } finally {
      this.loading = false;
    }
    this.currentSize = before;
    const secs = ((performance.now() - t0) / 1000).toFixed(3);
    log.notice(`DB loaded from append only file: ${secs} seconds (${commands} commands)`);
  }

  /** After loading: append to the last incr file (a manifest without one gets a new one). */
  private openExisting(): void {
    const m = this.manifest;
    const last = m.incr[m.incr.length - 1];
    if (last === undefined) {
      const f: AofFileInfo = { name: incrName(this.fname, 1), seq: 1, type: "i" };
      m.incr.push(f);
      this.fd = openSync(this.path(f.name), "a");
      this.writeManifest();
      this.incrSize = 0;
    } else {
      this.fd = openSync(this.path(last.name), "a");
      this.incrSize = fstatSync(this.fd).size;
    }
  }

  /**
   * At start with no AOF directory: an empty base and an empty incr file, then the manifest
   * naming them (Redis 7.0's layout). A base of data is always a background rewrite
   * (startRewrite; CONFIG SET appendonly yes goes through it too).
   */
  private createFresh(): void {
    const why = "on server start";
    const log = this.server.log;
    mkdirSync(this.dirPath, { recursive: true });
    const old = this.manifest;
    const baseSeq = (old.base?.seq ?? 0) + 1;
    const incrSeq = (old.incr[old.incr.length - 1]?.seq ?? 0) + 1;
    const base: AofFileInfo = { name: baseName(this.fname, baseSeq), seq: baseSeq, type: "b" };
    const incr: AofFileInfo = { name: incrName(this.fname, incrSeq), seq: incrSeq, type: "i" };
    const tmp = this.path(`temp-rewriteaof-${process.pid}.aof`);
    let size = 0;
    let fd = -1;
    try {
      size = this.writeEmptyBase(tmp, this.path(base.name));
      fd = openSync(this.path(incr.name), "a");
      const oldFiles = [...(old.base ? [old.base] : []), ...old.history, ...old.incr];
      this.manifest = { base, incr: [incr], history: [] };
      this.writeManifest();
      for (const f of oldFiles) unlinkQuiet(this.path(f.name));
    } catch (e) {
      closeQuiet(fd);
      unlinkQuiet(tmp);
      this.manifest = old;
      throw new AofError(`Can't create the AOF files in ${this.dirPath}: ${strerror(e)}`);
    }
    log.notice(`Creating AOF base file ${base.name} ${why}`);
    log.notice(`Creating AOF incr file ${incr.name} ${why}`);
    if (this.fd >= 0) closeQuiet(this.fd);
    this.fd = fd;
    this.baseSize = size;
    this.currentSize = size;
    this.incrSize = 0;
    this.selectedDb = -1;
    this.writeError = null;
  }

  /** temp file + fsync + rename + fsync of the directory, as Redis's persistAofManifest. */
  private writeManifest(): void {
    const name = manifestName(this.fname);
    const tmp = this.path(`temp-${name}`);
    const fd = openSync(tmp, "w");
    try {
      const text = Buffer.from(formatManifest(this.manifest), "latin1");
      writeSync(fd, text, 0, text.length);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path(name));
    fsyncDir(this.dirPath);
  }

  // ---- BGREWRITEAOF (Redis 7.0's rewrite: docs/PERSISTENCE.md, "Rewrite") ------------------

  /** A rewrite is running (aof_rewrite_in_progress). */
  get rewriting(): boolean {
    return this.rw !== null;
  }

  /**
   * BGREWRITEAOF: the status text, or an error text starting with "ERR". While a BGSAVE runs
   * (one SnapshotJob guards the keyspace at a time) the rewrite is scheduled for its end.
   */
  startRewrite(): string {
    if (!this.enabled) return "ERR AOF is off";
    if (this.rw !== null) return "ERR Background append only file rewriting already in progress";
    if (this.server.snapshots.inProgress) {
      this.rewriteScheduled = true;
      return "Background append only file rewriting scheduled";
    }
    this.rewriteScheduled = false;
    const t0 = performance.now();
    const err = this.beginRewrite();
    if (this.rw !== null) noteSlow(this.rw, "start", t0);
    if (err !== null) {
      this.lastBgrewriteOk = false;
      if (this.waitRewrite) {
        this.rewriteScheduled = true; // AOF_WAIT_REWRITE: tried again from the cron
        this.lastRewriteTryMs = Date.now();
      }
      this.server.log.warn(`Can't rewrite append only file in background: ${err}`);
      return `ERR ${err}`;
    }
    return "Background append only file rewriting started";
  }

  /**
   * Start: everything pending written and fsynced, a new incr file (next seq) takes every write
   * from now on, and the manifest lists old base + old incrs + the new incr. Then the new base:
   * an RDB snapshot walked in slices (preamble yes) or AOF commands at once (no).
   */
  private beginRewrite(): string | null {
    if (!this.flushAndSync()) return `write error: ${this.writeError}`;
    const old = this.manifest;
    const incrSeq = (old.incr[old.incr.length - 1]?.seq ?? 0) + 1;
    const baseSeq = (old.base?.seq ?? 0) + 1;
    const incr: AofFileInfo = { name: incrName(this.fname, incrSeq), seq: incrSeq, type: "i" };
    const rdb = this.server.config.bool("aof-use-rdb-preamble");
    const base: AofFileInfo = {
      name: baseName(this.fname, baseSeq, rdb),
      seq: baseSeq,
      type: "b",
    };
    let fd = -1;
    if (this.waitRewrite) {
      // AOF_WAIT_REWRITE (Redis's openNewIncrAofForAppend): writes from now on go to a temp
      // incr file, truncated (a retry starts over with a new base), and the manifest stays.
      const temp = this.tempIncrName();
      try {
        fd = openSync(this.path(temp), "w");
      } catch (e) {
        return `Can't open the append-only file ${temp}: ${strerror(e)}`;
      }
      this.fd = fd;
      this.incrSize = 0;
      this.baseSize = 0;
      this.currentSize = 0;
      this.writeError = null;
      this.attach(); // on: commands are fed from here, after the walk's point in time
      this.server.log.notice(`Creating AOF incr file ${temp} on background rewrite`);
    } else {
      try {
        fd = openSync(this.path(incr.name), "a");
        this.manifest = { base: old.base, incr: [...old.incr, incr], history: old.history };
        this.writeManifest();
      } catch (e) {
        closeQuiet(fd);
        unlinkQuiet(this.path(incr.name));
        this.manifest = old;
        return `Can't open the append-only file ${incr.name}: ${strerror(e)}`;
      }
      closeQuiet(this.fd);
      this.fd = fd;
      this.incrSize = 0;
      this.selectedDb = -1;
      this.server.log.notice(`Creating AOF incr file ${incr.name} on background rewrite`);
    }
    const oldFiles = [...(old.base ? [old.base] : []), ...old.history, ...old.incr];
    const rw: RewriteState = {
      base,
      incr,
      oldFiles,
      startedAt: Date.now(),
      job: null,
      timer: null,
      slow: [],
    };
    this.rw = rw;
    const tmp = this.path(`temp-rewriteaof-bg-${process.pid}.aof`);
    if (!rdb) {
      // AOF-format base: the command walk in slices under the same guard (aof-base-job.ts)
      let job: AofBaseJob;
      try {
        job = new AofBaseJob(
          this.server.keyspace,
          tmp,
          this.path(base.name),
          this.rewriteSliceMs,
          this.server.scripts.libraryCodes(),
        );
      } catch (e) {
        this.failRewrite(rw, strerror(e));
        return strerror(e);
      }
      job.attach();
      rw.job = job;
      this.server.log.notice(
        "Background append only file rewriting started (no fork: incremental walk)",
      );
      this.scheduleRewrite(rw);
      return null;
    }
    const c = this.server.config;
    let job: SnapshotJob;
    try {
      job = new SnapshotJob(
        this.server.keyspace,
        this.path(base.name),
        {
          compression: c.bool("rdbcompression"),
          checksum: c.bool("rdbchecksum"),
          clockMeta: clockMetaFor(c.get("maxmemory-policy")),
          limits: snapshotLimits(this.server.commandLimits),
          tmpPath: tmp,
          aofBase: true,
          sliceMs: this.rewriteSliceMs,
          functions: this.server.scripts.libraryCodes(),
        },
        this.server.keyspace.usedBytes(),
      );
    } catch (e) {
      this.failRewrite(rw, strerror(e));
      return strerror(e);
    }
    job.syncFinish = false;
    job.attach();
    rw.job = job;
    this.server.log.notice(
      "Background append only file rewriting started (no fork: incremental walk)",
    );
    this.scheduleRewrite(rw);
    return null;
  }

  /** Longest slice of the rewrite's walk, ms (tests make it small). */
  rewriteSliceMs = 2;

  /** Next slice on a 0 ms timer (as BGSAVE: clients' I/O runs between slices). */
  private scheduleRewrite(rw: RewriteState): void {
    rw.timer = setTimeout(() => {
      rw.timer = null;
      if (this.rw !== rw) return;
      this.stepRewrite(rw);
    }, 0);
  }

  private stepRewrite(rw: RewriteState): void {
    const job = rw.job!;
    if (!job.finished && !job.walkDone) {
      const t0 = performance.now();
      const k0 = job.keys;
      const more = job.step();
      const sync = job instanceof AofBaseJob ? `, ${job.sliceSyncWrites} sync writes` : "";
      noteSlow(rw, `slice ${job.slices} (${job.keys - k0} keys${sync})`, t0);
      if (more) return this.scheduleRewrite(rw);
    }
    if (job.finished && job.error !== null) return this.failRewrite(rw, job.error);
    if (rw.fsyncing) return;
    rw.fsyncing = true;
    // walk done (by the slices or a FLUSHALL's guard): fsync off the loop, rename, publish
    const tf = performance.now();
    job.finishAsync(() => {
      rw.fsyncing = false;
      rw.slow.push(`fsync in the pool ${(performance.now() - tf).toFixed(1)} ms`);
      if (job instanceof AofBaseJob && job.endMs > SLOW_STEP_MS)
        rw.slow.push(`close+rename+dir fsync ${job.endMs.toFixed(1)} ms`);
      if (this.rw !== rw) return;
      if (job.error !== null) return this.failRewrite(rw, job.error);
      let size = 0;
      try {
        size = statSync(this.path(rw.base.name)).size;
      } catch (e) {
        return this.failRewrite(rw, strerror(e));
      }
      this.finishRewrite(rw, size);
    });
  }

  /** An empty base: `tmp` created, fsynced, renamed to `dest`; its size (0). */
  private writeEmptyBase(tmp: string, dest: string): number {
    const bfd = openSync(tmp, "w");
    try {
      fsyncSync(bfd);
    } finally {
      closeSync(bfd);
    }
    renameSync(tmp, dest);
    return 0;
  }

  /** The base is on disk: manifest = new base + the new incr (atomic), then the old files go. */
  private finishRewrite(rw: RewriteState, baseSize: number): void {
    const before = this.manifest;
    const waiting = this.waitRewrite;
    // incr files opened since the start (none today) stay after the new one
    const incr = waiting ? [rw.incr] : before.incr.filter((f) => f.seq >= rw.incr.seq);
    try {
      // AOF_WAIT_REWRITE: the temp incr file (open, taking writes) gets its real name first;
      // the manifest naming it is written after, so a crash in between leaves no AOF.
      let t0 = performance.now();
      if (waiting) renameSync(this.path(this.tempIncrName()), this.path(rw.incr.name));
      noteSlow(rw, "incr rename", t0);
      t0 = performance.now();
      this.manifest = { base: rw.base, incr, history: [] };
      this.writeManifest();
      noteSlow(rw, "manifest", t0);
    } catch (e) {
      this.manifest = before;
      unlinkQuiet(this.path(rw.base.name));
      return this.failRewrite(rw, strerror(e));
    }
    if (waiting) {
      this.waitRewrite = false; // AOF_ON
      this.server.log.notice(`Creating AOF base file ${rw.base.name} (appendonly switched on)`);
      this.server.log.notice(`Creating AOF incr file ${rw.incr.name} (appendonly switched on)`);
    }
    // in the thread pool: unlinking a big old base blocks (measured: 30 MB 28 ms, 250 MB
    // 200+ ms); the new manifest no longer names them, so a crash before it only leaves files
    const tu = performance.now();
    for (const f of rw.oldFiles) unlinkInBackground(this.path(f.name));
    noteSlow(rw, "unlinks", tu);
    this.rw = null;
    this.baseSize = baseSize;
    this.currentSize = baseSize + this.incrSize;
    this.rewrites++;
    this.lastRewriteMs = Date.now() - rw.startedAt;
    this.lastCowBytes = rw.job?.extraBytes ?? 0;
    this.lastBgrewriteOk = true;
    this.server.log.notice(
      `Background AOF rewrite terminated with success (base ${rw.base.name}, ${baseSize} bytes, ${rw.job?.slices ?? 0} slices, longest ${(rw.job?.longestSliceMs ?? 0).toFixed(1)} ms${rw.slow.length > 0 ? `; slow: ${rw.slow.join(", ")}` : ""})`,
    );
    this.server.log.notice("Background AOF rewrite finished successfully");
    this.onRewriteDone?.(true);
  }

  /** The old base and incrs stay listed with the new incr: nothing is lost, only not compacted. */
  private failRewrite(rw: RewriteState, why: string): void {
    if (rw.timer !== null) clearTimeout(rw.timer);
    rw.job?.abort();
    if (this.rw === rw) this.rw = null;
    this.lastBgrewriteOk = false;
    this.lastRewriteMs = Date.now() - rw.startedAt;
    this.server.log.warn(`Background AOF rewrite failed: ${why}`);
    if (this.waitRewrite) {
      // Redis: still AOF_WAIT_REWRITE, a new rewrite is scheduled (here: after 5 s, as the
      // automatic rule's retry); the temp incr file goes, no manifest names anything new.
      this.dropTempIncr();
      this.releaseHeld();
      this.rewriteScheduled = true;
      this.lastRewriteTryMs = Date.now();
    }
    this.onRewriteDone?.(false);
  }

  /** Stop a running rewrite (shutdown, appendonly no): its temp file goes, the manifest stays. */
  private abortRewrite(): void {
    const rw = this.rw;
    this.rewriteScheduled = false;
    if (rw === null) return;
    if (rw.timer !== null) clearTimeout(rw.timer);
    rw.job?.abort();
    this.rw = null;
  }

  /** Called when a rewrite ends (tests wait on it). */
  onRewriteDone: ((ok: boolean) => void) | null = null;

  /** From the cron: a scheduled rewrite once no BGSAVE runs; the automatic rewrite rule. */
  private rewriteCron(): void {
    if (this.rw !== null) {
      const job = this.rw.job;
      // a guard (FLUSHALL ...) may have completed the walk between slices
      if (job !== null && (job.finished || job.walkDone) && this.rw.timer === null)
        this.stepRewrite(this.rw);
      return;
    }
    if (this.server.snapshots.inProgress) return;
    if (this.rewriteScheduled) {
      // a failed first rewrite (AOF_WAIT_REWRITE) is tried again after 5 s
      if (this.waitRewrite && !this.lastBgrewriteOk && Date.now() - this.lastRewriteTryMs < 5000)
        return;
      this.lastRewriteTryMs = Date.now();
      this.startRewrite();
      return;
    }
    if (!this.on) return;
    // Redis's rule: aof_current_size > min size and growth over the base >= percentage.
    const c = this.server.config;
    const perc = c.int("auto-aof-rewrite-percentage");
    if (perc === 0 || this.currentSize <= c.int("auto-aof-rewrite-min-size")) return;
    if (!this.lastBgrewriteOk && Date.now() - this.lastRewriteTryMs < 5000) return;
    const base = this.baseSize === 0 ? 1 : this.baseSize;
    const growth = Math.floor((this.currentSize * 100) / base) - 100;
    if (growth < perc) return;
    this.server.log.notice(`Starting automatic rewriting of AOF on ${growth}% growth`);
    this.lastRewriteTryMs = Date.now();
    this.startRewrite();
  }

  private lastRewriteTryMs = 0;

  /** INFO aof_current_rewrite_time_sec. */
  currentRewriteSec(): number {
    return this.rw === null ? -1 : Math.round((Date.now() - this.rw.startedAt) / 1000);
  }

  /** Runs loaded commands through the real command table, on a context with no socket. */
  private replayer(): Replayer {
    const server = this.server;
    const out = new OutBuf();
    const reply = new Reply(out);
    reply.mode = MODE_RESP2;
    const session = {
      id: 0,
      addr: "",
      laddr: "",
      createdAt: Date.now(),
      name: "",
      authenticated: true,
      replyMode: REPLY_ON,
      noEvict: true,
      libName: "",
      libVer: "",
      isV1: false,
      closeAfterFlush: false,
      subscriptionCount: 0,
      ctx: null as unknown as SessionContext,
      describe: () => "id=0 (AOF loader)",
      reset: () => {},
      close: () => {},
      holdForScript: () => {},
      releaseFromScript: () => {},
    };
    const ctx = new SessionContext(server.keyspace, server.commandLimits, reply, session, server);
    session.ctx = ctx;
    return {
      run: (a: Args) => {
        let spec = server.commands.lookupOrOriginal(a.buf, a.off(0), a.len(0));
        if (spec === undefined) return `unknown command '${a.latin1(0).slice(0, 128)}'`;
        if (spec.subcommands !== undefined && a.count >= 2) {
          const sub = spec.subcommands.find((s) => a.is(1, s.name.slice(s.name.indexOf("|") + 1)));
          if (sub !== undefined) spec = sub;
        }
        if ((spec.arity > 0 && a.count !== spec.arity) || a.count < -spec.arity) {
          return `wrong number of arguments for '${spec.name}'`;
        }
        ctx.argv = a;
        ctx.commandName = spec.name;
        server.keyspace.setNow(Date.now());
        spec.handler(ctx);
        out.consumed(out.pending);
        reply.resetState();
        return null;
      },
    };
  }
}

/** A background rewrite: the base being written, the incr file that takes the writes. */
interface RewriteState {
  base: AofFileInfo;
  incr: AofFileInfo;
  /** Files the new base replaces (deleted once the new manifest is on disk). */
  oldFiles: AofFileInfo[];
  startedAt: number;
  job: SnapshotJob | AofBaseJob | null;
  timer: ReturnType<typeof setTimeout> | null;
  fsyncing?: boolean;
  /** Event-loop steps over SLOW_STEP_MS (slices, start, end: at most 24), for the success log. */
  slow: string[];
}

/** A rewrite step longer than this is named in the log (issue #18: ~5 ms a step). */
const SLOW_STEP_MS = 5;

function noteSlow(rw: RewriteState, what: string, t0: number): void {
  const dt = performance.now() - t0;
  if (dt > SLOW_STEP_MS && rw.slow.length < 24) rw.slow.push(`${what} ${dt.toFixed(1)} ms`);
}

/** Entry of the key in argument 1 after the command (no lazy expiry, no touch), or -1. */
function keyEntry(t: Table, a: Args): number {
  return a.count > 1 ? t.find(a.buf, a.off(1), a.len(1)) : -1;
}

function delArg(w: CommandWriter, a: Args): void {
  w.begin(2);
  w.str("DEL");
  w.arg(a, 1);
}

function closeQuiet(fd: number): void {
  if (fd < 0) return;
  try {
    closeSync(fd);
  } catch {}
}

function unlinkInBackground(p: string): void {
  unlink(p, () => {}); // a failure leaves an unlisted file, as a crash would
}

function unlinkQuiet(p: string): void {
  try {
    unlinkSync(p);
  } catch {}
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {}
}
