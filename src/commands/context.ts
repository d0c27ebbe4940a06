// The command boundary. A data command (strings, keys, sorted sets, ...) sees one object, its
// CommandContext: the request's arguments, the reply writer, the selected database, the
// keyspace, the clock, the limits it must respect and the protocol version. It never sees the
// server, the socket or other clients, so a handler runs in a test with nothing but a keyspace.
//
// Every write is announced through ONE signal, `keyModified` (or `modifiedArg`), naming the
// database, the key and the keyspace event (Redis's signalModifiedKey + notifyKeyspaceEvent in
// one call). The keyspace counts it (`dirty`) and hands it to its observers: WATCH,
// keyspace notifications, persistence and client-side caching hang from there, never from
// the handlers (docs/ARCHITECTURE.md, "The write path").
//
// Connection and server commands get a SessionContext: the same, plus the calling client's
// session state and a narrow control surface of the server (ServerControl).

import type { Config } from "../config.ts";
import { Args } from "../protocol/args.ts";
import type { Reply } from "../protocol/reply.ts";
import type { ScriptRunner } from "../scripting/runner.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { NotifyClass } from "../store/notify.ts";
import type { Table } from "../store/table.ts";
import type { Observability } from "./observe.ts";
import type { CommandTable } from "./table.ts";

/** Config values data commands read per request, copied from the config when it changes. */
export class CommandLimits {
  /** proto-max-bulk-len: the longest string a command may create (APPEND, SETRANGE...). */
  protoMaxBulkLen = 512 * 1024 * 1024;
  zsetMaxListpackEntries = 128;
  zsetMaxListpackValue = 64;
  hashMaxListpackEntries = 512;
  hashMaxListpackValue = 64;
  setMaxIntsetEntries = 512;
  listMaxListpackSize = -2;
  listCompressDepth = 0;
  streamNodeMaxBytes = 4096;
  streamNodeMaxEntries = 100;
  /** lazyfree-lazy-user-flush: FLUSHDB without SYNC/ASYNC frees in the background. */
  lazyfreeLazyUserFlush = false;
  /**
   * Shared integer objects are in use (OBJECT REFCOUNT answers 2147483647 for 0..9999): not
   * when maxmemory is set with an LRU/LFU policy, as Redis.
   */
  sharedIntegers = true;
}

/**
 * Per-context scratch buffers, grown on demand and reused by every command of the context, so
 * a command that needs a temporary array allocates nothing in the steady state. A buffer's
 * contents are only valid inside the handler that asked for it.
 */
export class Scratch {
  private readonly records = new Map<RecordSlot<unknown>, unknown>();
  private i32Buf = new Int32Array(64);
  private f64Buf = new Float64Array(64);
  private u8Buf = new Uint8Array(64);

  i32(n: number): Int32Array {
    if (this.i32Buf.length < n) this.i32Buf = new Int32Array(grow(this.i32Buf.length, n));
    return this.i32Buf;
  }

  f64(n: number): Float64Array {
    if (this.f64Buf.length < n) this.f64Buf = new Float64Array(grow(this.f64Buf.length, n));
    return this.f64Buf;
  }

  /** This context's instance of a family's working record (made on first use, then reused). */
  record<T>(slot: RecordSlot<T>): T {
    let r = this.records.get(slot);
    if (r === undefined) {
      r = slot.make();
      this.records.set(slot, r);
    }
    return r as T;
  }

  u8(n: number): Uint8Array {
    if (this.u8Buf.length < n) this.u8Buf = new Uint8Array(grow(this.u8Buf.length, n));
    return this.u8Buf;
  }
}

/**
 * Names a family's per-context working record (parsed ranges, option flags...): a family
 * declares `const SLOT = new RecordSlot(() => new MyState())` once and reads
 * `c.scratch.record(SLOT)` in its handlers, so results travel in a caller-owned record rather
 * than in module variables that a nested command (EXEC, a script) would overwrite.
 */
export class RecordSlot<T> {
  constructor(readonly make: () => T) {}
}

function grow(have: number, need: number): number {
  let n = Math.max(64, have);
  while (n < need) n *= 2;
  return n;
}

