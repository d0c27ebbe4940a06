// The server: listeners, the client registry, dispatch through the command
// table, and the periodic cron (incremental rehash, idle clients).

import { dirname, resolve } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { assertMode, fail } from "../assert.ts";
import {
  type ClientSession,
  CommandLimits,
  REPLY_OFF,
  REPLY_ON,
  REPLY_SKIP,
  REPLY_SKIP_NEXT,
  type ServerControl,
  type SessionContext,
} from "../commands/context.ts";
import { registerAll } from "../commands/index.ts";
import {
  CMD_ADMIN,
  CMD_ALLOW_BUSY,
  CMD_DENYOOM,
  CMD_NEEDS_ENGINE,
  CMD_NO_AUTH,
  CMD_NO_MULTI,
  CMD_SKIP_MONITOR,
  CMD_WRITE,
  type CommandSpec,
  CommandTable,
} from "../commands/table.ts";
import { type Config, findOption, renameError } from "../config.ts";
import { Aof } from "../persistence/aof.ts"; // aof
import { manifestName } from "../persistence/aof-manifest.ts";
import { Snapshots } from "../persistence/snapshots.ts";
import { removeStaleTempFiles } from "../persistence/temp-files.ts";
import type { DecodeLimits } from "../protocol/framing.ts";
import { MODE_V1 } from "../protocol/reply.ts";
import { type ScriptDispatch, ScriptRunner } from "../scripting/runner.ts";
import { Evictor, OOM_ERROR, policyFromName } from "../store/evict.ts";
import { ActiveExpire } from "../store/expiry.ts";
import { Keyspace } from "../store/keyspace.ts";
import { clientBufferBytes } from "../store/memory.ts";
import { Blocking } from "./blocking.ts";
import { Client, FRAMING_V1, PREFETCH_REQUESTS, type SocketData } from "./client.ts";
import { IdleGc } from "./idle-gc.ts";
import { configFile, RateSampler, renderInfo } from "./info.ts";
import { Log } from "./log.ts";
import { type MetricsListener, serverSource, startMetrics } from "./metrics.ts"; // ops: metrics
import {
  discardTransaction,
  multiCommands,
  NOT_IN_MULTI,
  NOT_QUEUED,
  WatchRegistry,
} from "./multi.ts"; // txpubsub
import { KeyspaceNotifier } from "./notify.ts"; // txpubsub
import { Observer } from "./observe.ts"; // ops2: slowlog, latency, monitor, memory
import { PubSub, pubsubCommands } from "./pubsub.ts"; // txpubsub
import { Units } from "./unit.ts"; // txpubsub

export class ListenError extends Error {}

/** Counters reported by INFO stats. */
// Redis 7.0 tracks at most this many distinct error codes (ERROR_STATS_NUMBER); errors with
// new codes past it are still counted in total_error_replies.
const MAX_ERROR_CODES = 128;

export class Stats {
  totalConnections = 0;
  rejectedConnections = 0;
  totalCommands = 0;
  inputBytes = 0;
  outputBytes = 0;
  /** ops2: socket reads and writes (INFO total_reads_processed / total_writes_processed). */
  readsProcessed = 0;
  writesProcessed = 0;
  /** Error replies sent (INFO total_error_replies) and per error code (INFO errorstats). */
  errorReplies = 0;
  readonly errorCodes = new Map<string, number>();
  /** Count one error reply by its code, the first word of the message ("ERR", "WRONGTYPE"...). */
  countError(msg: string): void {
    this.errorReplies++;
    const sp = msg.indexOf(" ");
    const code = sp < 0 ? msg : msg.slice(0, sp);
    const n = this.errorCodes.get(code);
    if (n !== undefined) this.errorCodes.set(code, n + 1);
    else if (this.errorCodes.size < MAX_ERROR_CODES) this.errorCodes.set(code, 1);
  }
  reset(): void {
    this.errorReplies = 0;
    this.errorCodes.clear();
    this.totalConnections = 0;
    this.rejectedConnections = 0;
    this.totalCommands = 0;
    this.inputBytes = 0;
    this.outputBytes = 0;
    this.readsProcessed = 0;
    this.writesProcessed = 0;
  }
}

const MISCONF_ERROR =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

// Redis quotes at most this much of an unknown command's arguments.
const UNKNOWN_ARGS_QUOTE = 128;
/** What a RESP2 client may run while subscribed (processCommand's list). */
const SUBSCRIBED_ALLOWED = [
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
];

