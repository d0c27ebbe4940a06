// The scripting core: Lua 5.4 (wasmoon's WebAssembly build, driven through its raw C API) dressed
// as Redis 7.0's Lua 5.1 world. One ScriptEngine per server holds two Lua states, as Redis does:
// one for EVAL scripts (compiled once per sha1, Redis's f_<sha>) and one for FUNCTION libraries.
// Nothing here knows the server: commands go to a ScriptHost, replies are ReplyValues.
//
// Execution control: every run is a Lua coroutine with a count hook. The hook (every
// `hookInstructions` VM instructions) raises the kill error after kill(), raises the memory error
// past `memoryLimit`, and once the run has been going for `yieldAfterMs` it yields (when the
// coroutine is yieldable) so run()/resume() return {done:false}: the host serves other clients
// (BUSY) and calls resume(). See docs/SCRIPTING.md.

import { createHash } from "node:crypto";
import { LuaFactory } from "wasmoon";
import { PRELUDE } from "./prelude.ts";
import {
  parseEvalShebang,
  parseLibraryShebang,
  SCRIPT_FLAGS,
  ScriptError,
  type ScriptFlag,
} from "./shebang.ts";
import type { ReplyValue, RespVersion, ScriptHost } from "./values.ts";

// What the command layer needs without the VM lives in shebang.ts (this file is loaded lazily).
export {
  parseEvalShebang,
  parseLibraryShebang,
  SCRIPT_FLAGS,
  ScriptError,
  type ScriptFlag,
} from "./shebang.ts";

const LUA_OK = 0;
const LUA_YIELD = 1;
const LUA_REGISTRYINDEX = -1001000;
const T_NIL = 0;
const T_BOOLEAN = 1;
const T_NUMBER = 3;
const T_STRING = 4;
const T_TABLE = 5;
const MASK_COUNT = 8;

export const REDIS_VERSION = "7.0.15";
export const REDIS_VERSION_NUM = 0x07000f;

export interface EngineOptions {
  /** VM instructions between two hook calls (Redis uses 100000). */
  hookInstructions?: number;
  /** Lua heap bound in bytes; a script past it is stopped with an error. */
  memoryLimit?: number;
  /** Longest string string.rep may build. */
  maxString?: number;
}

export interface RunOptions {
  /** Protocol of the calling client: shapes booleans/maps of the script's result. */
  clientResp?: RespVersion;
  /** Yield to the host once the run has taken this long (busy-reply-threshold); 0 = never. */
  yieldAfterMs?: number;
  /** After the first yield, yield again after this much running. */
  sliceMs?: number;
}

export type RunResult = { done: true; reply: ReplyValue } | { done: false; elapsedMs: number };

export interface CompiledScript {
  sha: string;
  flags: ScriptFlag[];
  /** The script declared flags with a #!lua shebang (Redis then applies them strictly). */
  shebang: boolean;
}

export interface FunctionInfo {
  name: string;
  library: string;
  flags: ScriptFlag[];
  description: string | null;
}