/**
 * Blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...): what the server implements for a
 * client's context (src/server/blocking.ts, docs/ARCHITECTURE.md "Blocking"). A bare context
 * (tests, the AOF loader) has none, and cannot block.
 */
export interface BlockingHost {
  /**
   * Park the context's client on keys argv[first, first+nkeys) of its database until one of
   * them is written and holds a value of `type` (TYPE_LIST, TYPE_ZSET, TYPE_STREAM), or until
   * unix ms `deadline` (0: forever). When a key is ready the server runs the same command
   * again, with the same arguments, after the command that made it ready (or the whole
   * transaction/script) has finished; the re-run either replies (served) or calls block()
   * again (stays blocked, keeping its place and deadline). Timeout: a null array reply.
   * `rerunArgv`: the arguments to run again with, when they differ from the request (XREAD
   * with `$` resolved to the last ID); the host copies them. Key positions are in ctx.argv.
   */
  block(
    ctx: CommandContext,
    first: number,
    nkeys: number,
    type: number,
    deadline: number,
    rerunArgv?: Args,
  ): void;
}

export class CommandContext {
  /** The request being executed. EXEC and scripts point it at their own argument vectors. */
  argv: Args;
  /** Where the one reply of the request goes. */
  reply: Reply;
  /** Selected database (SELECT). */
  db = 0;
  /** Protocol version chosen by HELLO: 2 or 3 on RESP; 1 (untyped) or 2/3 (typed) on v1. */
  protover = 2;
  /** Name of the command being executed, as Redis's c->cmd->fullname (error texts quote it). */
  commandName = "";
  /**
   * A write whose effect is not its own arguments (SPOP's random members) sets the command as
   * it must be written to the append-only file, as Redis's rewriteClientCommandVector (null:
   * the request as it came). Reset by the dispatcher before each command.
   */
  propagateAs: (string | Uint8Array)[] | null = null;
  /**
   * Whether anything reads propagateAs after this command (the AOF is on): set by the
   * dispatcher, so SPOP builds its SREM (an array and two byte copies) only then. True on a
   * bare context.
   */
  propagating = true;
  /** True while a blocked command runs again because a key it waits on changed (blocking.ts). */
  servingBlocked = false;
  /**
   * Out-parameter of the typed lookups (lookupZ ...): the entry id of the key they found (-1
   * none), so the caller has the entry without searching again. Valid until the next lookup.
   */
  entry = -1;
  readonly keyspace: Keyspace;
  readonly limits: CommandLimits;
  readonly scratch = new Scratch();
  /** Set by the server on client contexts; null: this context cannot block. */
  blocking: BlockingHost | null = null;
  /**
   * Blocking is refused (Redis's CLIENT_DENY_BLOCKING): set by EXEC and scripts while they
   * run, so a blocking command answers at once as on timeout.
   */
  denyBlocking = false;

  constructor(keyspace: Keyspace, limits: CommandLimits, reply: Reply, argv = new Args()) {
    this.keyspace = keyspace;
    this.limits = limits;
    this.reply = reply;
    this.argv = argv;
  }

  /** The selected database's table (looked up each time: SWAPDB exchanges tables). */
  get table(): Table {
    return this.keyspace.dbs[this.db]!;
  }

  /** Unix ms of this event-loop turn (every command of a turn sees the same time). */
  get now(): number {
    return this.keyspace.now;
  }

  /** The write signal: key bytes `buf[off, off+len)` of database `db` changed (`event`). */
  keyModified(
    db: number,
    buf: Uint8Array,
    off: number,
    len: number,
    cls: NotifyClass,
    event: string,
  ): void {
    this.keyspace.keyModified(db, buf, off, len, cls, event);
  }

  /**
   * A blocking command found nothing to serve: block on keys argv[first, first+nkeys) (see
   * BlockingHost.block). Returns false, having done nothing, when this context may not block
   * (inside MULTI or a script, or no server): the command then replies as Redis does there.
   * `rerunArgv`: see BlockingHost.block.
   */
  block(first: number, nkeys: number, type: number, deadline: number, rerunArgv?: Args): boolean {
    if (this.blocking === null || this.denyBlocking) return false;
    this.blocking.block(this, first, nkeys, type, deadline, rerunArgv);
    return true;
  }

