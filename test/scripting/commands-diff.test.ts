// Scripting commands against a real redis-server 7.0, reply by reply (raw bytes): EVAL/EVALSHA/
// _RO, SCRIPT, FUNCTION, FCALL/_RO; redis.call/pcall of real commands (strings, keys, sorted
// sets) with their conversions both ways, error paths (unknown, arity, noscript, read-only,
// shebang flags), SELECT inside a script, RESP3 via redis.setresp, RESP2 and RESP3 callers.
import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import type { Arg } from "../helpers/resp.ts";
import { RespConn, showBytes } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("scripting commands differential");

const servers = serverPair({ skip });

const E = (script: string, keys: string[] = [], args: Arg[] = []): Arg[] => [
  "EVAL",
  script,
  keys.length,
  ...keys,
  ...args,
];

const LIB = `#!lua name=lib1
local function incrby(keys, args) return redis.call('INCRBY', keys[1], args[1]) end
redis.register_function('lib1_incr', incrby)
redis.register_function{function_name='lib1_get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='read it'}
redis.register_function{function_name='lib1_wr', callback=function(keys) return redis.call('SET', keys[1], 'w') end, flags={'allow-oom'}}`;

const LIB_ONE =
  "#!lua name=one\nredis.register_function{function_name='one_f', callback=function() return 1 end, flags={'no-writes', 'allow-stale'}, description='d'}";