export class Server implements ServerControl, ScriptDispatch {
  readonly config: Config;
  readonly keyspace: Keyspace;
  readonly commands = new CommandTable();
  readonly log = new Log();
  readonly stats = new Stats();
  readonly rates = new RateSampler();
  /** Client.prefetchKeys' scratch: where each request's key lies in the read (one thread). */
  readonly prefetchOffs = new Int32Array(PREFETCH_REQUESTS);
  readonly prefetchLens = new Int32Array(PREFETCH_REQUESTS);
  /** Config values the command families read (the same object in every client's context). */
  readonly commandLimits = new CommandLimits();
  readonly clients = new Map<number, Client>();
  /**
   * Socket clients with replies to write at the end of this event-loop turn (deferFlush).
   * Writing each reply as soon as its read is executed wakes the client mid-turn, and on a
   * loaded machine the woken client preempts the server while other sockets' requests wait
   * (docs/BENCHMARKS.md, "P1 tail and MSET P1"): redis-server likewise writes every reply of a
   * turn in beforeSleep. Bounded by the number of clients.
   */
  private readonly turnEndFlush: Client[] = [];
  private readonly flushTurnEnd = (): void => {
    const q = this.turnEndFlush;
    // A flush can execute held input (resumeReading) whose client then queues again: take
    // the length per step, so that one is flushed in this pass too.
    for (let i = 0; i < q.length; i++) {
      const c = q[i]!;
      c.flushQueued = false;
      c.flush();
    }
    q.length = 0;
  };
  /** Active expiry sweep (src/store/expiry.ts) and maxmemory eviction (src/store/evict.ts). */
  readonly expiry: ActiveExpire;
  readonly evictor: Evictor;
  /** aof: the append-only file (src/persistence/aof.ts): fed from call(), holds replies. */
  readonly aof: Aof;
  /** aof: what SHUTDOWN / a signal does once the data is safe (main.ts: exit the process). */
  onShutdown: (() => void) | null = null;
  /** Blocked clients and ready keys (BLPOP...), src/server/blocking.ts. */
  readonly blocking: Blocking;
  /** RDB snapshots: SAVE, BGSAVE, save points, load at start (src/persistence/snapshots.ts). */
  readonly snapshots: Snapshots;
  /** Highest used_memory seen (INFO used_memory_peak), sampled per cron tick and per INFO. */
  usedMemoryPeak = 0;
  readonly startedAt = Date.now();
  private nextClientId = 1;
  private listeners: TCPSocketListener<SocketData>[] = [];
  private cron: ReturnType<typeof setInterval> | null = null;
  private expirySlice: ReturnType<typeof setImmediate> | null = null;
  /** One full GC when the server goes quiet after work (src/server/idle-gc.ts). */
  private readonly idleGc = new IdleGc(() => this.collectIdle());
  /** Lua scripting: the engine (loaded on first use), runs, BUSY state (src/scripting/runner.ts). */
  readonly scripts: ScriptRunner = new ScriptRunner(this);
  /** busy-reply-threshold (lua-time-limit), ms. */
  busyReplyThreshold = 5000;
  /** What SHUTDOWN does after stopping (main.ts exits the process). */
  /** ops2: SLOWLOG, LATENCY, MONITOR, MEMORY and the timing rule (src/server/observe.ts). */
  readonly observe: Observer;
  /** ops: the Prometheus /metrics listener (metrics-port > 0), src/server/metrics.ts. */
  metrics: MetricsListener | null = null;
  // ---- txpubsub: transactions, pub/sub, keyspace notifications ----
  /** WATCHed keys: a KeyObserver on the write signal (src/server/multi.ts). */
  readonly watches: WatchRegistry;
  /** Channels, patterns, delivery, the pubsub output limit (src/server/pubsub.ts). */
  readonly pubsub = new PubSub();
  /** notify-keyspace-events: a KeyObserver publishing through pubsub (src/server/notify.ts). */
  readonly notifier: KeyspaceNotifier;
  /**
   * Execution units (src/server/unit.ts): EXEC calls units.begin() before its first queued
   * command and units.end() after its last. AOF and blocking commands listen here.
   */
  readonly units = new Units();
  /** Commands MULTI runs at once rather than queueing; commands a subscribed RESP2 client may run. */
  private readonly notQueued = new Set<CommandSpec>();
  private readonly subscribedAllowed = new Set<CommandSpec>();
  private execSpec: CommandSpec | undefined;
  /** Error replies of the caller when the last call() ended (Redis's prev_err_count). */
  private callErrorBase = 0;

  /** Decoder limits, refreshed from the config. */
  readonly decodeLimits: DecodeLimits = {
    maxArgs: 1024,
    maxBulkLen: 512 * 1024 * 1024,
    maxInlineLen: 64 * 1024,
    unauthenticated: false,
  };
  /** The same limits for clients that still have to AUTH. */
  readonly unauthLimits: DecodeLimits = { ...this.decodeLimits, unauthenticated: true };
  /** client-query-buffer-limit: most bytes held for one incomplete request. */
  queryBufferLimit = 1024 * 1024 * 1024;
  outputPauseBytes = 1024 * 1024;
  /** client-output-buffer-limit normal hard limit (0 = none). */
  outputHardLimit = 0;
  /** Wall clock in ms, refreshed per event-loop callback. */
  now = Date.now();
  host = "127.0.0.1";
  port = 0;

