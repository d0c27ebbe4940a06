// The server side of scripting: one ScriptEngine per server, the script's own command context,
// the ScriptHost that runs redis.call/pcall through the command table, and the execution model
// (docs/SCRIPTING.md, "Execution model"):
//
// - A run is atomic: it executes synchronously; the engine yields back only once the run is
//   older than busy-reply-threshold. From then on the run continues in slices on the event loop
//   and the server answers every other command with -BUSY, except the allow_busy ones (SCRIPT
//   KILL, FUNCTION KILL, SHUTDOWN NOSAVE, AUTH, HELLO...), so nothing else touches the data in
//   between. The caller's own further requests are held (not executed) until the run ends.
// - Its writes are one unit: beginUnit()/endUnit() around the run (WATCH, notifications and
//   persistence group them).
// - Commands called from a script run on `ctx`, a SessionContext of its own: same keyspace, the
//   caller's db at the start (SELECT inside changes only the script's db, as Redis 7.0), a Reply
//   into a private OutBuf in the script's RESP version; the bytes are decoded to a ReplyValue.

import type { CommandLimits } from "../commands/context.ts";
import { SessionContext } from "../commands/context.ts";
import {
  CMD_DENYOOM,
  CMD_MAY_REPLICATE,
  CMD_NOSCRIPT,
  CMD_WRITE,
  type CommandSpec,
  type CommandTable,
} from "../commands/table.ts";
import { Args } from "../protocol/args.ts";
import { OutBuf } from "../protocol/outbuf.ts";
import { MODE_RESP2, MODE_RESP3, Reply } from "../protocol/reply.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { RunResult, ScriptEngine, ScriptFlag } from "./engine.ts";
import { decodeReply, ReplyCursor, writeReplyValue } from "./replies.ts";
import { ScriptError } from "./shebang.ts";
import type { ReplyValue, RespVersion, ScriptHost } from "./values.ts";

/** What the runner needs from the server (Server implements it). */
export interface ScriptDispatch {
  readonly commands: CommandTable;
  readonly keyspace: Keyspace;
  readonly commandLimits: CommandLimits;
  /** Run a command that passed its checks on `ctx` (handler + INFO commandstats). */
  callOn(ctx: SessionContext, spec: CommandSpec): void;
  /** The writes between the two calls are one unit (MULTI/EXEC, scripts). */
  beginUnit(): void;
  endUnit(): void;
  /** maxmemory is set and eviction cannot bring memory under it (Redis's OOM state). */
  outOfMemory(): boolean;
  /** busy-reply-threshold in ms. */
  busyReplyThresholdMs(): number;
  logLine(level: "verbose" | "notice" | "warning", msg: string): void;
}

export const BUSY_EVAL =
  "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
export const BUSY_FUNCTION =
  "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";
const UNKILLABLE =
  "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
const NOTBUSY = "NOTBUSY No scripts in execution right now.";
const OOM_ERR = "OOM command not allowed when used memory > 'maxmemory'.";
const UNKNOWN: ReplyValue = {
  type: "error",
  value: "ERR Unknown Redis command called from script",
};

/** How a run was started (EVAL/EVALSHA or FCALL, read-only or not). */
export interface RunRequest {
  isEval: boolean;
  /** The function's name (FCALL) or the sha (EVAL). */
  name: string;
  /** EVAL_RO / EVALSHA_RO / FCALL_RO. */
  readOnlyCommand: boolean;
  flags: readonly ScriptFlag[];
  /** Flags were declared (#!lua shebang, or a function): Redis applies them strictly. */
  declared: boolean;
}

interface Running {
  caller: SessionContext;
  isEval: boolean;
  readOnly: boolean;
  allowOom: boolean;
  oomAtStart: boolean;
  dirtyAtStart: number;
  wrote: boolean;
  /** The engine yielded: the caller's input is held and others get BUSY. */
  suspended: boolean;
  startedAt: number;
  /** FCALL's function name and the caller's request (copied when suspended: FUNCTION STATS). */
  name: string;
  argv: Uint8Array[];
}

