// The execution model on real sockets, side by side with redis-server 7.0 (same scenario, same
// replies): a script is atomic for other clients; past busy-reply-threshold other clients get
// -BUSY while the caller's own next request waits; SCRIPT KILL / FUNCTION KILL (NOTBUSY,
// UNKILLABLE, the wrong-kind BUSY texts); FUNCTION STATS during a run; SHUTDOWN NOSAVE ends a
// busy server. Every wait is bounded.
import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { RespConn } from "../helpers/resp.ts";
import { redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const THRESHOLD = ["--busy-reply-threshold", "200"];
const skip = redisMissing("scripting BUSY/KILL differential");

const servers = serverPair({ skip, imdsFlags: THRESHOLD, redisFlags: THRESHOLD });

/** Run `scenario` on both servers; the replies it collects must be equal. */
async function both(scenario: (port: number) => Promise<string[]>): Promise<string[]> {
  const ours = await scenario(servers.imds.port);
  const theirs = await scenario(servers.redis.port);
  expect(ours).toEqual(theirs);
  return ours;
}

const SPIN = "local i = 0 while true do i = i + 1 end";

test.skipIf(skip)("a script is atomic: another client sees none or all of its writes", async () => {
  const out = await both(async (port) => {
    const a = await RespConn.open(port);
    const b = await RespConn.open(port);
    await a.call("DEL", "atom");
    const script =
      "for i = 1, 20000 do redis.call('INCR', KEYS[1]) end return redis.call('GET', KEYS[1])";
    const pa = a.raws([["EVAL", script, "1", "atom"]], 10000);
    const seen: string[] = [];
    for (let k = 0; k < 20; k++) {
      const [v] = await b.raws([["GET", "atom"]]);
      seen.push(v!);
      if (v === "$5\r\n20000\r\n") break;
      expect(k).toBeLessThan(19);
      await Bun.sleep(1);
    }
    const [done] = await pa;
    a.close();
    b.close();
    // Before, after, or BUSY if the loaded machine made it outlast the threshold: never half.
    const busy =
      "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
    for (const v of seen) expect(["$-1\r\n", "$5\r\n20000\r\n", busy]).toContain(v);
    return [done!];
  });
  expect(out).toEqual(["$5\r\n20000\r\n"]);
});

test.skipIf(skip)("BUSY for others, caller's next request held, SCRIPT KILL ends it", async () => {
  await both(async (port) => {
    const a = await RespConn.open(port);
    const b = await RespConn.open(port);
    const out: string[] = [];
    out.push(await b.raw("SCRIPT", "KILL")); // NOTBUSY
    const pa = a.raws(
      [
        ["EVAL", SPIN, "0"],
        ["PING", "after"],
      ],
      10000,
    );
    await Bun.sleep(400);
    out.push(...(await b.raws([["PING"], ["GET", "x"], ["FUNCTION", "KILL"], ["SHUTDOWN"]])));
    out.push(...(await b.raws([["FUNCTION", "STATS"]])));
    out.push(await b.raw("SCRIPT", "KILL"));
    out.push(...(await pa));
    out.push(await b.raw("PING")); // served again
    a.close();
    b.close();
    return out;
  });
});

test.skipIf(skip)("FUNCTION KILL and FUNCTION STATS during a busy function", async () => {
  const out = await both(async (port) => {
    const a = await RespConn.open(port);
    const b = await RespConn.open(port);
    const lib = `#!lua name=busylib\nredis.register_function{function_name='spin', callback=function(keys, args) ${SPIN} end, flags={'no-writes'}}`;
    await a.call("FUNCTION", "LOAD", "REPLACE", lib);
    const pa = a.raws([["FCALL", "spin", "0", "extra"]], 10000);
    await Bun.sleep(400);
    const out = await b.raws([["PING"], ["SCRIPT", "KILL"]]);
    const stats = (await b.values([["FUNCTION", "STATS"]]))[0] as unknown[];
    const running = stats[1] as unknown[];
    expect(running[0]).toBe("name");
    expect(running[1]).toBe("spin");
    expect(running[3]).toEqual(["FCALL", "spin", "0", "extra"]);
    expect(running[5] as number).toBeGreaterThanOrEqual(200);
    out.push(await b.raw("FUNCTION", "KILL"));
    out.push(...(await pa));
    out.push(await a.raw("FUNCTION", "DELETE", "busylib"));
    a.close();
    b.close();
    return out;
  });
  expect(out[2]).toBe("+OK\r\n");
});

test.skipIf(skip)(
  "UNKILLABLE once the script wrote; SHUTDOWN NOSAVE stops the server",
  async () => {
    const own = [await startImds(THRESHOLD), await startRedis(THRESHOLD)];
    const outs: string[][] = [];
    for (const s of own) {
      const a = await RespConn.open(s.port);
      const b = await RespConn.open(s.port);
      const pa = a
        .raws([["EVAL", `redis.call('SET', 'w', '1') ${SPIN}`, "0"]], 10000)
        .catch(() => ["closed"]);
      await Bun.sleep(400);
      const out = await b.raws([["SCRIPT", "KILL"], ["SHUTDOWN"]]);
      await b.conn.send(new TextEncoder().encode("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n"));
      const code = await Promise.race([s.proc.exited, Bun.sleep(5000).then(() => "still running")]);
      out.push(`exit ${code}`);
      await pa;
      a.close();
      b.close();
      outs.push(out);
    }
    expect(outs[0]).toEqual(outs[1]!);
    expect(outs[0]![0]).toStartWith("-UNKILLABLE Sorry the script already executed write commands");
    expect(outs[0]![2]).toBe("exit 0");
  },
);

test.skipIf(skip)(
  "a script's clock stands still: a key expiring during a busy run stays",
  async () => {
    const out = await both(async (port) => {
      const a = await RespConn.open(port);
      const script = `redis.call('SET', KEYS[1], 'v', 'PX', 300)
local s = redis.call('TIME')
repeat local n = redis.call('TIME') until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 700000
return {redis.call('EXISTS', KEYS[1]), redis.call('GET', KEYS[1])}`;
      const r = await a.raws([["EVAL", script, "1", "clockkey"]], 10000);
      r.push(...(await a.raws([["EXISTS", "clockkey"]]))); // afterwards the clock moves on
      a.close();
      return r;
    });
    expect(out).toEqual(["*2\r\n:1\r\n$1\r\nv\r\n", ":0\r\n"]);
  },
);
