import { beforeAll, describe, expect, test } from "bun:test";
import { formatG, type RunOptions, ScriptEngine, ScriptError } from "../../src/scripting/engine.ts";
import { MapHost, plain } from "./host.ts";

const enc = new TextEncoder();
let eng: ScriptEngine;
beforeAll(async () => {
  eng = await ScriptEngine.create({ memoryLimit: 64 * 1024 * 1024 });
});

function run(
  src: string,
  keys: string[] = [],
  argv: string[] = [],
  host = new MapHost(),
  opts?: RunOptions,
) {
  const s = eng.loadScript(enc.encode(src));
  const r = eng.evalsha(
    s.sha,
    keys.map((k) => enc.encode(k)),
    argv.map((k) => enc.encode(k)),
    host,
    opts,
  );
  if (!r.done) throw new Error("suspended");
  return plain(r.reply);
}

describe("conversions", () => {
  test("Lua -> reply", () => {
    expect(run("return 3.99")).toBe(3);
    expect(run("return -3.99")).toBe(-3);
    expect(run("return 1/0")).toBe("-9223372036854775808");
    expect(run("return {1,2,3.7,'x',nil,5}")).toEqual([1, 2, 3, "x"]);
    expect(run("return {1,{true,false},{ok='fine'}}")).toEqual([1, [1, null], "fine"]);
    expect(run("return {err='boo'}")).toEqual({ err: "boo" });
    expect(run("return {ok='A', err='B'}")).toEqual({ err: "B" });
    expect(run("return nil")).toBe(null);
    expect(run("return false")).toBe(null);
    expect(run("return true")).toBe(1);
    expect(run("return {double=3.5}")).toEqual({ double: 3.5 });
    expect(run("return {map={a=1}}")).toEqual([["a", 1]]);
    expect(run("return {set={x=true}}")).toEqual(["x"]);
    expect(run("return {big_number='123456789012345678901234567890'}")).toEqual({
      bignum: "123456789012345678901234567890",
    });
    expect(run("return 2^62")).toBe("4611686018427387904");
  });
  test("booleans follow the script's protocol (redis.setresp), not the client's, as 7.0", () => {
    const h = new MapHost();
    expect(run("return {true, false}", [], [], h, { clientResp: 3 })).toEqual([1, null]);
    expect(run("redis.setresp(3) return {true, false}", [], [], h, { clientResp: 2 })).toEqual([
      true,
      false,
    ]);
  });
  test("reply -> Lua, RESP2 and RESP3", () => {
    const h = new MapHost();
    h.call = (argv) => {
      const c = new TextDecoder().decode(argv[0]);
      if (c === "map")
        return {
          type: "map",
          value: [
            [
              { type: "bulk", value: enc.encode("f") },
              { type: "int", value: 7 },
            ],
          ],
        };
      if (c === "dbl") return { type: "double", value: 1.5 };
      if (c === "nul") return { type: "null" };
      if (c === "st") return { type: "status", value: "QUEUED" };
      return { type: "bool", value: true };
    };
    expect(run("local t = redis.call('map') return {#t, t[1], t[2]}", [], [], h)).toEqual([
      2,
      "f",
      7,
    ]);
    expect(run("redis.setresp(3) local t = redis.call('map') return t.map.f", [], [], h)).toBe(7);
    expect(run("redis.setresp(3) return tostring(redis.call('dbl').double)", [], [], h)).toBe(
      "1.5",
    );
    expect(run("return redis.call('dbl')", [], [], h)).toBe("1.5");
    expect(run("return type(redis.call('nul'))", [], [], h)).toBe("boolean");
    expect(run("redis.setresp(3) return type(redis.call('nul'))", [], [], h)).toBe("nil");
    expect(run("return redis.call('st').ok", [], [], h)).toBe("QUEUED");
    expect(run("redis.setresp(3) return tostring(redis.call('b'))", [], [], h)).toBe("true");
  });
  test("binary-safe KEYS, ARGV and redis.call arguments", () => {
    const h = new MapHost();
    const bin = new Uint8Array([0, 255, 13, 10, 128]);
    const s = eng.loadScript(
      enc.encode(
        "redis.call('set', KEYS[1], ARGV[1]) return {#ARGV[1], redis.call('get', KEYS[1])}",
      ),
    );
    const r = eng.evalsha(s.sha, [bin], [bin], h);
    expect(r.done && r.reply.type === "array" && r.reply.value[1]).toEqual({
      type: "bulk",
      value: bin,
    });
    expect(h.data.get(new TextDecoder().decode(bin))).toEqual(bin);
  });
  test("numbers passed to commands: integers exact, floats %.17g", () => {
    const h = new MapHost();
    run(
      "redis.call('set','a',0.1) redis.call('set','b',10/2) redis.call('set','c',2^53) redis.call('set','d',7)",
      [],
      [],
      h,
    );
    const d = new TextDecoder();
    expect(["a", "b", "c", "d"].map((k) => d.decode(h.data.get(k)))).toEqual([
      "0.10000000000000001",
      "5",
      "9007199254740992",
      "7",
    ]);
  });
  test("formatG is C's %g", () => {
    expect(formatG(0.1, 17)).toBe("0.10000000000000001");
    expect(formatG(1e15, 14)).toBe("1e+15");
    expect(formatG(2 ** 53, 14)).toBe("9.007199254741e+15");
    expect(formatG(1e-5, 14)).toBe("1e-05");
    expect(formatG(123.5, 14)).toBe("123.5");
  });
});