export class ScriptRunner implements ScriptHost {
  /**
   * The Lua VM, made on first use (init(): wasmoon's wasm module and two Lua states, ~10 MB of
   * RSS an idle server does not pay): the first script command waits for it (whenLoaded),
   * prepare() makes it before an AOF is replayed. Null until then.
   */
  engine: ScriptEngine | null = null;
  /** The pending init(), shared by every caller that waits for it. */
  private loading: Promise<void> | null = null;
  /**
   * Function libraries read from an RDB file while the VM was not loaded (their code, in file
   * order): init() loads them before any script command runs; saves write them as they are.
   */
  private pendingLibraries: Uint8Array[] = [];
  /** init() failed: script commands get "scripting engine not started" instead of waiting. */
  loadFailed = false;
  /** The context commands run on when a script calls them (made at the first run). */
  private sctx: SessionContext | null = null;
  private readonly out = new OutBuf();
  private readonly cursor = new ReplyCursor();
  private argBuf = new Uint8Array(256);
  private cur: Running | null = null;
  /** How long a slice of a suspended run lasts before the loop gets a turn (ms). */
  sliceMs = 20;

  /**
   * `loadEngine` makes the VM (engine.ts and wasmoon are imported only then); tests pass one
   * that fails to check what a server without a VM answers and logs.
   */
  constructor(
    private readonly d: ScriptDispatch,
    private readonly loadEngine: () => Promise<ScriptEngine> = () =>
      import("./engine.ts").then((m) => m.ScriptEngine.create()),
  ) {}

  private context(caller: SessionContext): SessionContext {
    let ctx = this.sctx;
    if (ctx === null) {
      const reply = new Reply(this.out);
      reply.mode = MODE_RESP2;
      ctx = new SessionContext(
        this.d.keyspace,
        this.d.commandLimits,
        reply,
        caller.client,
        caller.server,
      );
      ctx.argv = new Args();
      // Inside a script a blocking command answers as on timeout (BLPOP: null), as Redis.
      ctx.denyBlocking = true;
      this.sctx = ctx;
    }
    return ctx;
  }

  /** Load the engine (once; engine.ts and wasmoon are imported only now). */
  init(): Promise<void> {
    if (this.engine !== null) return Promise.resolve();
    if (this.loading === null) {
      this.loading = this.loadEngine().then(
        (eng) => {
          this.engine = eng;
          const codes = this.pendingLibraries;
          this.pendingLibraries = [];
          const bad = loadLibraries(eng, codes);
          for (const msg of bad) this.d.logLine("warning", `Failed loading library: ${msg}`);
        },
        (e) => {
          this.loadFailed = true;
          this.loading = null;
          throw e;
        },
      );
    }
    return this.loading;
  }

  /** The function libraries' code, in load order (what SAVE, BGSAVE and a rewrite write). */
  libraryCodes(): Uint8Array[] {
    const eng = this.engine;
    if (eng === null) return this.pendingLibraries.slice();
    return eng.listLibraries().map((l) => l.code);
  }

  /**
   * The libraries become exactly `codes` (an RDB file was loaded: Redis's emptyData clears the
   * functions, then the file's FUNCTION2 records load). Without a VM they wait for init();
   * with one they load now. Returns the messages of libraries that failed to load.
   */
  replaceLibraries(codes: Uint8Array[]): string[] {
    const eng = this.engine;
    if (eng === null) {
      this.pendingLibraries = codes;
      if (codes.length > 0 && !this.loadFailed) {
        // Started in the background: nobody awaits it, so a failure is logged here (the held
        // libraries then stay unloaded and script commands answer "scripting engine not started").
        this.init().catch((e) =>
          this.d.logLine("warning", `Failed loading the Lua engine: ${(e as Error).message}`),
        );
      }
      return [];
    }
    eng.flushFunctions();
    return loadLibraries(eng, codes);
  }

  /**
   * A script command found no engine: hold the client's input (this request included: the
   * dispatcher replays it) until init() is done. False if the engine cannot be loaded (the
   * command then runs and answers "scripting engine not started").
   */
  whenLoaded(client: { holdForScript(): void; releaseFromScript(): void }): boolean {
    if (this.loadFailed) return false;
    client.holdForScript();
    this.init().then(
      () => client.releaseFromScript(),
      (e) => {
        this.d.logLine("warning", `Failed loading the Lua engine: ${(e as Error).message}`);
        client.releaseFromScript();
      },
    );
    return true;
  }