const CORPUS: Arg[][] = [
  // conversions of real command replies
  E("return redis.call('SET', KEYS[1], ARGV[1])", ["s"], ["hello"]),
  E("return redis.call('GET', KEYS[1])", ["s"]),
  E("return redis.call('GET', 'missing')"),
  E("return {redis.call('GET', 'missing')}"),
  E("return type(redis.call('GET', 'missing'))"),
  E("return redis.call('INCR', 'n')"),
  E("return redis.call('INCRBYFLOAT', 'f', '1.5')"),
  E("return redis.call('SET', 'big', '9223372036854775806') .ok .. redis.call('INCR', 'big')"),
  E("return redis.call('INCR', 'big')"),
  E("return redis.call('MGET', 's', 'missing', 'n')"),
  E("return redis.call('APPEND', 's', ' world')"),
  E("return redis.call('GETRANGE', 's', 0, 4)"),
  E("return redis.call('STRLEN', 's')"),
  E("return redis.call('SETEX', 'ttl', 100, 'v')"),
  E("return redis.call('TTL', 'ttl')"),
  E("return redis.call('PEXPIRE', 'ttl', 50000)"),
  E("return redis.call('TYPE', 's')"),
  E("return redis.call('EXISTS', 's', 'n', 'nope')"),
  E("return redis.call('DEL', 'nope', 'ttl')"),
  E("return redis.call('KEYS', 's*')"),
  E("return redis.call('RENAME', 's', 's2')"),
  E("return redis.pcall('RENAME', 'nope', 's3')"),
  E("return redis.call('RENAME', 'nope', 's3')"),
  E("return redis.call('INCR', 's2')"),
  E("local r = redis.pcall('INCR', 's2') return {type(r), r.err}"),
  E("return redis.call('ZADD', 'z', 1, 'a', 2.5, 'b', 3, 'c')"),
  E("return redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')"),
  E("return redis.call('ZSCORE', 'z', 'b')"),
  E("return redis.call('ZINCRBY', 'z', 0.1, 'a')"),
  E("return redis.call('ZRANK', 'z', 'c')"),
  E("return redis.call('ZPOPMIN', 'z')"),
  E("return redis.call('ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', 0, 1)"),
  E("return redis.call('ZADD', 'z', 'XX', 'GT', 'CH', 5, 'c')"),
  E("return redis.call('ZCARD', 'z')"),
  E("return redis.call('ZMSCORE', 'z', 'c', 'zz')"),
  E("return redis.call('GET', 'z')"),
  E("return redis.pcall('GET', 'z')"),
  // RESP3 inside the script
  E("redis.setresp(3) return redis.call('ZSCORE', 'z', 'c')"),
  E(
    "redis.setresp(3) local d = redis.call('ZSCORE', 'z', 'c') return type(d) .. ':' .. tostring(d.double)",
  ),
  E("redis.setresp(3) return redis.call('ZRANGE', 'z', 0, -1, 'WITHSCORES')"),
  E("redis.setresp(3) return redis.call('GET', 'missing') == nil"),
  E("redis.setresp(3) return {redis.call('ZMSCORE', 'z', 'c', 'zz')}"),
  E("redis.setresp(3) return redis.call('CONFIG', 'GET', 'maxmemory')"),
  E("redis.setresp(3) return true"),
  E("redis.setresp(3) return false"),
  E("redis.setresp(3) return {map={a=1}}"),
  E("redis.setresp(3) return {set={x=true}}"),
  E("return {double=3.25}"),
  E("return {big_number='123456789012345678901234567890'}"),
  E("redis.setresp(2) return redis.call('ZSCORE', 'z', 'c')"),
  E("return redis.setresp(4)"),
  // conversions of the script's result
  E("return {1, 2.9, 'x', false, true, {ok='fine'}, {err='bad'}}"),
  E("return {err='MYERR custom'}"),
  E("return redis.status_reply('DONE')"),
  E("return redis.error_reply('boom')"),
  E("return 3.99"),
  E("return nil"),
  E("return {}"),
  // error paths
  E("return redis.call('NOSUCH')"),
  E("return redis.call('GET')"),
  E("return redis.call('SET', 'a')"),
  E("return redis.call('EVAL', 'return 1', 0)"),
  E("return redis.call('SHUTDOWN')"),
  E("return redis.call('CLIENT', 'NOSUCH')"),
  E("return redis.pcall('NOSUCH')"),
  E("return redis.call('PING', {})"),
  E("return redis.call()"),
  E("error('plain')"),
  E("error({err='TABLED x'})"),
  E("local x = nil + 1"),
  E("return KEYS[1] .. ARGV[1] .. #ARGV", ["k"], ["a", "b"]),
  ["EVAL", "return 1"],
  ["EVAL", "return 1", "x"],
  ["EVAL", "return 1", "2", "k"],
  ["EVAL", "return 1", "-1"],
  ["EVAL", "return +"],
  ["EVAL", "return +", 0],
  ["EVAL", "#!lua flags=bogus\nreturn 1", 0],
  ["EVAL", "#!luax\nreturn 1", 0],
  ["EVAL", "#!lua name=x\nreturn 1", 0],
  // read-only
  ["EVAL_RO", "return redis.call('GET', KEYS[1])", 1, "n"],
  ["EVAL_RO", "return redis.call('SET', KEYS[1], 'x')", 1, "n"],
  ["EVAL_RO", "return redis.call('PEXPIRE', KEYS[1], 1000)", 1, "n"],
  ["EVAL_RO", "#!lua\nreturn 1", 0],
  ["EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('GET', 'n')", 0],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('INCR', 'n')", 0],
  ["EVAL", "#!lua flags=no-writes,allow-oom\nreturn redis.pcall('DEL', 'n')", 0],
  ["EVAL", "#!lua\nreturn redis.call('INCR', 'n')", 0],
  // SELECT inside a script changes only the script's db
  E("redis.call('SELECT', 3) redis.call('SET', 'in3', 'x') return redis.call('DBSIZE')"),
  ["EXISTS", "in3"],
  ["SELECT", "3"],
  ["GET", "in3"],
  E("return redis.call('GET', 'in3')"),
  ["SELECT", "0"],
  // the script cache
  ["SCRIPT", "LOAD", "return 'cached'"],
  ["EVALSHA", "c3e35c2e4e02fe9e5df9ae92b8cae87ac1c4ff01", 0],
  ["EVALSHA", "C3E35C2E4E02FE9E5DF9AE92B8CAE87AC1C4FF01", 0],
  ["EVALSHA_RO", "c3e35c2e4e02fe9e5df9ae92b8cae87ac1c4ff01", 0],
  ["EVALSHA", "0000000000000000000000000000000000000000", 0],
  ["EVALSHA", "abc", 0],
  [
    "SCRIPT",
    "EXISTS",
    "c3e35c2e4e02fe9e5df9ae92b8cae87ac1c4ff01",
    "nope",
    "0000000000000000000000000000000000000000",
  ],
  ["SCRIPT", "LOAD", "return +"],
  ["SCRIPT", "FLUSH", "BOGUS"],
  ["SCRIPT", "FLUSH", "ASYNC"],
  ["EVALSHA", "c3e35c2e4e02fe9e5df9ae92b8cae87ac1c4ff01", 0],
  ["SCRIPT", "FLUSH"],
  ["SCRIPT", "KILL"],
  ["SCRIPT", "NOSUCH"],
  ["SCRIPT", "HELP"],
  ["SCRIPT"],
  // functions
  ["FUNCTION", "LOAD", LIB],
  ["FUNCTION", "LOAD", LIB],
  ["FUNCTION", "LOAD", "REPLACE", LIB],
  ["FUNCTION", "LOAD", "BOGUS", LIB],
  ["FUNCTION", "LOAD", "REPLACE"],
  ["FUNCTION", "LOAD", "return 1"],
  ["FUNCTION", "LOAD", "#!lua name=bad\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=bad\nredis.register_function('lib1_incr', function() end)"],
  ["FUNCTION", "LOAD", "#!lua name=bad-name\nredis.register_function('x', function() end)"],
  ["FUNCTION", "LOAD", "#!lua name=bad3\nredis.register_function('x y', function() end)"],
  ["FCALL", "lib1_incr", 1, "fn", 5],
  ["FCALL", "lib1_incr", 1, "fn", "x"],
  ["FCALL", "lib1_get", 1, "fn"],
  ["FCALL_RO", "lib1_get", 1, "fn"],
  ["FCALL_RO", "lib1_incr", 1, "fn", 1],
  ["FCALL_RO", "lib1_wr", 1, "fn"],
  ["FCALL", "lib1_wr", 1, "fn"],
  ["FCALL", "nosuch", 0],
  ["FCALL", "lib1_get", "x"],
  ["FCALL", "lib1_get", 3, "a"],
  ["FCALL", "lib1_get", -1],
  // (Redis lists a library's functions in its dict's order, seeded per process: one each)
  ["FUNCTION", "LOAD", LIB_ONE],
  ["FUNCTION", "DELETE", "lib1"],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "LIST", "WITHCODE"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "LIB*"],
  ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "one"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "DELETE", "one"],
  ["FUNCTION", "LOAD", LIB],
  ["FUNCTION", "LIST", "LIBRARYNAME", "zzz"],
  ["FUNCTION", "LIST", "LIBRARYNAME"],
  ["FUNCTION", "LIST", "BOGUS"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "DUMP"],
  ["FUNCTION", "RESTORE", "garbage"],
  ["FUNCTION", "DELETE", "nolib"],
  ["FUNCTION", "FLUSH", "BOGUS"],
  ["FUNCTION", "KILL"],
  ["FUNCTION", "HELP"],
  ["FUNCTION", "DELETE", "lib1"],
  ["FCALL", "lib1_get", 1, "fn"],
  ["FUNCTION", "DUMP"],
  ["FUNCTION", "LOAD", LIB],
  ["FUNCTION", "FLUSH", "SYNC"],
  ["FUNCTION", "LIST"],
  // out of memory (maxmemory 1, noeviction): denyoom commands refused until the first write
  ["FUNCTION", "LOAD", LIB],
  ["CONFIG", "SET", "maxmemory", "1"],
  E("return redis.call('SET', 'oom', 'x')"),
  E("return redis.pcall('GET', 'n')"),
  E("redis.call('DEL', 'n') return redis.pcall('SET', 'oom', 'x')"),
  ["EVAL", "#!lua\nreturn 1", 0],
  ["EVAL", "#!lua flags=allow-oom\nreturn redis.call('SET', 'oom', 'y')", 0],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('GET', 'oom')", 0],
  ["FCALL", "lib1_incr", 1, "fn", 1],
  ["FCALL", "lib1_get", 1, "fn"],
  ["FCALL", "lib1_wr", 1, "fn"],
  ["CONFIG", "SET", "maxmemory", "0"],
  ["FUNCTION", "FLUSH"],
];