describe("Lua 5.1 world", () => {
  test("numbers print as 5.1", () => {
    expect(
      run("return tostring(10/2)..' '..tostring(2^53)..' '..tostring(1e15)..' '..tostring(0.1)"),
    ).toBe("5 9.007199254741e+15 1e+15 0.1");
    expect(run("return string.format('%d %s %5.2f', 3.7, 10/2, 1)")).toBe("3 5  1.00");
    expect(run("return table.concat({1, 2.5, 10/2}, ',')")).toBe("1,2.5,5");
  });
  test("5.1 names exist, removed ones do not", () => {
    expect(
      run(
        "return {type(unpack), type(loadstring), type(table.getn), type(gcinfo), type(math.pow), _VERSION}",
      ),
    ).toEqual(["function", "function", "function", "function", "function", "Lua 5.1"]);
    for (const g of ["print", "os", "io", "debug", "dofile", "loadfile", "require", "setfenv"])
      expect(run(`return ${g}`)).toEqual({
        err: expect.stringContaining(`nonexistent global variable '${g}'`),
      });
    expect(run("return loadstring('return 1+1')()")).toBe(2);
  });
  test("globals and library tables are read-only", () => {
    expect(run("x = 1")).toEqual({
      err: expect.stringMatching(
        /^ERR user_script:1: Attempt to modify a readonly table script: [0-9a-f]{40}, on @user_script:1\.$/,
      ),
    });
    expect(run("string.foo = 1")).toEqual({
      err: expect.stringContaining("Attempt to modify a readonly table"),
    });
    expect(run("redis.call = nil")).toEqual({
      err: expect.stringContaining("Attempt to modify a readonly table"),
    });
    expect(run("local x = 5 return x")).toBe(5);
  });
  test("math.random is Redis's rand48", () => {
    expect(run("math.randomseed(0) return tostring(math.random())")).toBe("0.17082803611217");
  });
});

describe("redis API", () => {
  test("log, sha1hex, versions, replication no-ops", () => {
    const h = new MapHost();
    run("redis.log(redis.LOG_WARNING, 'hi', 2) redis.log(redis.LOG_DEBUG, 'x')", [], [], h);
    expect(h.logs).toEqual([
      [3, "hi 2"],
      [0, "x"],
    ]);
    expect(run("return redis.sha1hex('')")).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(run("return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}")).toEqual([
      "7.0.15",
      0x07000f,
    ]);
    expect(
      run(
        "redis.set_repl(redis.REPL_ALL) redis.breakpoint() redis.debug('x') return redis.replicate_commands()",
      ),
    ).toBe(1);
    expect(
      run(
        "return redis.REPL_ALL..redis.REPL_AOF..redis.REPL_REPLICA..redis.REPL_SLAVE..redis.REPL_NONE",
      ),
    ).toBe("31220");
    expect(run("return redis.setresp(4)")).toEqual({
      err: expect.stringMatching(/^ERR RESP version must be 2 or 3\. script: /),
    });
  });
  test("redis.pcall returns errors as tables; pcall(redis.call) gives the text", () => {
    expect(run("local t = redis.pcall('nosuch') return type(t)..':'..t.err")).toBe(
      "table:ERR Unknown Redis command called from script",
    );
    expect(run("local ok, e = pcall(redis.call,'nosuch') return {tostring(ok), e}")).toEqual([
      "false",
      "ERR Unknown Redis command called from script",
    ]);
    expect(run("return redis.call()")).toEqual({
      err: expect.stringContaining(
        "ERR Please specify at least one argument for this redis lib call script:",
      ),
    });
    expect(run("return redis.call('set', {}, 'x')")).toEqual({
      err: expect.stringContaining(
        "ERR Lua redis lib command arguments must be strings or integers script:",
      ),
    });
  });
  test("status_reply / error_reply", () => {
    expect(run("return redis.status_reply('FINE')")).toBe("FINE");
    expect(run("return redis.error_reply('x')")).toEqual({ err: "ERR x" });
    expect(run("return redis.error_reply('-MY x')")).toEqual({ err: "MY x" });
  });
});

