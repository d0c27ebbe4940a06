// Differential corpus: each script runs on a real redis-server 7.0 (EVAL over RESP) and on the
// scripting core with MapHost (which mimics SET/GET/INCR/DEL/EXISTS/PING exactly); the replies
// must be equal. Scripts are pure Lua or use only those commands, so both sides see the same data.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ScriptEngine } from "../../src/scripting/engine.ts";
import { RespConn, RespError, type RespValue } from "../helpers/resp.ts";
import { type Running, redisMissing, startRedis } from "../helpers/servers.ts";
import { MapHost, plain } from "./host.ts";

const CORPUS: [string, string[], string[]][] = [
  ["return 1", [], []],
  ["return 3.99", [], []],
  ["return -3.99", [], []],
  ["return {1,2,3.7,'x',nil,5}", [], []],
  ["return {1,{true,false},{ok='fine'}}", [], []],
  ["return {err='boo'}", [], []],
  ["return {ok='A', err='B'}", [], []],
  ["return {1, 2, {err='nested'}}", [], []],
  ["return tostring(10/2)..' '..tostring(2^53)..' '..tostring(1e15)..' '..tostring(0.1)", [], []],
  ["return string.format('%d %s %5.2f %x', 3.7, 10/2, 1, 255)", [], []],
  ["return string.format('%d', 3e15)", [], []],
  ["return table.concat({1, 2.5, 10/2}, ',')", [], []],
  ["return tostring(1/0)..tostring(-1/0)", [], []],
  ["return {math.floor(3.7), 7 % 3, -7 % 3, 2^0.5}", [], []],
  ["return #KEYS..':'..#ARGV..':'..KEYS[1]..ARGV[2]", ["k1", "k2"], ["a1", "a2"]],
  ["error('x')", [], []],
  ["error('x', 0)", [], []],
  ["error(123)", [], []],
  ["error({err='MY custom'})", [], []],
  ["return nil + 1", [], []],
  ["x = 1", [], []],
  ["return y", [], []],
  ["string.foo = 1 return 1", [], []],
  ["return redis.call('nosuch')", [], []],
  ["return redis.call('incr','a','b')", [], []],
  ["return redis.call()", [], []],
  ["return redis.call({})", [], []],
  ["return redis.call('set', {}, 'x')", [], []],
  ["redis.call('set','s','v') return redis.call('incr','s')", [], []],
  ["redis.call('set','s','v') local ok, e = pcall(redis.call,'incr','s') return e", [], []],
  ["local t = redis.pcall('nosuch') return type(t)..':'..t.err", [], []],
  ["return redis.pcall('incr','a','b')['err']", [], []],
  ["local ok, e = pcall(error, {err='X y'}) return e", [], []],
  ["local ok, e = pcall(function() local x = nil + 1 end) return e", [], []],
  ["redis.call('set','f',0.1) return redis.call('get','f')", [], []],
  ["redis.call('set','f',10/2) return redis.call('get','f')", [], []],
  [
    "redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', KEYS[1]) return {redis.call('get', KEYS[1]), redis.call('exists', KEYS[1], 'zz'), redis.call('del', KEYS[1]), redis.call('get', KEYS[1])}",
    ["ctr"],
    ["41"],
  ],
  ["return redis.call('ping')", [], []],
  ["return redis.call('ping', 1.5)", [], []],
  ["return redis.error_reply('x')", [], []],
  ["return redis.error_reply('MY x')", [], []],
  ["return redis.error_reply('-MY x')", [], []],
  ["return redis.status_reply('FINE')", [], []],
  ["return redis.sha1hex('abc')", [], []],
  ["return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}", [], []],
  [
    "return redis.REPL_ALL..redis.REPL_AOF..redis.REPL_REPLICA..redis.REPL_SLAVE..redis.REPL_NONE",
    [],
    [],
  ],
  ["return redis.setresp(4)", [], []],
  ["return redis.replicate_commands()", [], []],
  ["return cjson.encode({1,2,{a=1}})", [], []],
  ["return cjson.encode({[1]=1,[3]=3})", [], []],
  ["return cjson.encode({})", [], []],
  ["return cjson.encode('a\"b/\\1')", [], []],
  ["return cjson.encode({a={b={c='d'}}})", [], []],
  ["return cjson.decode('{\"a\":[1,2.5,true]}').a[2]", [], []],
  ["return cjson.decode('[1,2,null,\"x\"]')[3] == cjson.null", [], []],
  ["return cmsgpack.pack({1,2,'a'})", [], []],
  ["return cmsgpack.unpack(cmsgpack.pack({1,'a',{b=2}}))", [], []],
  ["return {cmsgpack.unpack(cmsgpack.pack(-1, 300, 70000, 'x'))}", [], []],
  ["return bit.tohex(-1)..' '..bit.band(0xff,0x0f)..' '..bit.lshift(1,31)", [], []],
  ["return bit.tobit(0xffffffff + 1)..' '..bit.bswap(0x12345678)..' '..bit.rol(1, 33)", [], []],
  [
    "return {bit.arshift(-256, 4), bit.rshift(-256, 4), bit.bnot(0), bit.bxor(5, 3), bit.tohex(255, -4)}",
    [],
    [],
  ],
  ["return struct.pack('>I2', 258)", [], []],
  ["return struct.unpack('>I2', 'AB')", [], []],
  ["return {struct.unpack('<i4b', struct.pack('<i4b', -5, 7))}", [], []],
  ["return {type(unpack), type(loadstring), type(table.getn), type(gcinfo), _VERSION}", [], []],
  ["return loadstring('return 1+1')()", [], []],
  ["return {unpack({1, 2, 3})}", [], []],
  ["return table.getn({1, 2, 3})", [], []],
  [
    "math.randomseed(0) return tostring(math.random())..' '..math.random(10)..' '..math.random(5, 9)",
    [],
    [],
  ],
  ["local function f() return f() + 1 end return f()", [], []],
  ["return string.rep('ab', 3, ',')", [], []],
  [
    "local t = {} for w in string.gmatch('a b c', '%a') do t[#t+1] = w:upper() end return t",
    [],
    [],
  ],
  ["#!lua flags=no-writes\nreturn 'shebang'", [], []],
  ["#!lua\nerror('x')", [], []],
];