  constructor(config: Config) {
    this.config = config;
    this.keyspace = new Keyspace(config.int("databases"));
    this.expiry = new ActiveExpire(this.keyspace);
    this.evictor = new Evictor(this.keyspace);
    this.aof = new Aof(this); // aof
    this.units.add(this.aof); // a transaction's writes go to the AOF as one MULTI ... EXEC
    this.blocking = new Blocking(this);
    this.keyspace.addObserver(this.blocking);
    this.snapshots = new Snapshots(this.keyspace, config, this.commandLimits, this.log);
    this.snapshots.functions = this.scripts;
    this.snapshots.otherJobRunning = () => this.aof.rewriting; // one keyspace guard at a time
    registerAll(this.commands);
    // The server's own command families (their handlers need the Client): src/server/.
    this.commands.register(multiCommands);
    this.commands.register(pubsubCommands);
    for (const n of NOT_QUEUED) this.notQueued.add(this.commands.get(n)!);
    for (const n of SUBSCRIBED_ALLOWED) this.subscribedAllowed.add(this.commands.get(n)!);
    this.execSpec = this.commands.get("exec");
    // After the specs above are found by their own names (rename-command changes only what
    // clients, scripts and MULTI type).
    for (let i = 0; i < config.renames.length; i++) {
      const [from, to] = config.renames[i]!;
      const refused = this.commands.rename(from, to);
      if (refused !== null) throw renameError(config, i, refused);
    }
    this.watches = new WatchRegistry(this.keyspace);
    this.notifier = new KeyspaceNotifier(this.keyspace, this.pubsub);
    this.pubsub.now = () => this.now;
    this.pubsub.logWarn = (msg) => this.log.warn(msg);
    this.observe = new Observer(this);
    assertMode.log = (msg) => this.log.warn(msg);
    this.applyConfig();
    config.onChange = () => this.applyConfig();
  }

  /** Copy hot config values into fields (read per request). */
  applyConfig(): void {
    const c = this.config;
    this.decodeLimits.maxArgs = c.int("v1-max-args");
    this.decodeLimits.maxBulkLen = c.int("proto-max-bulk-len");
    Object.assign(this.unauthLimits, this.decodeLimits, { unauthenticated: true });
    this.queryBufferLimit = c.int("client-query-buffer-limit");
    const limits = this.commandLimits;
    limits.protoMaxBulkLen = c.int("proto-max-bulk-len");
    const maybeInt = (name: string, fallback: number) =>
      findOption(name) === undefined ? fallback : c.int(name);
    limits.zsetMaxListpackEntries = maybeInt("zset-max-listpack-entries", 128);
    limits.zsetMaxListpackValue = maybeInt("zset-max-listpack-value", 64);
    limits.hashMaxListpackEntries = maybeInt("hash-max-listpack-entries", 512);
    limits.hashMaxListpackValue = maybeInt("hash-max-listpack-value", 64);
    limits.setMaxIntsetEntries = maybeInt("set-max-intset-entries", 512);
    limits.listMaxListpackSize = maybeInt("list-max-listpack-size", -2);
    limits.listCompressDepth = maybeInt("list-compress-depth", 0);
    limits.streamNodeMaxBytes = maybeInt("stream-node-max-bytes", 4096);
    limits.streamNodeMaxEntries = maybeInt("stream-node-max-entries", 100);
    limits.lazyfreeLazyUserFlush = c.get("lazyfree-lazy-user-flush") === "yes";
    const policyName = c.get("maxmemory-policy");
    limits.sharedIntegers = !(
      c.int("maxmemory") !== 0 &&
      (policyName.endsWith("lru") || policyName.endsWith("lfu"))
    );
    this.outputPauseBytes = c.int("client-output-pause-bytes");
    this.busyReplyThreshold = c.int("busy-reply-threshold");
    const m = /normal (\d+)/.exec(c.get("client-output-buffer-limit"));
    this.outputHardLimit = m ? Number(m[1]) : 0;
    const ps = /pubsub (\d+) (\d+) (\d+)/.exec(c.get("client-output-buffer-limit"));
    if (ps) {
      this.pubsub.limit.hard = Number(ps[1]);
      this.pubsub.limit.soft = Number(ps[2]);
      this.pubsub.limit.seconds = Number(ps[3]);
    }
    this.notifier.configure(c.get("notify-keyspace-events"));
    this.log.setLevel(c.get("loglevel"));
    this.keyspace.lfuLogFactor = c.int("lfu-log-factor");
    this.keyspace.lfuDecayTime = c.int("lfu-decay-time");
    const policy = policyFromName(c.get("maxmemory-policy"));
    this.evictor.configure(c.int("maxmemory"), policy, c.int("maxmemory-samples"));
    this.aof.applyConfig(); // aof: appendfsync; CONFIG SET appendonly yes/no (may throw)
    this.observe.configure(c); // ops2
  }

  /**
   * What must be ready before serving. The Lua engine is loaded on first use, except when an
   * AOF will be replayed at start (it may hold FUNCTION LOAD; the replay is synchronous).
   */
  async prepare(): Promise<void> {
    if (this.aof.willLoadAtStart()) await this.scripts.init();
  }