  /** A run is suspended past busy-reply-threshold: other clients get BUSY (read per request). */
  timedOut = false;

  /** FUNCTION STATS' running_script: a suspended FCALL. */
  runningFunction(): { name: string; argv: Uint8Array[]; durationMs: number } | null {
    const cur = this.cur;
    if (cur === null || cur.isEval) return null;
    return {
      name: cur.name,
      argv: cur.argv,
      durationMs: Math.floor(performance.now() - cur.startedAt),
    };
  }

  /** The BUSY text for the running kind (EVAL vs FCALL). */
  busyError(): string {
    return this.cur?.isEval === false ? BUSY_FUNCTION : BUSY_EVAL;
  }

  /**
   * Start a run for `caller` (scriptPrepareForRun's checks first). `start` calls the engine
   * (evalsha or fcall) with this runner as host. The reply reaches caller.reply now or, when
   * the run is suspended, when it ends.
   */
  run(
    caller: SessionContext,
    req: RunRequest,
    start: (
      eng: ScriptEngine,
      host: ScriptHost,
      opts: { clientResp: RespVersion; yieldAfterMs: number; sliceMs: number },
    ) => RunResult,
  ): void {
    const eng = this.engine;
    if (eng === null) return caller.reply.error("ERR scripting engine not started");
    if (this.cur !== null) return caller.reply.error(this.busyError());
    const noWrites = req.flags.includes("no-writes");
    const allowOom = req.flags.includes("allow-oom");
    const oom = this.d.outOfMemory();
    if (req.declared) {
      if (!noWrites && req.readOnlyCommand)
        return caller.reply.error(
          "ERR Can not execute a script with write flag using *_ro command.",
        );
      // Declared flags make EVAL/FCALL a denyoom command: processCommand refuses it first.
      if (oom && !allowOom && !noWrites) return caller.reply.error(OOM_ERR);
    }
    const ctx = this.context(caller);
    ctx.db = caller.db;
    ctx.client = caller.client;
    const cur: Running = {
      caller,
      isEval: req.isEval,
      readOnly: noWrites || req.readOnlyCommand,
      allowOom,
      oomAtStart: oom,
      dirtyAtStart: this.d.keyspace.dirty,
      wrote: false,
      suspended: false,
      startedAt: performance.now(),
      name: req.name,
      argv: [],
    };
    this.cur = cur;
    this.d.beginUnit();
    const r = start(eng, this, {
      clientResp: caller.protover === 3 ? 3 : 2,
      // 0 in Redis means "timed out at once": yield at the first hook (the engine's 0 = never).
      yieldAfterMs: Math.max(1, this.d.busyReplyThresholdMs()),
      sliceMs: this.sliceMs,
    });
    if (r.done) return this.finish(r.reply);
    cur.suspended = true;
    this.timedOut = true;
    const a = caller.argv;
    for (let i = 0; i < a.count; i++) cur.argv.push(a.copy(i));
    caller.client.holdForScript();
    this.schedule();
  }

  private schedule(): void {
    setImmediate(() => this.slice());
  }

  private slice(): void {
    const eng = this.engine;
    if (eng === null || this.cur === null) return;
    const r = eng.resume();
    if (!r.done) return this.schedule();
    const caller = this.cur.caller;
    this.finish(r.reply);
    caller.client.releaseFromScript();
  }

  private finish(reply: ReplyValue): void {
    const cur = this.cur!;
    this.cur = null;
    this.timedOut = false;
    this.d.endUnit();
    writeReplyValue(cur.caller.reply, reply);
  }

  /** SCRIPT KILL (isEval) / FUNCTION KILL: scriptKill's checks and texts. */
  kill(c: SessionContext, isEval: boolean): void {
    const cur = this.cur;
    if (cur === null || this.engine === null) return c.reply.error(NOTBUSY);
    if (cur.wrote) return c.reply.error(UNKILLABLE);
    if (isEval && !cur.isEval) return c.reply.error(BUSY_FUNCTION);
    if (!isEval && cur.isEval) return c.reply.error(BUSY_EVAL);
    this.engine.kill();
    c.reply.ok();
  }