let redis: Running | null = null;
let conn: RespConn;
let eng: ScriptEngine;
const skip = redisMissing("the scripting differential corpus");

beforeAll(async () => {
  eng = await ScriptEngine.create();
  if (skip) return;
  redis = await startRedis();
  conn = await RespConn.open(redis.port);
});
afterAll(async () => {
  await redis?.stop();
});

/** RespConn's parsed reply in plain()'s shape. */
function fromResp(v: RespValue): unknown {
  if (v instanceof RespError) return { err: v.message };
  if (Array.isArray(v)) return v.map(fromResp);
  if (typeof v === "bigint") return String(v);
  return v;
}

const enc = new TextEncoder();
test.skipIf(skip)(
  "scripts reply as on redis-server 7.0",
  async () => {
    let compared = 0;
    for (const [src, keys, argv] of CORPUS) {
      await conn.call("FLUSHALL");
      const want = fromResp(await conn.call("EVAL", src, keys.length, ...keys, ...argv));
      let got: unknown;
      try {
        const s = eng.loadScript(enc.encode(src));
        const r = eng.evalsha(
          s.sha,
          keys.map((k) => enc.encode(k)),
          argv.map((a) => enc.encode(a)),
          new MapHost(),
        );
        got = r.done ? plain(r.reply) : "suspended";
      } catch (e) {
        got = { err: (e as Error).message };
      }
      expect({ src, reply: got }).toEqual({ src, reply: want });
      compared++;
    }
    expect(compared).toBe(CORPUS.length);
  },
  60000,
);