export interface LibraryInfo {
  name: string;
  code: Uint8Array;
  functions: FunctionInfo[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function sha1hex(b: Uint8Array | string): string {
  return createHash("sha1").update(b).digest("hex");
}

/** C's %.<p>g (Redis formats Lua numbers it passes to commands with %.17g). */
export function formatG(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const e = Number(x.toExponential(p - 1).split("e")[1]);
  if (e < -4 || e >= p) {
    let [m, ex] = x.toExponential(p - 1).split("e") as [string, string];
    if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
    const n = Number(ex);
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  let s = x.toFixed(Math.max(0, p - 1 - e));
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

/** Redis's rand48 (redisLrand48), reseeded with 0 before each EVAL so scripts are repeatable. */
class Rand48 {
  private x = 0n;
  seed(s: number): void {
    this.x = ((BigInt(Math.trunc(s)) & 0xffffffffn) << 16n) | 0x330en;
  }
  next31(): number {
    this.x = (this.x * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
    return Number(this.x >> 17n);
  }
}

type Wasm = Awaited<ReturnType<LuaFactory["getLuaModule"]>>;
// biome-ignore lint/suspicious/noExplicitAny: the emscripten module's exports are untyped
type Mod = any;

/** Raised inside a native function to become a Lua error table {err=msg}. */
class LuaRaise {
  constructor(readonly msg: string) {}
}

interface Run {
  T: number;
  threadRef: number;
  host: ScriptHost;
  name: string; // sha or function name, for error texts
  startedAt: number;
  sliceStart: number;
  yieldAfterMs: number;
  sliceMs: number;
  clientResp: RespVersion;
  resp: RespVersion;
  killed: boolean;
  world: World;
}

/** One Lua state with the Redis world loaded. */
class World {
  readonly L: number;
  envRef = 0;
  runnerRef = 0;
  /** The coroutine runs use (0 = make one) and its registry ref. */
  thread = 0;
  threadRef = 0;
  globalsRef = 0;
  gcRef = 0;
  constructor(
    readonly eng: ScriptEngine,
    readonly m: Mod,
    readonly W: Wasm,
  ) {
    this.L = W.luaL_newstate();
    W.luaL_openlibs(this.L);
  }
}

// Small integers as BigInt (the i64 arguments of the Lua API: table indexes, registry refs,
// integer replies): made once, since a BigInt per call showed in profiles.
const SMALL_BIG: bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));
function big(n: number | bigint): bigint {
  if (typeof n === "bigint") return n;
  return n >= 0 && n < 4096 && Number.isInteger(n) ? SMALL_BIG[n]! : BigInt(n);
}

export class ScriptEngine {
  private readonly m: Mod;
  private readonly W: Wasm;
  private readonly lenPtr: number;
  private readonly nresPtr: number;
  private scratch: number;
  private scratchLen = 4096;
  private evalWorld!: World;
  private fnWorld!: World;
  private readonly scripts = new Map<string, { ref: number; info: CompiledScript }>();
  private readonly functions = new Map<string, { ref: number; info: FunctionInfo }>();
  private readonly libraries = new Map<string, LibraryInfo>();
  /** Set while FUNCTION LOAD runs a library body: what redis.register_function collects. */
  private loading: { name: string; fns: { ref: number; info: FunctionInfo }[] } | null = null;
  private run: Run | null = null;
  private readonly rand = new Rand48();
  private readonly hookInstructions: number;
  private readonly memoryLimit: number;
  private readonly maxString: number;
  private readonly natives: number[] = [];
  private hookPtr = 0;

  static async create(opts: EngineOptions = {}): Promise<ScriptEngine> {
    // wasmoon's build keeps emscripten's assertions: every exported call goes through a JS
    // wrapper (an assert, a lookup, fn.apply), ~11% of a small EVALSHA. Catch the instance's
    // raw exports while it loads and call those instead (what a release build does).
    const wa = WebAssembly as unknown as { instantiate: (...a: unknown[]) => Promise<unknown> };
    const orig = wa.instantiate;
    let exports: Record<string, unknown> | null = null;
    wa.instantiate = async (...a: unknown[]) => {
      const r = (await orig.apply(WebAssembly, a)) as { instance?: WebAssembly.Instance };
      if (r.instance) exports = r.instance.exports as Record<string, unknown>;
      return r;
    };
    let W: Wasm;
    try {
      W = await new LuaFactory().getLuaModule();
    } finally {
      wa.instantiate = orig;
    }
    const ex = exports as Record<string, unknown> | null;
    if (ex !== null) {
      const m = W.module as unknown as Record<string, unknown>;
      for (const k of Object.keys(m)) {
        const raw = k.startsWith("_") ? ex[k.slice(1)] : undefined;
        if (typeof raw === "function" && typeof m[k] === "function") m[k] = raw;
      }
    }
    return new ScriptEngine(W, opts);
  }

  private constructor(W: Wasm, opts: EngineOptions) {
    this.W = W;
    this.m = W.module;
    this.hookInstructions = opts.hookInstructions ?? 100_000;
    this.memoryLimit = opts.memoryLimit ?? 256 * 1024 * 1024;
    this.maxString = opts.maxString ?? 512 * 1024 * 1024;
    this.lenPtr = this.m._malloc(8);
    this.nresPtr = this.m._malloc(8);
    this.scratch = this.m._malloc(this.scratchLen);
    this.rand.seed(0); // Redis 7.0 does not reseed per EVAL; math.randomseed(0) repeats this
    this.hookPtr = this.m.addFunction((L: number) => this.onHook(L), "vii");
    this.evalWorld = this.makeWorld(false);
    this.fnWorld = this.makeWorld(true);
  }

  // ---- public API --------------------------------------------------------------------------

  /** SCRIPT LOAD / the compile step of EVAL. Throws ScriptError with Redis's text. */
  loadScript(body: Uint8Array): CompiledScript {
    const sha = sha1hex(body);
    const have = this.scripts.get(sha);
    if (have) return have.info;
    const { flags, shebang, code } = parseEvalShebang(body);
    const w = this.evalWorld;
    const ref = this.compile(w, code, "@user_script", "Error compiling script (new function): ");
    const info: CompiledScript = { sha, flags, shebang };
    this.scripts.set(sha, { ref, info });
    return info;
  }

  getScript(sha: string): CompiledScript | undefined {
    return this.scripts.get(sha.toLowerCase())?.info;
  }

  /** SCRIPT FLUSH. */
  flushScripts(): void {
    for (const { ref } of this.scripts.values())
      this.W.luaL_unref(this.evalWorld.L, LUA_REGISTRYINDEX, ref);
    this.scripts.clear();
    this.call0(this.evalWorld, "collect");
  }

  get scriptCount(): number {
    return this.scripts.size;
  }

  /** EVAL/EVALSHA: start the script (loadScript it first). */
  evalsha(
    sha: string,
    keys: Uint8Array[],
    argv: Uint8Array[],
    host: ScriptHost,
    opts: RunOptions = {},
  ): RunResult {
    const s = this.scripts.get(sha.toLowerCase());
    if (!s)
      return {
        done: true,
        reply: { type: "error", value: "NOSCRIPT No matching script. Please use EVAL." },
      };
    const w = this.evalWorld;
    const L = w.L;
    this.pushGlobals(w);
    this.pushArray(L, keys);
    this.m._lua_setfield(L, -2, this.cstr("KEYS"));
    this.pushArray(L, argv);
    this.m._lua_setfield(L, -2, this.cstr("ARGV"));
    this.m._lua_settop(L, 0);
    return this.start(w, s.ref, sha, host, opts, null);
  }

  /** FCALL / FCALL_RO. */
  fcall(
    name: string,
    keys: Uint8Array[],
    argv: Uint8Array[],
    host: ScriptHost,
    opts: RunOptions = {},
  ): RunResult {
    const f = this.functions.get(name);
    if (!f) return { done: true, reply: { type: "error", value: "ERR Function not found" } };
    return this.start(this.fnWorld, f.ref, name, host, opts, [keys, argv]);
  }

  getFunction(name: string): FunctionInfo | undefined {
    return this.functions.get(name)?.info;
  }

  listLibraries(): LibraryInfo[] {
    return [...this.libraries.values()];
  }

  /** FUNCTION LOAD [REPLACE]: returns the library name; throws ScriptError. */
  loadLibrary(code: Uint8Array, replace = false): string {
    const { name, body } = parseLibraryShebang(code);
    const old = this.libraries.get(name);
    if (old && !replace) throw new ScriptError(`ERR Library '${name}' already exists`);
    const w = this.fnWorld;
    const ref = this.compile(w, body, "@user_function", "Error compiling function: ");
    this.loading = { name, fns: [] };
    try {
      const L = w.L;
      this.m._lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
      const st = this.m._lua_pcallk(L, 0, 0, 0, 0, 0);
      this.W.luaL_unref(L, LUA_REGISTRYINDEX, ref);
      if (st !== LUA_OK) {
        const msg = this.errorText(L, -1);
        this.m._lua_settop(L, 0);
        throw new ScriptError(`ERR Error registering functions: ${msg}`);
      }
      const fns = this.loading.fns;
      if (fns.length === 0) throw new ScriptError("ERR No functions registered");
      for (const f of fns) {
        const other = this.functions.get(f.info.name);
        if (other && other.info.library !== name)
          throw new ScriptError(`ERR Function ${f.info.name} already exists`);
      }
      if (old) this.deleteLibrary(name);
      for (const f of fns) this.functions.set(f.info.name, f);
      this.libraries.set(name, { name, code, functions: fns.map((f) => f.info) });
      return name;
    } catch (e) {
      for (const f of this.loading.fns) this.W.luaL_unref(w.L, LUA_REGISTRYINDEX, f.ref);
      throw e;
    } finally {
      this.loading = null;
    }
  }

  /** FUNCTION DELETE; false when there is no such library. */
  deleteLibrary(name: string): boolean {
    const lib = this.libraries.get(name);
    if (!lib) return false;
    for (const f of lib.functions) {
      const e = this.functions.get(f.name);
      if (e) this.W.luaL_unref(this.fnWorld.L, LUA_REGISTRYINDEX, e.ref);
      this.functions.delete(f.name);
    }
    this.libraries.delete(name);
    return true;
  }

  /** FUNCTION FLUSH. */
  flushFunctions(): void {
    for (const name of [...this.libraries.keys()]) this.deleteLibrary(name);
  }

  /** Continue a suspended run. */
  resume(): RunResult {
    const r = this.run;
    if (!r) throw new Error("no suspended script");
    r.sliceStart = performance.now();
    return this.step(r, 0);
  }

  /** SCRIPT KILL / FUNCTION KILL: the running script stops with an error at its next hook. */
  kill(): boolean {
    if (!this.run) return false;
    this.run.killed = true;
    this.m._lua_sethook(this.run.T, this.hookPtr, MASK_COUNT, 1);
    return true;
  }

  /** A run is suspended (between run()/resume() calls that returned done:false). */
  get busy(): boolean {
    return this.run !== null;
  }

  /** Bytes in use by the Lua states (used_memory_lua / used_memory_vm_functions). */
  memory(): { eval: number; functions: number } {
    return {
      eval: this.call0(this.evalWorld, "count") * 1024,
      functions: this.call0(this.fnWorld, "count") * 1024,
    };
  }

  // ---- running -----------------------------------------------------------------------------

  private start(
    w: World,
    fnRef: number,
    name: string,
    host: ScriptHost,
    opts: RunOptions,
    args: [Uint8Array[], Uint8Array[]] | null,
  ): RunResult {
    if (this.run) throw new Error("a script is already running");
    const m = this.m;
    const L = w.L;
    // One coroutine per world, reused run after run (a finished coroutine with an empty stack
    // starts a new call on resume); a new one only after a run that left it in error.
    if (w.thread === 0) {
      w.thread = m._lua_newthread(L);
      w.threadRef = this.W.luaL_ref(L, LUA_REGISTRYINDEX);
    }
    const T = w.thread;
    const threadRef = w.threadRef;
    m._lua_rawgeti(T, LUA_REGISTRYINDEX, big(w.runnerRef));
    m._lua_rawgeti(T, LUA_REGISTRYINDEX, big(fnRef));
    let nargs = 1;
    if (args) {
      this.pushArray(T, args[0]);
      this.pushArray(T, args[1]);
      nargs = 3;
    }
    m._lua_sethook(T, this.hookPtr, MASK_COUNT, this.hookInstructions);
    const now = performance.now();
    const r: Run = {
      T,
      threadRef,
      host,
      name,
      startedAt: now,
      sliceStart: now,
      yieldAfterMs: opts.yieldAfterMs ?? 0,
      sliceMs: opts.sliceMs ?? 20,
      clientResp: opts.clientResp ?? 2,
      resp: 2,
      killed: false,
      world: w,
    };
    this.run = r;
    return this.step(r, nargs);
  }

  private step(r: Run, nargs: number): RunResult {
    const m = this.m;
    const T = r.T;
    const st = m._lua_resume(T, r.world.L, nargs, this.nresPtr);
    if (st === LUA_YIELD) return { done: false, elapsedMs: performance.now() - r.startedAt };
    let reply: ReplyValue;
    if (st === LUA_OK && m._lua_toboolean(T, 1)) {
      // Booleans convert by the script's protocol (redis.setresp), not the caller's, as 7.0's
      // luaReplyToRedisReply (script_client->resp); the caller's Reply then shapes the rest.
      reply = m._lua_gettop(T) >= 2 ? this.toReply(T, 2, r.resp, 0) : { type: "null" };
    } else {
      // xpcall returned (false, errtable), or the coroutine itself failed (memory)
      const idx = st === LUA_OK ? 2 : -1;
      reply = { type: "error", value: this.formatRunError(T, idx, r.name) };
    }
    m._lua_settop(T, 0);
    if (st !== LUA_OK) {
      this.W.luaL_unref(r.world.L, LUA_REGISTRYINDEX, r.threadRef);
      r.world.thread = 0;
    }
    this.run = null;
    return { done: true, reply };
  }

  private onHook(L: number): void {
    const r = this.run;
    if (!r) return;
    if (r.killed) {
      // Raise now, and again at every later hook so a pcall cannot swallow it; back at the
      // normal count so the error handler itself (Lua code) runs uninterrupted and can name
      // the line, as Redis's kill error does.
      this.m._lua_sethook(L, this.hookPtr, MASK_COUNT, this.hookInstructions);
      return this.raise(L, "ERR Script killed by user with SCRIPT KILL...");
    }
    const now = performance.now();
    if (this.luaMemory(r.world) > this.memoryLimit) {
      this.call0(r.world, "collect");
      if (this.luaMemory(r.world) > this.memoryLimit)
        return this.raise(L, "ERR Lua script used more memory than its limit");
    }
    if (
      r.yieldAfterMs > 0 &&
      now - r.startedAt >= r.yieldAfterMs &&
      now - r.sliceStart >= Math.min(r.sliceMs, r.yieldAfterMs) &&
      this.m._lua_isyieldable(L)
    ) {
      this.m._lua_yieldk(L, 0, 0, 0);
    }
  }

  private luaMemory(w: World): number {
    return this.call0(w, "count") * 1024;
  }

  /** collectgarbage(what) in world w, from JS (hooks are off while a hook runs). */
  private call0(w: World, what: string): number {
    const m = this.m;
    const L = w.L;
    const top = m._lua_gettop(L);
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, big(w.gcRef));
    m._lua_pushstring(L, this.cstr(what));
    m._lua_callk(L, 1, 1, 0, 0);
    const n = m._lua_tonumberx(L, -1, 0);
    m._lua_settop(L, top);
    return n;
  }

  private formatRunError(T: number, idx: number, name: string): string {
    const m = this.m;
    if (m._lua_type(T, idx) === T_TABLE) {
      const e = this.field(T, idx, "err");
      const src = this.field(T, idx, "source");
      const line = this.field(T, idx, "line");
      if (src !== null && line !== null) return `${e} script: ${name}, on ${src}:${line}.`;
      return `${e} script: ${name}`;
    }
    return `ERR ${this.errorText(T, idx)} script: ${name}`;
  }

  private field(L: number, idx: number, k: string): string | null {
    const m = this.m;
    m._lua_getfield(L, idx, this.cstr(k));
    const t = m._lua_type(L, -1);
    const s = t === T_STRING || t === T_NUMBER ? this.luaToString(L, -1) : null;
    m._lua_settop(L, -2);
    return s;
  }

  // ---- natives -----------------------------------------------------------------------------

  private makeWorld(functions: boolean): World {
    const w = new World(this, this.m, this.W);
    const m = this.m;
    const L = w.L;
    m._lua_createtable(L, 0, 16);
    const fn = (name: string, f: (L: number) => number) => {
      const p = m.addFunction((L: number) => this.native(L, f), "ii");
      this.natives.push(p);
      m._lua_pushcclosure(L, p, 0);
      m._lua_setfield(L, -2, this.cstr(name));
    };
    fn("call", (L) => this.redisCall(L, true));
    fn("pcall", (L) => this.redisCall(L, false));
    fn("sha1hex", (L) => {
      if (m._lua_gettop(L) !== 1) throw new LuaRaise("ERR wrong number of arguments");
      this.pushString(L, enc.encode(sha1hex(this.luaToBytes(L, 1))));
      return 1;
    });
    fn("setresp", (L) => {
      const v = m._lua_gettop(L) === 1 ? m._lua_tonumberx(L, 1, 0) : 0;
      if (v !== 2 && v !== 3) throw new LuaRaise("ERR RESP version must be 2 or 3.");
      if (this.run) this.run.resp = v;
      return 0;
    });
    fn("log", (L) => {
      const n = m._lua_gettop(L);
      if (n < 2) throw new LuaRaise("ERR redis.log() requires two arguments or more.");
      if (m._lua_type(L, 1) !== T_NUMBER)
        throw new LuaRaise("ERR First argument must be a number (log level).");
      const level = m._lua_tonumberx(L, 1, 0);
      if (level < 0 || level > 3) throw new LuaRaise("ERR Invalid debug level.");
      const parts: string[] = [];
      for (let i = 2; i <= n; i++) parts.push(this.luaToString(L, i) ?? "");
      this.run?.host.log?.(level, parts.join(" "));
      return 0;
    });
    fn("acl_check_cmd", (L) => {
      const argv = this.callArgs(L);
      m._lua_pushboolean(L, (this.run?.host.aclCheck?.(argv) ?? true) ? 1 : 0);
      return 1;
    });
    fn("random", (L) => {
      const r = (this.rand.next31() % 2147483647) / 2147483647;
      const n = m._lua_gettop(L);
      if (n === 0) m._lua_pushnumber(L, r);
      // integral results go in as Lua integers so that `..` prints "8", not 5.4's "8.0"
      else if (n === 1)
        m._lua_pushinteger(L, BigInt(Math.floor(r * Math.trunc(m._lua_tonumberx(L, 1, 0))) + 1));
      else {
        const lo = Math.trunc(m._lua_tonumberx(L, 1, 0));
        const hi = Math.trunc(m._lua_tonumberx(L, 2, 0));
        if (lo > hi) throw new LuaRaise("ERR bad argument #2 to 'random' (interval is empty)");
        m._lua_pushinteger(L, BigInt(Math.floor(r * (hi - lo + 1)) + lo));
      }
      return 1;
    });
    fn("randomseed", (L) => {
      this.rand.seed(m._lua_tonumberx(L, 1, 0));
      return 0;
    });
    fn("register_function", (L) => this.registerFunction(L, functions));
    m._lua_pushinteger(L, BigInt(this.maxString));
    m._lua_setfield(L, -2, this.cstr("maxString"));
    this.pushString(L, enc.encode(REDIS_VERSION));
    m._lua_setfield(L, -2, this.cstr("version"));
    m._lua_pushinteger(L, BigInt(REDIS_VERSION_NUM));
    m._lua_setfield(L, -2, this.cstr("versionNum"));
    m._lua_setglobal(L, this.cstr("__imds"));
    m._lua_getglobal(L, this.cstr("collectgarbage"));
    w.gcRef = this.W.luaL_ref(L, LUA_REGISTRYINDEX);
    const prelude = enc.encode(PRELUDE);
    this.loadChunk(L, prelude, "=prelude");
    if (m._lua_pcallk(L, 0, 3, 0, 0, 0) !== LUA_OK)
      throw new Error(`scripting prelude failed: ${this.errorText(L, -1)}`);
    w.globalsRef = this.W.luaL_ref(L, LUA_REGISTRYINDEX);
    w.runnerRef = this.W.luaL_ref(L, LUA_REGISTRYINDEX);
    w.envRef = this.W.luaL_ref(L, LUA_REGISTRYINDEX);
    return w;
  }

  /** Run a native; a LuaRaise becomes a Lua error {err=msg}. lua_error must be called outside
   * the JS try so the longjmp does not cross it. */
  private native(L: number, f: (L: number) => number): number {
    let raise: string;
    try {
      return f(L);
    } catch (e) {
      if (!(e instanceof LuaRaise)) throw e;
      raise = e.msg;
    }
    return this.raise(L, raise);
  }

  private raise(L: number, msg: string): never {
    const m = this.m;
    m._lua_createtable(L, 0, 1);
    this.pushString(L, enc.encode(msg));
    m._lua_setfield(L, -2, this.cstr("err"));
    m._lua_error(L); // longjmps: does not return
    throw new Error("unreachable: lua_error returned");
  }

  private callArgs(L: number): Uint8Array[] {
    const m = this.m;
    const n = m._lua_gettop(L);
    if (n === 0)
      throw new LuaRaise("ERR Please specify at least one argument for this redis lib call");
    const argv: Uint8Array[] = new Array(n);
    for (let i = 1; i <= n; i++) {
      const t = m._lua_type(L, i);
      if (t === T_STRING) argv[i - 1] = this.luaToBytes(L, i);
      else if (t === T_NUMBER) {
        argv[i - 1] = enc.encode(
          m._lua_isinteger(L, i)
            ? String(m._lua_tointegerx(L, i, 0))
            : formatG(m._lua_tonumberx(L, i, 0), 17),
        );
      } else throw new LuaRaise("ERR Lua redis lib command arguments must be strings or integers");
    }
    return argv;
  }

  private redisCall(L: number, raise: boolean): number {
    const r = this.run;
    if (!r) throw new LuaRaise("ERR redis.call can only be called inside a script invocation");
    const argv = this.callArgs(L);
    const reply = r.host.call(argv, r.resp);
    if (reply.type === "error" && raise) throw new LuaRaise(reply.value);
    this.m._lua_settop(L, 0);
    this.pushReply(L, reply, r.resp);
    return 1;
  }

  private registerFunction(L: number, functions: boolean): number {
    const m = this.m;
    const ld = this.loading;
    if (!functions || !ld)
      throw new LuaRaise("ERR redis.register_function can only be called on FUNCTION LOAD command");
    let name: string | null = null;
    let flags: ScriptFlag[] = [];
    let description: string | null = null;
    const n = m._lua_gettop(L);
    if (n === 1 && m._lua_type(L, 1) === T_TABLE) {
      name = this.field(L, 1, "function_name");
      description = this.field(L, 1, "description");
      m._lua_getfield(L, 1, this.cstr("flags"));
      if (m._lua_type(L, -1) === T_TABLE) {
        for (let i = 1; ; i++) {
          m._lua_rawgeti(L, -1, big(i));
          if (m._lua_type(L, -1) === T_NIL) {
            m._lua_settop(L, -2);
            break;
          }
          const f = this.luaToString(L, -1) ?? "";
          m._lua_settop(L, -2);
          if (!(SCRIPT_FLAGS as readonly string[]).includes(f))
            throw new LuaRaise(`ERR unknown flag given`);
          flags.push(f as ScriptFlag);
        }
      }
      m._lua_settop(L, -2);
      m._lua_getfield(L, 1, this.cstr("callback"));
      if (m._lua_type(L, -1) !== 6)
        throw new LuaRaise("ERR callback argument given is not a function");
    } else if (n === 2 && m._lua_type(L, 1) === T_STRING && m._lua_type(L, 2) === 6) {
      name = this.luaToString(L, 1);
      m._lua_pushvalue(L, 2);
    } else {
      throw new LuaRaise("ERR wrong number of arguments to redis.register_function");
    }
    if (!name) throw new LuaRaise("ERR redis.register_function must get a function name argument");
    if (!/^[A-Za-z0-9_]+$/.test(name))
      throw new LuaRaise(
        // sic: Redis 7.0 words a bad function name as a library name
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
      );
    if (ld.fns.some((f) => f.info.name === name))
      throw new LuaRaise(`ERR Function ${name} already exists`);
    const ref = this.W.luaL_ref(L, LUA_REGISTRYINDEX);
    flags = [...new Set(flags)];
    ld.fns.push({ ref, info: { name, library: ld.name, flags, description } });
    return 0;
  }

  // ---- conversions -------------------------------------------------------------------------

  /** Redis reply -> Lua value (luaRedisGenericCommand's conversion), in the script's protocol. */
  private pushReply(L: number, v: ReplyValue, resp: RespVersion): void {
    const m = this.m;
    m._lua_checkstack(L, 4);
    switch (v.type) {
      case "status":
      case "error":
        m._lua_createtable(L, 0, 1);
        this.pushString(L, enc.encode(v.value));
        m._lua_setfield(L, -2, this.cstr(v.type === "status" ? "ok" : "err"));
        return;
      case "int":
        // Past 2^53 a 5.1 number (a double) has lost digits: push a float, so `..` prints
        // 9.2233720368548e+18 as Redis does, not the exact integer.
        if (typeof v.value === "number" && Number.isSafeInteger(v.value))
          m._lua_pushinteger(L, big(v.value));
        else m._lua_pushnumber(L, Number(v.value));
        return;
      case "bulk":
        this.pushString(L, v.value);
        return;
      case "null":
        if (resp === 3) m._lua_pushnil(L);
        else m._lua_pushboolean(L, 0);
        return;
      case "array":
        m._lua_createtable(L, v.value.length, 0);
        for (let i = 0; i < v.value.length; i++) {
          this.pushReply(L, v.value[i]!, resp);
          m._lua_rawseti(L, -2, big(i + 1));
        }
        return;
      case "set":
        if (resp === 2) return this.pushReply(L, { type: "array", value: v.value }, resp);
        m._lua_createtable(L, 0, 1);
        m._lua_createtable(L, 0, v.value.length);
        for (const e of v.value) {
          this.pushReply(L, e, resp);
          m._lua_pushboolean(L, 1);
          m._lua_rawset(L, -3);
        }
        m._lua_setfield(L, -2, this.cstr("set"));
        return;
      case "map":
        if (resp === 2) return this.pushReply(L, { type: "array", value: v.value.flat() }, resp);
        m._lua_createtable(L, 0, 1);
        m._lua_createtable(L, 0, v.value.length);
        for (const [k, val] of v.value) {
          this.pushReply(L, k, resp);
          this.pushReply(L, val, resp);
          m._lua_rawset(L, -3);
        }
        m._lua_setfield(L, -2, this.cstr("map"));
        return;
      case "double":
        if (resp === 2) return this.pushString(L, enc.encode(formatG(v.value, 17)));
        m._lua_createtable(L, 0, 1);
        m._lua_pushnumber(L, v.value);
        m._lua_setfield(L, -2, this.cstr("double"));
        return;
      case "bool":
        if (resp === 2) {
          if (v.value) m._lua_pushinteger(L, 1n);
          else m._lua_pushboolean(L, 0);
        } else m._lua_pushboolean(L, v.value ? 1 : 0);
        return;
      case "bignum":
        if (resp === 2) return this.pushString(L, enc.encode(v.value));
        m._lua_createtable(L, 0, 1);
        this.pushString(L, enc.encode(v.value));
        m._lua_setfield(L, -2, this.cstr("big_number"));
        return;
    }
  }

  /** Lua value -> reply (luaReplyToRedisReply). */
  private toReply(L: number, idx: number, scriptResp: RespVersion, depth: number): ReplyValue {
    const m = this.m;
    idx = m._lua_absindex(L, idx);
    m._lua_checkstack(L, 4);
    switch (m._lua_type(L, idx)) {
      case T_STRING:
        return { type: "bulk", value: this.luaToBytes(L, idx) };
      case T_BOOLEAN: {
        const b = m._lua_toboolean(L, idx) !== 0;
        if (scriptResp === 3) return { type: "bool", value: b };
        return b ? { type: "int", value: 1 } : { type: "null" };
      }
      case T_NUMBER:
        return { type: "int", value: luaNumberToInt(m, L, idx) };
      case T_TABLE: {
        if (depth > 1000) return { type: "error", value: "ERR reached lua stack limit" };
        const err = this.rawField(L, idx, "err");
        if (err === T_STRING) return this.popString(L, "error");
        m._lua_settop(L, -2);
        if (this.rawField(L, idx, "ok") === T_STRING) return this.popString(L, "status");
        m._lua_settop(L, -2);
        if (this.rawField(L, idx, "double") === T_NUMBER) {
          const d = m._lua_tonumberx(L, -1, 0);
          m._lua_settop(L, -2);
          return { type: "double", value: d };
        }
        m._lua_settop(L, -2);
        if (this.rawField(L, idx, "big_number") === T_STRING) {
          const s = this.luaToString(L, -1) ?? "";
          m._lua_settop(L, -2);
          return { type: "bignum", value: s };
        }
        m._lua_settop(L, -2);
        if (this.rawField(L, idx, "map") === T_TABLE) {
          const out: [ReplyValue, ReplyValue][] = [];
          m._lua_pushnil(L);
          while (m._lua_next(L, -2)) {
            out.push([
              this.toReply(L, -2, scriptResp, depth + 1),
              this.toReply(L, -1, scriptResp, depth + 1),
            ]);
            m._lua_settop(L, -2);
          }
          m._lua_settop(L, -2);
          return { type: "map", value: out };
        }
        m._lua_settop(L, -2);
        if (this.rawField(L, idx, "set") === T_TABLE) {
          const out: ReplyValue[] = [];
          m._lua_pushnil(L);
          while (m._lua_next(L, -2)) {
            out.push(this.toReply(L, -2, scriptResp, depth + 1));
            m._lua_settop(L, -2);
          }
          m._lua_settop(L, -2);
          return { type: "set", value: out };
        }
        m._lua_settop(L, -2);
        const out: ReplyValue[] = [];
        for (let i = 1; ; i++) {
          m._lua_rawgeti(L, idx, big(i));
          if (m._lua_type(L, -1) === T_NIL) {
            m._lua_settop(L, -2);
            break;
          }
          out.push(this.toReply(L, -1, scriptResp, depth + 1));
          m._lua_settop(L, -2);
        }
        return { type: "array", value: out };
      }
      default:
        return { type: "null" };
    }
  }

  private rawField(L: number, idx: number, k: string): number {
    this.pushString(L, enc.encode(k));
    return this.m._lua_rawget(L, idx);
  }

  private popString(L: number, type: "error" | "status"): ReplyValue {
    const s = this.luaToString(L, -1) ?? "";
    this.m._lua_settop(L, -2);
    // RESP errors and statuses are one line
    return { type, value: s.replace(/[\r\n]/g, " ") };
  }

  // ---- low level ---------------------------------------------------------------------------

  private compile(w: World, code: Uint8Array, chunk: string, prefix: string): number {
    const m = this.m;
    const L = w.L;
    if (this.loadChunk(L, code, chunk) !== LUA_OK) {
      const msg = this.errorText(L, -1);
      m._lua_settop(L, 0);
      throw new ScriptError(`ERR ${prefix}${msg}`);
    }
    // the chunk's only upvalue is _ENV: give it the protected environment
    m._lua_rawgeti(L, LUA_REGISTRYINDEX, big(w.envRef));
    m._lua_setupvalue(L, -2, 1);
    return this.W.luaL_ref(L, LUA_REGISTRYINDEX);
  }

  private loadChunk(L: number, code: Uint8Array, chunk: string): number {
    const p = this.m._malloc(code.length + 1);
    this.m.HEAPU8.set(code, p);
    const st = this.m._luaL_loadbufferx(L, p, code.length, this.cstr(chunk), this.cstr("t"));
    this.m._free(p);
    return st;
  }

  private pushGlobals(w: World): void {
    this.m._lua_rawgeti(w.L, LUA_REGISTRYINDEX, big(w.globalsRef));
  }

  private pushArray(L: number, a: Uint8Array[]): void {
    const m = this.m;
    m._lua_createtable(L, a.length, 0);
    for (let i = 0; i < a.length; i++) {
      this.pushString(L, a[i]!);
      m._lua_rawseti(L, -2, big(i + 1));
    }
  }

  private pushString(L: number, b: Uint8Array): void {
    const m = this.m;
    if (b.length > this.scratchLen) {
      m._free(this.scratch);
      this.scratchLen = b.length;
      this.scratch = m._malloc(this.scratchLen);
    }
    m.HEAPU8.set(b, this.scratch);
    m._lua_pushlstring(L, this.scratch, b.length);
  }

  private luaToBytes(L: number, i: number): Uint8Array {
    const m = this.m;
    const p = m._lua_tolstring(L, i, this.lenPtr);
    const n = m.HEAPU32[this.lenPtr >> 2];
    return m.HEAPU8.slice(p, p + n);
  }

  private luaToString(L: number, i: number): string | null {
    const m = this.m;
    const t = m._lua_type(L, i);
    if (t === T_NUMBER) {
      return m._lua_isinteger(L, i)
        ? String(m._lua_tointegerx(L, i, 0))
        : formatG(m._lua_tonumberx(L, i, 0), 14);
    }
    if (t !== T_STRING) return null;
    return dec.decode(this.luaToBytes(L, i));
  }

  private errorText(L: number, i: number): string {
    const m = this.m;
    if (m._lua_type(L, i) === T_TABLE)
      return this.field(L, i, "err") ?? "(error object is a table)";
    return this.luaToString(L, i) ?? `(error object is a ${m._lua_type(L, i)} value)`;
  }

  private readonly cstrs = new Map<string, number>();
  /** A NUL-terminated copy of s in wasm memory, kept for the engine's life (names only). */
  private cstr(s: string): number {
    let p = this.cstrs.get(s);
    if (p === undefined) {
      const b = enc.encode(s);
      p = this.m._malloc(b.length + 1) as number;
      this.m.HEAPU8.set(b, p);
      this.m.HEAPU8[p + b.length] = 0;
      this.cstrs.set(s, p);
    }
    return p;
  }
}

/** Lua number -> integer reply: truncated toward zero; out of range as C's cast on x86. */
function luaNumberToInt(m: Mod, L: number, idx: number): number | bigint {
  if (m._lua_isinteger(L, idx)) {
    const b: bigint = m._lua_tointegerx(L, idx, 0);
    return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
  }
  const d: number = m._lua_tonumberx(L, idx, 0);
  if (!Number.isFinite(d) || d >= 2 ** 63 || d < -(2 ** 63)) return -9223372036854775808n;
  const t = Math.trunc(d);
  return Number.isSafeInteger(t) ? t + 0 : BigInt(t);
}
