// `bun bench/lua-engines.ts`: fengari (Lua 5.3, pure JS) against wasmoon (Lua 5.4, WebAssembly) on
// the work the scripting core does: start-up, compile, call latency/throughput of a small
// rate-limiter script whose redis.call goes to a JS callback, of a BullMQ-size synthetic script,
// memory, and whether a count hook can yield. Both engines are driven through their raw C-like
// APIs (no wrapper layers), strings passed as bytes. Bounded: each timing loop runs a fixed count.
//
// Results and the decision: docs/SCRIPTING.md.

import { lua as F, lauxlib, lualib, to_luastring } from "fengari";
import { LuaFactory } from "wasmoon";

const SMALL = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if current > tonumber(ARGV[2]) then return 0 end
return 1`;

/** A synthetic script the size of BullMQ's addJob/moveToFinished (~400 lines): helpers, loops,
 * tables, string ops, a few redis.call per run. */
function bigScript(): string {
  const helpers: string[] = [];
  for (let i = 0; i < 40; i++) {
    helpers.push(`local function helper${i}(t, s)
  local acc = {}
  for k = 1, #t do
    local v = t[k]
    if type(v) == "number" then acc[#acc + 1] = string.format("%d:%s", v, s)
    else acc[#acc + 1] = string.upper(tostring(v)) .. "${i}" end
  end
  return table.concat(acc, ",")
end`);
  }
  const calls = Array.from(
    { length: 40 },
    (_, i) => `  out[#out + 1] = helper${i}(items, ARGV[1])`,
  );
  return `${helpers.join("\n")}
local items = {}
for i = 1, 50 do items[i] = (i % 3 == 0) and ("job" .. i) or i end
table.sort(items, function(a, b) return tostring(a) < tostring(b) end)
local out = {}
${calls.join("\n")}
local joined = table.concat(out, "|")
local n = 0
for w in string.gmatch(joined, "[^,|]+") do n = n + 1 end
local id = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], 10000)
local s = string.gsub(joined, "JOB", "j")
redis.call('INCR', KEYS[2])
return {id, n, #s}`;
}

const counters = new Map<string, number>();
const dec = new TextDecoder();
const enc = new TextEncoder();
/** The host side of redis.call: INCR and PEXPIRE over a Map. */
function host(args: Uint8Array[]): number {
  const name = dec.decode(args[0]!).toUpperCase();
  const key = dec.decode(args[1]!);
  if (name === "INCR") {
    const v = (counters.get(key) ?? 0) + 1;
    counters.set(key, v);
    return v;
  }
  return 1;
}

interface Engine {
  name: string;
  compile(src: string): number; // returns a handle
  call(h: number, keys: Uint8Array[], argv: Uint8Array[]): unknown;
  hookYields(): string;
  memUsed(): number;
}

// ---- fengari -------------------------------------------------------------

function fengariEngine(): Engine {
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  F.lua_createtable(L, 0, 1);
  F.lua_pushjsfunction(L, (L: unknown) => {
    const n = F.lua_gettop(L);
    const args: Uint8Array[] = [];
    for (let i = 1; i <= n; i++) args.push(F.lua_tolstring(L, i));
    F.lua_pushnumber(L, host(args));
    return 1;
  });
  F.lua_setfield(L, -2, to_luastring("call"));
  F.lua_setglobal(L, to_luastring("redis"));
  const refs: number[] = [];
  const pushArr = (name: string, a: Uint8Array[]) => {
    F.lua_createtable(L, a.length, 0);
    for (let i = 0; i < a.length; i++) {
      F.lua_pushstring(L, a[i]);
      F.lua_rawseti(L, -2, i + 1);
    }
    F.lua_setglobal(L, to_luastring(name));
  };
  return {
    name: "fengari",
    compile(src) {
      if (lauxlib.luaL_loadbuffer(L, enc.encode(src), null, to_luastring("@user_script")) !== 0)
        throw new Error(F.lua_tojsstring(L, -1));
      refs.push(lauxlib.luaL_ref(L, F.LUA_REGISTRYINDEX));
      return refs.length - 1;
    },
    call(h, keys, argv) {
      pushArr("KEYS", keys);
      pushArr("ARGV", argv);
      F.lua_rawgeti(L, F.LUA_REGISTRYINDEX, refs[h]);
      if (F.lua_pcall(L, 0, 1, 0) !== 0) throw new Error(F.lua_tojsstring(L, -1));
      const r = F.lua_type(L, -1) === F.LUA_TNUMBER ? F.lua_tonumber(L, -1) : F.lua_rawlen(L, -1);
      F.lua_settop(L, 0);
      return r;
    },
    hookYields() {
      const T = F.lua_newthread(L);
      let hooks = 0;
      F.lua_sethook(
        T,
        (T2: unknown) => {
          hooks++;
          F.lua_yield(T2, 0);
        },
        F.LUA_MASKCOUNT,
        1000,
      );
      lauxlib.luaL_loadstring(
        T,
        to_luastring("local x = 0 for i = 1, 100000 do x = x + i end return x"),
      );
      let st = F.lua_resume(T, null, 0);
      let yields = 0;
      while (st === F.LUA_YIELD && yields < 1000) {
        yields++;
        st = F.lua_resume(T, null, 0);
      }
      const r = st === F.LUA_OK ? F.lua_tonumber(T, -1) : F.lua_tojsstring(T, -1);
      F.lua_pop(L, 1);
      return `yields=${yields} hooks=${hooks} status=${st} result=${r}`;
    },
    memUsed: () => 0, // fengari allocates on the JS heap; see heap deltas below
  };
}

// ---- wasmoon (raw Lua 5.4 API over WebAssembly) ----------------------------

async function wasmoonEngine(): Promise<Engine> {
  const W = await new LuaFactory().getLuaModule();
  // biome-ignore lint/suspicious/noExplicitAny: emscripten module
  const m = W.module as any;
  const L = W.luaL_newstate();
  W.luaL_openlibs(L);
  const lenPtr = m._malloc(8);
  const toBytes = (L: number, i: number): Uint8Array => {
    const p = m._lua_tolstring(L, i, lenPtr);
    const n = m.HEAPU32[lenPtr >> 2];
    return m.HEAPU8.slice(p, p + n);
  };
  let scratch = m._malloc(4096);
  let scratchLen = 4096;
  const pushBytes = (L: number, b: Uint8Array) => {
    if (b.length > scratchLen) {
      m._free(scratch);
      scratchLen = b.length;
      scratch = m._malloc(scratchLen);
    }
    m.HEAPU8.set(b, scratch);
    m._lua_pushlstring(L, scratch, b.length);
  };
  const cfn = m.addFunction((L: number) => {
    const n = m._lua_gettop(L);
    const args: Uint8Array[] = [];
    for (let i = 1; i <= n; i++) args.push(toBytes(L, i));
    m._lua_pushnumber(L, host(args));
    return 1;
  }, "ii");
  W.lua_createtable(L, 0, 1);
  m._lua_pushcclosure(L, cfn, 0);
  W.lua_setfield(L, -2, "call");
  W.lua_setglobal(L, "redis");
  const refs: number[] = [];
  const REG = -1001000; // LUA_REGISTRYINDEX in 5.4 (-LUAI_MAXSTACK - 1000)
  const pushArr = (name: string, a: Uint8Array[]) => {
    W.lua_createtable(L, a.length, 0);
    for (let i = 0; i < a.length; i++) {
      pushBytes(L, a[i]!);
      m._lua_rawseti(L, -2, BigInt(i + 1));
    }
    W.lua_setglobal(L, name);
  };
  return {
    name: "wasmoon",
    compile(src) {
      if (W.luaL_loadbufferx(L, src, enc.encode(src).length, "@user_script", null) !== 0)
        throw new Error(W.lua_tolstring(L, -1, null));
      refs.push(W.luaL_ref(L, REG));
      return refs.length - 1;
    },
    call(h, keys, argv) {
      pushArr("KEYS", keys);
      pushArr("ARGV", argv);
      m._lua_rawgeti(L, REG, BigInt(refs[h]!));
      if (m._lua_pcallk(L, 0, 1, 0, 0, 0) !== 0) throw new Error(W.lua_tolstring(L, -1, null));
      const r =
        m._lua_type(L, -1) === 3 ? m._lua_tonumberx(L, -1, 0) : Number(m._lua_rawlen(L, -1));
      m._lua_settop(L, 0);
      return r;
    },
    hookYields() {
      const T = W.lua_newthread(L);
      let hooks = 0;
      const hp = m.addFunction((T2: number, _ar: number) => {
        hooks++;
        m._lua_yieldk(T2, 0, 0, 0);
      }, "vii");
      W.lua_sethook(T, hp, 8 /* LUA_MASKCOUNT */, 1000);
      W.luaL_loadstring(T, "local x = 0 for i = 1, 100000 do x = x + i end return x");
      const nres = m._malloc(4);
      let st = m._lua_resume(T, 0, 0, nres);
      let yields = 0;
      while (st === 1 && yields < 1000) {
        yields++;
        st = m._lua_resume(T, 0, 0, nres);
      }
      const r = st === 0 ? m._lua_tonumberx(T, -1, 0) : W.lua_tolstring(T, -1, null);
      W.lua_settop(L, 0);
      return `yields=${yields} hooks=${hooks} status=${st} result=${r}`;
    },
    memUsed: () => m.HEAPU8.length,
  };
}

// ---- measurements ----------------------------------------------------------

function timeIt(n: number, f: () => void): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return (performance.now() - t) / n;
}