describe("libraries", () => {
  test("cjson", () => {
    expect(run("return cjson.encode({1,2,{a=1}})")).toBe('[1,2,{"a":1}]');
    expect(run("return cjson.encode({[1]=1,[3]=3})")).toBe("[1,null,3]");
    expect(run("return cjson.encode({})")).toBe("{}");
    expect(run(`return cjson.encode('a"b/\\1')`)).toBe('"a\\"b\\/\\u0001"');
    expect(run(`return cjson.decode('{"a":[1,2.5,true]}').a[2]`)).toBe(2);
    expect(run(`return cjson.decode('[1,2,null,"x"]')[3] == cjson.null`)).toBe(1);
    expect(run(`return cjson.decode('"\\\\u00e9"')`)).toBe("é");
    expect(run(`return cjson.decode('[1,')`)).toEqual({
      err: expect.stringContaining("Expected value but found invalid token"),
    });
  });
  test("cmsgpack round trip", () => {
    expect(run("return cmsgpack.unpack(cmsgpack.pack({1,'a',{b=2}}))")).toEqual([1, "a", []]);
    expect(
      run(
        "local t = cmsgpack.unpack(cmsgpack.pack({-1, 300, 70000, 5000000000, 1.5, 'x', true})) return {t[1], t[2], t[3], t[4], tostring(t[5]), t[6], t[7]}",
      ),
    ).toEqual([-1, 300, 70000, 5000000000, "1.5", "x", 1]);
    expect(run("return #cmsgpack.pack({1,2,'a'})")).toBe(5);
  });
  test("bit", () => {
    expect(run("return bit.tohex(-1)..' '..bit.band(0xff,0x0f)..' '..bit.lshift(1,31)")).toBe(
      "ffffffff 15 -2147483648",
    );
    expect(
      run("return bit.tobit(0xffffffff + 1)..' '..bit.bswap(0x12345678)..' '..bit.rol(1, 33)"),
    ).toBe("0 2018915346 2");
    expect(
      run(
        "return {bit.arshift(-256, 4), bit.rshift(-256, 4), bit.bnot(0), bit.bxor(5, 3), bit.ror(1, 1)}",
      ),
    ).toEqual([-16, 268435440, -1, 6, -2147483648]);
  });
  test("struct", () => {
    expect(run("return struct.unpack('>I2', 'AB')")).toBe(16706);
    expect(run("return struct.pack('>I2', 258)")).toBe("\x01\x02");
    expect(run("return struct.size('>I4I2')")).toBe(6);
  });
});

describe("errors", () => {
  test("compile errors throw ScriptError with Redis's text", () => {
    expect(() => eng.loadScript(enc.encode("return +"))).toThrow(
      new ScriptError(
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'",
      ),
    );
  });
  test("runtime errors name the script and line", () => {
    expect(run("error('x')")).toEqual({
      err: expect.stringMatching(
        /^ERR user_script:1: x script: 9851144f39f03a0d597a980c5aa79c80cb696891, on @user_script:1\.$/,
      ),
    });
    expect(run("\nerror({err='MY custom'})")).toEqual({
      err: expect.stringMatching(/^MY custom script: [0-9a-f]{40}, on @user_script:2\.$/),
    });
  });
  test("shebang flags", () => {
    expect(eng.loadScript(enc.encode("#!lua flags=no-writes,allow-oom\nreturn 1")).flags).toEqual([
      "no-writes",
      "allow-oom",
    ]);
    expect(() => eng.loadScript(enc.encode("#!lua flags=bogus\nreturn 1"))).toThrow(
      "ERR Unexpected flag in script shebang: bogus",
    );
    expect(run("#!lua\nerror('x')")).toEqual({ err: expect.stringContaining("user_script:2: x") });
  });
});