  /** The write signal for the key in argument i of the selected database. */
  modifiedArg(i: number, cls: NotifyClass, event: string): void {
    const a = this.argv;
    this.keyspace.keyModified(this.db, a.buf, a.off(i), a.len(i), cls, event);
  }
}

/** CLIENT REPLY modes. SKIP_NEXT: set by CLIENT REPLY SKIP; SKIP: the command after it. */
export const REPLY_ON = 0;
export const REPLY_OFF = 1;
export const REPLY_SKIP_NEXT = 2;
export const REPLY_SKIP = 3;

/** The calling client's session state, as connection and server commands may change it. */
export interface ClientSession {
  readonly id: number;
  /** Peer and local addresses ("ip:port") and connection time (unix ms): CLIENT KILL filters. */
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;
  name: string;
  authenticated: boolean;
  /** CLIENT REPLY state (REPLY_ON/OFF/SKIP_NEXT/SKIP, src/server/client.ts). */
  replyMode: number;
  noEvict: boolean;
  libName: string;
  libVer: string;
  /** The connection speaks the original binary protocol (fixed by its first byte). */
  readonly isV1: boolean;
  /** Close once the queued replies are sent (QUIT). */
  closeAfterFlush: boolean;
  /** Channels + patterns + shard channels subscribed to (nonzero: a pub/sub client). */
  readonly subscriptionCount: number;
  readonly ctx: SessionContext;
  /** One CLIENT LIST line (Redis 7.0's fields) at unix ms `now`. */
  describe(now: number): string;
  /** RESET: leave what the server tracks for this client (transactions, subscriptions...). */
  reset(): void;
  close(): void;
  /** Stop executing this client's further requests (kept) until releaseFromScript(): the caller
   * of a script suspended past busy-reply-threshold waits for its reply. */
  holdForScript(): void;
  /** Send what is queued and execute the held requests. */
  releaseFromScript(): void;
}

/** What connection and server commands may read and do to the server as a whole. */
export interface ServerControl {
  readonly config: Config;
  readonly commands: CommandTable;
  /** Server start time (unix ms). */
  readonly startedAt: number;
  clientList(): Iterable<ClientSession>;
  /** INFO's text for the given sections (lowercase; empty = default). */
  info(sections: readonly string[]): string;
  /** CONFIG RESETSTAT. */
  resetStats(): void;
  /** The config file the server was started with ("" if none). */
  configFile(): string;
  logLine(level: "verbose" | "notice" | "warning", msg: string): void;
  /** DEBUG SET-ACTIVE-EXPIRE. */
  setActiveExpire(on: boolean): void;
  /** aof: SHUTDOWN: make the data safe, stop; an error text if it could not (nothing stopped). */
  shutdown(opts: { force?: boolean; save?: "default" | "save" | "nosave" }): string | null;
  /** aof: BGREWRITEAOF; an error text or null. */
  rewriteAof(): string;
  /** CLIENT UNBLOCK: end client `id`'s block as a timeout or with -UNBLOCKED; false if not blocked. */
  unblockClient(id: number, withError: boolean): boolean;
  /** Scripting: the engine, the running script, SCRIPT/FUNCTION KILL (src/scripting/runner.ts). */
  readonly scripts: ScriptRunner;
  /** SLOWLOG, LATENCY, MONITOR, MEMORY (src/commands/observe.ts). */
  readonly observe: Observability;
  /** SAVE: null, or the error text. */
  save(): string | null;
  /** BGSAVE: the status text ("Background saving started"), or an error text ("ERR ..."). */
  bgsave(): string;
  /** LASTSAVE: unix seconds of the last successful save. */
  lastSave(): number;
  /** DEBUG RELOAD: save (unless `save` is false), then load the file back; null or the error. */
  debugReload(save: boolean): string | null;
}

export class SessionContext extends CommandContext {
  /** The calling client (a script's context points it at the script's caller). */
  client: ClientSession;
  readonly server: ServerControl;

  constructor(
    keyspace: Keyspace,
    limits: CommandLimits,
    reply: Reply,
    client: ClientSession,
    server: ServerControl,
  ) {
    super(keyspace, limits, reply);
    this.client = client;
    this.server = server;
  }
}