function heapMB(): number {
  Bun.gc(true);
  return process.memoryUsage().heapUsed / 1048576;
}

const big = bigScript();
console.log(`big script: ${big.split("\n").length} lines, ${big.length} bytes`);
const keys = [enc.encode("rate:user:1"), enc.encode("other")];
const argv = [enc.encode("60000"), enc.encode("1000000000")];
const rows: string[][] = [];
for (const make of [async () => fengariEngine(), wasmoonEngine]) {
  const h0 = heapMB();
  const t0 = performance.now();
  const e = await make();
  const startup = performance.now() - t0;
  const h1 = heapMB();
  const compileSmall = timeIt(200, () => e.compile(SMALL));
  const compileBig = timeIt(20, () => e.compile(big));
  const hs = e.compile(SMALL);
  const hb = e.compile(big);
  // sanity: both engines compute the same results
  const check = [e.call(hs, keys, argv), e.call(hb, keys, argv)];
  for (let i = 0; i < 2000; i++) e.call(hs, keys, argv); // warm-up
  const smallUs = timeIt(20000, () => e.call(hs, keys, argv)) * 1000;
  for (let i = 0; i < 50; i++) e.call(hb, keys, argv);
  const bigUs = timeIt(300, () => e.call(hb, keys, argv)) * 1000;
  const h2 = heapMB();
  const rep = e.hookYields();
  rows.push([
    e.name,
    startup.toFixed(1),
    (compileSmall * 1000).toFixed(0),
    compileBig.toFixed(2),
    smallUs.toFixed(2),
    (1e6 / smallUs).toFixed(0),
    bigUs.toFixed(0),
    `${(h1 - h0).toFixed(1)} / ${(h2 - h0).toFixed(1)}`,
    `${(e.memUsed() / 1048576).toFixed(1)}`,
    rep,
    JSON.stringify(check),
  ]);
}
console.log(
  "| engine | start-up ms | compile small µs | compile big ms | small call µs | small calls/s | big call µs | JS heap MB after init / after runs | wasm memory MB | count hook yield | check |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