describe("execution control", () => {
  test("a long script yields after yieldAfterMs and resumes to completion", () => {
    const s = eng.loadScript(enc.encode("local x = 0 for i = 1, 3e7 do x = x + i end return x"));
    let r = eng.evalsha(s.sha, [], [], new MapHost(), { yieldAfterMs: 5, sliceMs: 5 });
    let yields = 0;
    while (!r.done && yields < 100000) {
      yields++;
      expect(eng.busy).toBe(true);
      r = eng.resume();
    }
    expect(yields).toBeGreaterThan(0);
    expect(r.done && plain(r.reply)).toBe(450000015000000);
    expect(eng.busy).toBe(false);
  });
  test("kill stops a suspended script, even one that pcalls", () => {
    const s = eng.loadScript(
      enc.encode("while true do pcall(function() for i = 1, 100 do end end) end"),
    );
    const r = eng.evalsha(s.sha, [], [], new MapHost(), { yieldAfterMs: 1, sliceMs: 1 });
    expect(r.done).toBe(false);
    expect(eng.kill()).toBe(true);
    const r2 = eng.resume();
    expect(r2.done && plain(r2.reply)).toEqual({
      err: expect.stringContaining("ERR Script killed by user with SCRIPT KILL..."),
    });
    expect(run("return 1")).toBe(1);
  });
  test("unbounded allocation and recursion are stopped, the engine carries on", async () => {
    const small = await ScriptEngine.create({ memoryLimit: 8 * 1024 * 1024, maxString: 1 << 20 });
    const s = small.loadScript(enc.encode("local t = {} for i = 1, 1e9 do t[i] = 'x' .. i end"));
    const r = small.evalsha(s.sha, [], [], new MapHost());
    expect(r.done && plain(r.reply)).toEqual({
      err: expect.stringContaining("ERR Lua script used more memory than its limit script:"),
    });
    const again = small.evalsha(
      small.loadScript(enc.encode("local t = {} for i = 1, 1000 do t[i] = i end return #t")).sha,
      [],
      [],
      new MapHost(),
    );
    expect(again.done && plain(again.reply)).toBe(1000);
    expect(run("local function f() return f() + 1 end return f()")).toEqual({
      err: expect.stringContaining("stack overflow"),
    });
    expect(run("return string.rep('x', 1e10)")).toEqual({
      err: expect.stringContaining("memory limit"),
    });
    expect(run("return 2")).toBe(2);
  }, 30000);
});

describe("functions", () => {
  test("FUNCTION LOAD, FCALL, table form with flags, errors", () => {
    const lib = `#!lua name=mylib
redis.register_function('incrby2', function(keys, args) redis.call('incr', keys[1]) return redis.call('incr', keys[1]) end)
redis.register_function{function_name='ro', callback=function(keys, args) return args[1] end, flags={'no-writes'}, description='d'}`;
    expect(eng.loadLibrary(enc.encode(lib))).toBe("mylib");
    expect(eng.getFunction("ro")).toEqual({
      name: "ro",
      library: "mylib",
      flags: ["no-writes"],
      description: "d",
    });
    const h = new MapHost();
    const r = eng.fcall("incrby2", [enc.encode("k")], [], h);
    expect(r.done && plain(r.reply)).toBe(2);
    const r2 = eng.fcall("ro", [], [enc.encode("v")], h);
    expect(r2.done && plain(r2.reply)).toBe("v");
    expect(() => eng.loadLibrary(enc.encode(lib))).toThrow("ERR Library 'mylib' already exists");
    expect(eng.loadLibrary(enc.encode(lib), true)).toBe("mylib");
    expect(() => eng.loadLibrary(enc.encode("return 1"))).toThrow("ERR Missing library metadata");
    expect(() => eng.loadLibrary(enc.encode("#!lua name=x\nreturn 1"))).toThrow(
      "ERR No functions registered",
    );
    expect(() =>
      eng.loadLibrary(enc.encode("#!lua name=y\nredis.register_function('a-b', function() end)")),
    ).toThrow("Library names can only contain");
    const e = eng.fcall("nope", [], [], h);
    expect(e.done && plain(e.reply)).toEqual({ err: "ERR Function not found" });
    expect(run("return redis.register_function('f', function() end)")).toEqual({
      err: expect.stringContaining("FUNCTION LOAD"),
    });
    expect(eng.deleteLibrary("mylib")).toBe(true);
    expect(eng.getFunction("ro")).toBeUndefined();
  });
});