  /** Bind every address of `bind`; throws ListenError with Redis's text. */
  start(): void {
    this.removeStaleTempFiles();
    // RDB: load dbfilename before serving clients (AOF off; the AOF branch decides otherwise).
    if (!this.config.bool("appendonly")) this.loadSnapshotAtStart();
    this.aof.start(); // aof: load (or create) the AOF before any client is served
    const binds = this.config.get("bind").split(/\s+/).filter(Boolean);
    let port = this.config.int("port");
    const server = this;
    for (const bind of binds) {
      const hostname = bind.startsWith("-") ? bind.slice(1) : bind; // "-::1": optional in Redis
      try {
        const l = Bun.listen<SocketData>({
          hostname,
          port,
          data: { client: null },
          socket: {
            open(socket) {
              server.onOpen(socket);
            },
            data(socket, chunk) {
              const c = socket.data.client;
              if (c === null) return;
              // A suspended script keeps the time it started with (Redis freezes a script's
              // clock for expiry); the others only get BUSY meanwhile.
              if (!server.scripts.timedOut) {
                server.now = Date.now();
                server.keyspace.setNow(server.now);
              }
              server.stats.inputBytes += chunk.length;
              server.stats.readsProcessed++;
              c.onData(chunk);
            },
            drain(socket) {
              socket.data.client?.flush();
            },
            close(socket) {
              const c = socket.data.client;
              if (c !== null) {
                c.closed = true;
                server.removeClient(c);
              }
            },
            error(socket, err) {
              server.log.warn(`Client error: ${err.message}`);
              socket.data.client?.close();
            },
          },
        });
        this.listeners.push(l);
        port = l.port;
        if (this.port === 0) {
          this.port = port;
          this.host = hostname;
        }
        console.log(`imds listening on ${hostname}:${port}`);
      } catch (e) {
        this.stop();
        const err = e as Error & { code?: string };
        const why = err.code === "EADDRINUSE" ? "bind: Address already in use" : err.message;
        throw new ListenError(
          `Could not create server TCP listening socket ${hostname}:${port}: ${why}`,
        );
      }
    }
    // ---- ops: Prometheus metrics (src/server/metrics.ts) ----
    if (this.config.int("metrics-port") > 0) this.startMetrics();
    const hz = this.config.int("hz");
    this.cron = setInterval(() => this.serverCron(), Math.max(1, Math.floor(1000 / hz)));
  }

  /** Temp files of a crashed save or rewrite (src/persistence/temp-files.ts). */
  private removeStaleTempFiles(): void {
    const c = this.config;
    const aofDir = resolve(c.get("dir"), c.get("appenddirname"));
    const removed = [
      ...removeStaleTempFiles(dirname(this.snapshots.path)),
      ...removeStaleTempFiles(aofDir, [`temp-${manifestName(c.get("appendfilename"))}`]),
    ];
    for (const name of removed) this.log.notice(`Removed temp file ${name} left by a crash`);
  }

  /** Load the RDB file at start; a bad file stops the start with Redis's fatal line. */
  private loadSnapshotAtStart(): void {
    try {
      this.snapshots.loadAtStart();
    } catch (e) {
      throw new ListenError(`Fatal error loading the DB: ${(e as Error).message}. Exiting.`);
    }
  }

  /** ops: serve /metrics on metrics-bind:metrics-port; a bind failure is a ListenError. */
  private startMetrics(): void {
    try {
      const c = this.config;
      this.metrics = startMetrics(serverSource(this), c.get("metrics-bind"), c.int("metrics-port"));
    } catch (e) {
      this.stop();
      throw new ListenError((e as Error).message);
    }
    console.log(`imds metrics on http://${this.metrics.host}:${this.metrics.port}/metrics`);
  }

  stop(): void {
    this.aof.close(); // aof: write + fsync what is pending
    this.snapshots.abort(); // a BGSAVE in progress: its temp file goes, dump.rdb stays
    this.metrics?.stop(); // ops: metrics
    this.observe.stop(); // ops2
    this.metrics = null;
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    if (this.expirySlice !== null) clearImmediate(this.expirySlice);
    this.expirySlice = null;
    for (const l of this.listeners) l.stop(true);
    this.listeners = [];
    for (const c of [...this.clients.values()]) c.close();
  }

  private onOpen(socket: Socket<SocketData>): void {
    // Bun shares the listener's `data` object between sockets: give each its own.
    socket.data = { client: null };
    // As Redis does for every client: replies go out at once (no Nagle delay), and dead peers
    // are found by TCP keepalive (tcp-keepalive seconds; 0 = off).
    socket.setNoDelay(true);
    const keepalive = this.config.int("tcp-keepalive");
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    if (this.clients.size >= this.config.int("maxclients")) {
      this.stats.rejectedConnections++;
      socket.write("-ERR max number of clients reached\r\n");
      socket.end();
      return;
    }
    const c = new Client(this.nextClientId++, this, socket);
    c.flushAtTurnEnd = true;
    socket.data.client = c;
    this.clients.set(c.id, c);
    this.stats.totalConnections++;
  }