async function replay(port: number, resp3: boolean): Promise<string[]> {
  const c = await RespConn.open(port);
  try {
    await c.raws([["FLUSHALL"], ["SCRIPT", "FLUSH"], ["FUNCTION", "FLUSH"]]);
    if (resp3) await c.raw("HELLO", "3");
    const out: string[] = [];
    for (const cmd of CORPUS) out.push(showBytes((await c.raws([cmd]))[0]!));
    return out;
  } finally {
    c.close();
  }
}

for (const resp3 of [false, true]) {
  test.skipIf(skip)(
    `${CORPUS.length} scripting commands, ${resp3 ? "RESP3" : "RESP2"} caller`,
    async () => {
      const ours = await replay(servers.imds.port, resp3);
      const theirs = await replay(servers.redis.port, resp3);
      const diffs: string[] = [];
      for (let i = 0; i < CORPUS.length; i++) {
        if (ours[i] !== theirs[i])
          diffs.push(`${JSON.stringify(CORPUS[i])}\n  imds:  ${ours[i]}\n  redis: ${theirs[i]}`);
      }
      expect(diffs).toEqual([]);
    },
  );
}

test.skipIf(skip)(
  "FUNCTION DUMP payloads move both ways and restore with each policy",
  async () => {
    const a = await RespConn.open(servers.imds.port);
    const b = await RespConn.open(servers.redis.port);
    for (const c of [a, b])
      await c.raws([
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "LOAD", LIB],
      ]);
    const [fromImds] = await a.pipeline([["FUNCTION", "DUMP"]]);
    const [fromRedis] = await b.pipeline([["FUNCTION", "DUMP"]]);
    expect(showBytes(fromImds!.bytes)).toBe(showBytes(fromRedis!.bytes)); // same LZF, same CRC
    const payload = (r: { bytes: Uint8Array }) => {
      const s = new TextDecoder("latin1").decode(r.bytes);
      const nl = s.indexOf("\r\n");
      return r.bytes.slice(nl + 2, r.bytes.length - 2);
    };
    const p = payload(fromImds!);
    const outs: string[][] = [];
    for (const c of [a, b]) {
      const out = await c.raws([
        ["FUNCTION", "RESTORE", p],
        ["FUNCTION", "RESTORE", p, "REPLACE"],
        ["FUNCTION", "RESTORE", p, "FLUSH"],
        ["FUNCTION", "RESTORE", p, "BOGUS"],
        ["FUNCTION", "RESTORE", p.subarray(0, p.length - 1)],
        ["FUNCTION", "FLUSH"],
        ["FUNCTION", "RESTORE", payload(fromRedis!)],
        ["FCALL", "lib1_incr", 1, "rk", 2],
      ]);
      outs.push(out.map(showBytes));
    }
    expect(outs[0]).toEqual(outs[1]!);
    expect(outs[0]!.slice(5)).toEqual(["+OK\r\n", "+OK\r\n", ":2\r\n"].map(showBytes));
    a.close();
    b.close();
  },
);