  // ---- ScriptHost: redis.call / redis.pcall ------------------------------------------------

  call(argv: Uint8Array[], resp: RespVersion): ReplyValue {
    const cur = this.cur;
    const ctx = this.sctx;
    if (cur === null || ctx === null) return { type: "error", value: "ERR no script is running" };
    const a = ctx.argv;
    this.fillArgs(a, argv);
    const spec = this.resolve(a);
    if (spec === undefined) return UNKNOWN;
    const refused = this.refusal(cur, spec, a);
    if (refused !== null) {
      // scriptCall's error path: a rejected call of that command (INFO commandstats)
      this.d.commands.stats.rejected[spec.statId]!++;
      return { type: "error", value: refused };
    }
    const reply = ctx.reply;
    reply.mode = resp === 3 ? MODE_RESP3 : MODE_RESP2;
    ctx.protover = resp;
    const out = this.out;
    out.start = 0;
    out.end = 0;
    this.d.callOn(ctx, spec);
    if (!cur.wrote && this.d.keyspace.dirty !== cur.dirtyAtStart) cur.wrote = true;
    this.cursor.pos = 0;
    const v = decodeReply(out.buf, this.cursor, out.end);
    out.end = 0;
    return v;
  }

  log(level: number, message: string): void {
    const lv = level <= 1 ? "verbose" : level === 2 ? "notice" : "warning";
    this.sctx?.server.logLine(lv, message);
  }

  /** Why the script may not run this command (scriptCall's checks, in order), or null. */
  private refusal(cur: Running, spec: CommandSpec, a: Args): string | null {
    if ((spec.arity > 0 && a.count !== spec.arity) || a.count < -spec.arity)
      return "ERR Wrong number of args calling Redis command from script";
    const f = spec.flags;
    if ((f & CMD_NOSCRIPT) !== 0) return "ERR This Redis command is not allowed from script";
    if (cur.readOnly && (f & (CMD_WRITE | CMD_MAY_REPLICATE)) !== 0)
      return "ERR Write commands are not allowed from read-only scripts.";
    if (!cur.allowOom && cur.oomAtStart && !cur.wrote && (f & CMD_DENYOOM) !== 0) return OOM_ERR;
    return null;
  }

  /** lookupCommand: the command or "container|sub" argv names. */
  private resolve(a: Args): CommandSpec | undefined {
    let spec = this.d.commands.lookup(a.buf, a.off(0), a.len(0));
    if (spec === undefined) return undefined;
    if (spec.subcommands !== undefined && a.count >= 2) {
      let sub: CommandSpec | undefined;
      for (const s of spec.subcommands) {
        if (a.is(1, s.name.slice(s.name.indexOf("|") + 1))) {
          sub = s;
          break;
        }
      }
      if (sub === undefined) return undefined;
      spec = sub;
    }
    return spec;
  }

  /** Point `a` at copies of argv in one reusable buffer. */
  private fillArgs(a: Args, argv: Uint8Array[]): void {
    let total = 0;
    for (const x of argv) total += x.length;
    if (this.argBuf.length < total) {
      let n = this.argBuf.length * 2;
      while (n < total) n *= 2;
      this.argBuf = new Uint8Array(n);
    }
    const b = this.argBuf;
    a.reserve(argv.length);
    let p = 0;
    for (let i = 0; i < argv.length; i++) {
      const x = argv[i]!;
      b.set(x, p);
      a.offs[i] = p;
      a.lens[i] = x.length;
      p += x.length;
    }
    a.buf = b;
    a.count = argv.length;
  }
}

/** Load each library (REPLACE); a library that fails is skipped and its error returned. */
function loadLibraries(eng: ScriptEngine, codes: Uint8Array[]): string[] {
  const bad: string[] = [];
  for (const code of codes) {
    try {
      eng.loadLibrary(code, true);
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      bad.push(e.message);
    }
  }
  return bad;
}