  /** Write c's replies at the end of this event-loop turn (one setImmediate per turn). */
  deferFlush(c: Client): void {
    if (c.flushQueued) return;
    c.flushQueued = true;
    if (this.turnEndFlush.length === 0) setImmediate(this.flushTurnEnd);
    this.turnEndFlush.push(c);
  }

  removeClient(c: Client): void {
    this.blocking.remove(c);
    this.clients.delete(c.id);
    this.watches.unwatchAll(c.tx); // txpubsub: its WATCHes and subscriptions go with it
    this.pubsub.removeClient(c);
    if (c.monitor) this.observe.stopMonitor(c); // ops2
  }

  /** Run the request in c.argv through the command table; exactly one reply. */
  execute(c: Client): void {
    const ctx = c.ctx;
    const a = ctx.argv;
    const reply = ctx.reply;
    const legacy = reply.mode === MODE_V1;
    if (a.count === 0) {
      // RESP ignores an empty multibulk; a v1 request always gets one reply.
      if (c.framing === FRAMING_V1)
        reply.error(legacy ? "ERR unknown command" : "ERR empty request");
      return;
    }
    let spec = this.commands.lookup(a.buf, a.off(0), a.len(0));
    if (spec === undefined) {
      if (legacy) {
        if (c.tx.active) c.tx.dirtyExec = true;
        return reply.error("ERR unknown command");
      }
      let quoted = "";
      for (let i = 1; i < a.count && quoted.length < UNKNOWN_ARGS_QUOTE; i++) {
        quoted += `'${a.latin1(i).slice(0, UNKNOWN_ARGS_QUOTE - quoted.length)}' `;
      }
      return this.reject(
        c,
        `ERR unknown command '${a.latin1(0).slice(0, 128)}', with args beginning with: ${quoted}`,
      );
    }
    const stats = this.commands.stats;
    if ((spec.arity > 0 && a.count !== spec.arity) || a.count < -spec.arity) {
      stats.rejected[spec.statId]!++;
      if (legacy) {
        if (c.tx.active) c.tx.dirtyExec = true;
        return reply.error("ERR wrong number of arguments");
      }
      return this.reject(c, `ERR wrong number of arguments for '${spec.name}' command`, spec);
    }
    // A container (CLIENT, CONFIG...) runs its subcommand's spec: arity, flags
    // and name ("client|setname") are the subcommand's, as in Redis 7.0.
    if (spec.subcommands !== undefined && a.count >= 2) {
      const sub = findSubcommand(spec.subcommands, ctx);
      if (sub === undefined) {
        return this.reject(
          c,
          `ERR unknown subcommand '${a.latin1(1).slice(0, 128)}'. Try ${a.latin1(0).toUpperCase()} HELP.`,
        );
      }
      if ((sub.arity > 0 && a.count !== sub.arity) || a.count < -sub.arity) {
        stats.rejected[sub.statId]!++;
        return this.reject(c, `ERR wrong number of arguments for '${sub.name}' command`);
      }
      spec = sub;
    }
    if (!c.authenticated && (spec.flags & CMD_NO_AUTH) === 0) {
      stats.rejected[spec.statId]!++;
      return this.reject(c, "NOAUTH Authentication required.", spec);
    }
    const tx = c.tx;
    if (tx.active && (spec.flags & CMD_NO_MULTI) !== 0) {
      stats.rejected[spec.statId]!++;
      return this.reject(c, NOT_IN_MULTI);
    }
    // MISCONF: the last BGSAVE failed and stop-writes-on-bgsave-error is on (writes and PING).
    if (
      !this.snapshots.lastBgsaveOk &&
      ((spec.flags & CMD_WRITE) !== 0 || spec.name === "ping") &&
      this.snapshots.writesDenied
    ) {
      stats.rejected[spec.statId]!++;
      return this.reject(c, MISCONF_ERROR);
    }
    // Make room before a command that may grow memory; Redis's processCommand OOM check.
    // Inside MULTI every queued command counts (queueing takes memory), and EXEC counts if
    // it holds one that would (multi.ts).
    if (this.evictor.maxmemory > 0) {
      const queueing = tx.active && !this.notQueued.has(spec);
      const denyoom =
        (spec.flags & CMD_DENYOOM) !== 0 ||
        (spec === this.execSpec && (tx.flags & CMD_DENYOOM) !== 0);
      if ((denyoom || queueing) && !this.evictor.performEvictions()) {
        stats.rejected[spec.statId]!++;
        return this.reject(c, OOM_ERROR, spec);
      }
    }
    // aof: while the AOF cannot be written, writes (and PING, as Redis) are refused.
    if (this.aof.writeError !== null && ((spec.flags & CMD_WRITE) !== 0 || spec.name === "ping")) {
      const misconf = this.aof.misconfError();
      if (misconf !== null) {
        stats.rejected[spec.statId]!++;
        return this.reject(c, misconf);
      }
    }
    // RESP2 (and the untyped original protocol) has no push type: a subscribed client can
    // only manage its subscriptions. RESP3 may run anything.
    if (c.subs.total > 0 && ctx.protover !== 3 && !this.subscribedAllowed.has(spec)) {
      stats.rejected[spec.statId]!++;
      return this.reject(
        c,
        `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
    }
    // A script runs past busy-reply-threshold: only allow_busy commands (SCRIPT KILL...).
    if (this.scripts.timedOut && (spec.flags & CMD_ALLOW_BUSY) === 0) {
      stats.rejected[spec.statId]!++;
      return this.reject(c, this.scripts.busyError());
    }
    c.lastCommand = spec.name;
    if (tx.active && !this.notQueued.has(spec)) {
      // Redis queues nothing more once the transaction is doomed, but still says QUEUED.
      if (!tx.dirtyExec && !tx.dirtyCas) tx.queue(spec, a);
      // CLIENT REPLY OFF / SKIP silence +QUEUED as any reply (SKIP is used up by it).
      if (c.replyMode === REPLY_ON) reply.status("QUEUED");
      else if (c.replyMode === REPLY_SKIP) c.replyMode = REPLY_ON;
      return;
    }
    // The Lua VM is loaded on first use: a script command (or an EXEC holding one) waits for
    // it with the client's input held from this request on (Client.consume replays it).
    if (
      ((spec.flags & CMD_NEEDS_ENGINE) !== 0 ||
        (spec === this.execSpec && (tx.flags & CMD_NEEDS_ENGINE) !== 0)) &&
      this.scripts.engine === null &&
      this.scripts.whenLoaded(c)
    ) {
      c.replayRequest = true;
      return;
    }
    this.call(c, ctx, spec, legacy);
    // Serve clients blocked on keys this command made ready (after the whole command: EXEC
    // and scripts run their commands inside one call).
    this.blocking.serveReady();
  }

  /**
   * Run a command that passed its checks on another context than a client's own (a script's
   * redis.call; EXEC's queued commands): the handler and INFO commandstats, as Redis's call(),
   * without the caller's CLIENT REPLY handling. The reply goes to ctx.reply.
   */
  callOn(ctx: SessionContext, spec: CommandSpec): void {
    const stats = this.commands.stats;
    this.stats.totalCommands++;
    const name = ctx.commandName;
    ctx.commandName = spec.name;
    const errorsBefore = ctx.reply.errors;
    const dirtyBefore = this.aof.on ? this.aof.commandDirty() : 0;
    ctx.propagateAs = null;
    ctx.propagating = this.aof.on;
    try {
      spec.handler(ctx);
    } catch (e) {
      const err = e as Error;
      fail(`uncaught exception in '${spec.name}': ${err.stack ?? String(e)}`);
    }
    ctx.commandName = name;
    // A script's effects, not the script, go to the AOF (Redis 7's effects replication); the
    // caller's reply waits for them as for its own writes.
    const aof = this.aof;
    if (aof.on && (spec.flags & CMD_WRITE) !== 0 && aof.commandDirty() !== dirtyBefore) {
      const waiter = ctx.client as unknown as Client;
      if (ctx.propagateAs !== null) aof.feedArgs(ctx.db, ctx.propagateAs, waiter);
      else aof.feedCommand(ctx.db, ctx.argv, spec, waiter);
    }
    const id = spec.statId;
    stats.calls[id]!++;
    if (ctx.reply.errors !== errorsBefore) stats.failed[id]!++;
    stats.record(id);
  }

  /**
   * The writes between beginUnit() and endUnit() are one unit (a script, as MULTI/EXEC): the
   * AOF writes them inside one MULTI ... EXEC (src/server/unit.ts listeners).
   */
  beginUnit(): void {
    this.units.begin();
  }

  endUnit(): void {
    this.units.end();
  }

  /** Redis's OOM state before a command: maxmemory set and eviction cannot get under it. */
  outOfMemory(): boolean {
    return this.evictor.maxmemory > 0 && !this.evictor.performEvictions();
  }

  busyReplyThresholdMs(): number {
    return this.busyReplyThreshold;
  }

  /**
   * Run one command that passed the checks (Redis's call()): the handler, then the statistics.
   * An exception escaping a handler is a bug that may have left the data half-changed, so, as
   * a failed serverAssert in Redis, it stops the server (src/assert.ts) rather than serve it.
   */
  call(c: Client, ctx: SessionContext, spec: CommandSpec, legacy: boolean): void {
    const reply = ctx.reply;
    const stats = this.commands.stats;
    this.stats.totalCommands++;
    ctx.commandName = spec.name;
    const mark = c.out.pending;
    const replyModeBefore = c.replyMode;
    this.callErrorBase = reply.errors;
    const aof = this.aof; // aof: a command that changed data is fed after it ran
    const dirtyBefore = aof.on ? aof.commandDirty() : 0;
    ctx.propagateAs = null;
    ctx.propagating = aof.on;
    // ops2: the timing rule (docs/COMMANDS.md): a command gets its own clock read only when
    // SLOWLOG/LATENCY could need its duration; otherwise its batch's shared time.
    const obs = this.observe;
    const timed = (spec.flags & obs.timedMask) === obs.timedWant;
    stats.begin(timed);
    try {
      if (legacy && spec.v1Handler !== undefined) spec.v1Handler(ctx);
      else spec.handler(ctx);
    } catch (e) {
      const err = e as Error;
      fail(`uncaught exception in '${spec.name}': ${err.stack ?? String(e)}`);
    }
    if (aof.on && (spec.flags & CMD_WRITE) !== 0 && aof.commandDirty() !== dirtyBefore) {
      if (ctx.propagateAs !== null) aof.feedArgs(ctx.db, ctx.propagateAs, c);
      else aof.feedCommand(ctx.db, ctx.argv, spec, c);
    }
    const id = spec.statId;
    stats.calls[id]!++;
    // Errors since the last call ended (nested calls of EXEC move the base): as Redis, EXEC
    // is not failed because a queued command failed.
    if (reply.errors > this.callErrorBase) stats.failed[id]!++;
    this.callErrorBase = reply.errors;
    if (timed) {
      const us = stats.end(id);
      if (us >= obs.slowUs) obs.slowCommand(c, spec, us);
    } else stats.record(id);
    // ops2: MONITOR (one field test when no monitor exists); admin commands are not shown.
    if (obs.monitors.active && (spec.flags & (CMD_ADMIN | CMD_SKIP_MONITOR)) === 0) {
      obs.monitorFeed(c, spec);
    }
    if ((replyModeBefore | c.replyMode) !== REPLY_ON) applyReplyMode(c, replyModeBefore, mark);
  }

  /** An error before the command ran; CLIENT REPLY OFF/SKIP silence it too (no SKIP consumed). */
  private reject(c: Client, msg: string, spec?: CommandSpec): void {
    let text = msg;
    if (c.tx.active) c.tx.dirtyExec = true; // Redis's flagTransaction: EXEC will abort
    if (spec === this.execSpec) {
      // A rejected EXEC (even without MULTI) ends the transaction: Redis's execCommandAbort.
      discardTransaction(c);
      text = `EXECABORT Transaction discarded because of: ${msg.startsWith("ERR ") ? msg.slice(4) : msg}`;
    }
    if (c.replyMode === REPLY_OFF || c.replyMode === REPLY_SKIP) return;
    c.reply.error(text);
  }

  // ---- ServerControl: what connection and server commands may do (commands/context.ts) ----

  clientList(): Iterable<ClientSession> {
    return this.clients.values();
  }

  info(sections: readonly string[]): string {
    return renderInfo(this, sections);
  }

  resetStats(): void {
    this.stats.reset();
    this.commands.stats.reset();
    this.keyspace.expiredKeys = 0;
    this.keyspace.hits = 0;
    this.keyspace.misses = 0;
    this.evictor.evictedKeys = 0;
    this.expiry.timeCapReached = 0;
    this.expiry.cpuMs = 0;
  }

  configFile(): string {
    return configFile();
  }

  logLine(level: "verbose" | "notice" | "warning", msg: string): void {
    if (level === "verbose") this.log.verbose(msg);
    else if (level === "notice") this.log.notice(msg);
    else this.log.warn(msg);
  }

  setActiveExpire(on: boolean): void {
    this.expiry.enabled = on;
  }

  /**
   * aof: SHUTDOWN / SIGTERM: make the data safe (write + fsync the AOF), then stop and call
   * onShutdown. Returns an error text (nothing stopped) if the AOF cannot be written or the
   * RDB save fails, unless `force`.
   */
  shutdown(opts: { force?: boolean; save?: "default" | "save" | "nosave" } = {}): string | null {
    this.log.notice("User requested shutdown...");
    // Redis 7.0: the first base of a runtime switch is not written yet: the data would be lost
    if (this.aof.waitRewrite && this.aof.rewriting) {
      if (!opts.force) {
        this.log.warn("Writing initial AOF, can't exit.");
        return "ERR Errors trying to SHUTDOWN. Check logs.";
      }
      this.log.warn("Writing initial AOF. Exit anyway.");
    }
    if (this.aof.on) {
      this.log.notice("Calling fsync() on the AOF file.");
      if (!this.aof.flushAndSync() && !opts.force) {
        this.log.warn("Error trying to write the AOF file on shutdown");
        return "ERR Errors trying to SHUTDOWN. Check logs.";
      }
    }
    // RDB: save when asked, or by default when save points are configured (as Redis).
    if (!this.snapshots.saveOnShutdown(opts.save ?? "default") && !opts.force) {
      return "ERR Errors trying to SHUTDOWN. Check logs.";
    }
    this.stop();
    this.log.notice("imds is now ready to exit, bye bye...");
    this.onShutdown?.();
    return null;
  }

  /** aof: BGREWRITEAOF (in the background); the status text or an error text ("ERR ..."). */
  rewriteAof(): string {
    try {
      if (!this.aof.enabled) {
        this.config.set("appendonly", "yes"); // Redis 7.0: turns the AOF on with a rewrite
        return "Background append only file rewriting started";
      }
      return this.aof.startRewrite();
    } catch (e) {
      return `ERR ${(e as Error).message}`;
    }
  }

  unblockClient(id: number, withError: boolean): boolean {
    const c = this.clients.get(id);
    return c !== undefined && this.blocking.unblockClient(c, withError);
  }

  // ---- RDB snapshots (src/persistence/snapshots.ts) ----

  save(): string | null {
    return this.snapshots.save();
  }

  bgsave(): string {
    if (this.aof.rewriting) {
      return "ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";
    }
    return this.snapshots.bgsave();
  }

  lastSave(): number {
    return this.snapshots.lastSaveSec;
  }

  debugReload(save: boolean): string | null {
    return this.snapshots.debugReload(save);
  }

  /** Refresh the client-buffer share of used_memory and the peak; returns used_memory. */
  updateMemoryStats(): number {
    this.evictor.otherBytes = clientBufferBytes(this.clients.values());
    const used = this.evictor.usedBytes();
    if (used > this.usedMemoryPeak) this.usedMemoryPeak = used;
    return used;
  }

  /**
   * The rest of a tick's expiry budget, one slice per macrotask (src/store/expiry.ts SLICE_MS):
   * clients' requests run between slices, so mass expiry does not stop the loop for 25 ms.
   */
  private scheduleExpirySlice(): void {
    if (this.expirySlice !== null) return;
    this.expirySlice = setImmediate(() => {
      this.expirySlice = null;
      if (this.cron === null || this.scripts.timedOut) return;
      this.now = Date.now();
      this.keyspace.setNow(this.now);
      this.expiry.slice();
      if (this.expiry.pending) this.scheduleExpirySlice();
    });
  }

  private collectIdle(): void {
    const rss = process.memoryUsage.rss();
    const t0 = performance.now();
    Bun.gc(true);
    const ms = performance.now() - t0;
    const freed = (rss - process.memoryUsage.rss()) / 2 ** 20;
    this.log.verbose(
      `Idle GC: ${ms.toFixed(1)} ms, RSS ${freed >= 0 ? "-" : "+"}${Math.abs(freed).toFixed(1)} MB`,
    );
  }

  private serverCron(): void {
    // A script past busy-reply-threshold is still one atomic run: no expiry, eviction or
    // rehash steps under it (Redis serves only I/O then, not its cron).
    if (this.scripts.timedOut) return;
    this.now = Date.now();
    this.keyspace.setNow(this.now);
    const st = this.stats;
    this.rates.sample(this.now, st.totalCommands, st.inputBytes, st.outputBytes);
    // Incremental rehashes/growths and arena compaction advance in keyspace.cronStep (bounded),
    // which the expiry tick runs first.
    this.expiry.beginTick(this.config.int("hz"));
    if (this.expiry.pending) this.scheduleExpirySlice();
    this.aof.cron(this.now); // aof: postponed writes, everysec fsync, retries after errors
    this.snapshots.cron(this.now);
    // Over the limit without writes (CONFIG SET maxmemory lowered): evict now, like Redis's
    // eviction timer, instead of waiting for the next write.
    if (this.updateMemoryStats() > this.evictor.maxmemory && this.evictor.maxmemory > 0) {
      this.evictor.performEvictions(250 / this.config.int("hz")); // 25% of the tick
    }
    this.blocking.checkTimeouts(this.now);
    const ks = this.keyspace;
    const work = st.totalCommands + ks.blocksRelocated + ks.arena.pagesReleased + ks.lazyFreed;
    this.idleGc.tick(this.now, work, this.snapshots.inProgress || this.aof.rewriting);
    const timeoutSec = this.config.int("timeout");
    if (timeoutSec > 0) {
      const cutoff = this.now - timeoutSec * 1000;
      for (const c of this.clients.values()) {
        // Blocked clients are exempt, as in Redis (their own timeout applies).
        if (c.lastInteraction < cutoff && !c.paused && c.blockedOn === null) {
          this.log.verbose(`Closing idle client id=${c.id} addr=${c.addr}`);
          c.close();
        }
      }
    }
  }
}

/** The subcommand named by argv[1] (case-insensitive), if the container has it. */
function findSubcommand(subs: readonly CommandSpec[], c: SessionContext): CommandSpec | undefined {
  const a = c.argv;
  for (const sub of subs) {
    if (a.is(1, sub.name.slice(sub.name.indexOf("|") + 1))) return sub;
  }
  return undefined;
}

/**
 * CLIENT REPLY, as Redis's CLIENT_REPLY_OFF / _SKIP_NEXT / _SKIP flags: drop the
 * reply just written (from `mark`) when the command ran skipped or with
 * replies off; CLIENT REPLY SKIP itself is silent and skips the next command.
 */
function applyReplyMode(c: Client, before: number, mark: number): void {
  const out = c.out;
  if (before === REPLY_SKIP) {
    out.end = out.start + mark;
    if (c.replyMode === REPLY_SKIP) c.replyMode = REPLY_ON;
  }
  if (c.replyMode === REPLY_SKIP_NEXT) {
    out.end = out.start + mark;
    c.replyMode = REPLY_SKIP;
  } else if (c.replyMode === REPLY_OFF) {
    out.end = out.start + mark;
  }
}
