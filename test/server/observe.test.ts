// SLOWLOG, LATENCY, MONITOR, CLIENT LIST/INFO, INFO field names and MEMORY, each compared with a
// real redis-server 7.0 fed the same commands (durations, timestamps and addresses normalised).

import { describe, expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import type { RawConn } from "../helpers/raw.ts";
import { type Arg, RespConn, type RespValue } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("the observability comparison (test/server/observe.test.ts)");

const servers = serverPair({ skip, redisFlags: ["--enable-debug-command", "yes"] });

/** A fresh connection to each server. */
async function pair(): Promise<[RespConn, RespConn]> {
  return Promise.all([RespConn.open(servers.redis.port), RespConn.open(servers.imds.port)]);
}

/** The same commands on both; their parsed replies [redis, imds]. */
async function both(conns: [RespConn, RespConn], cmds: Arg[][]): Promise<RespValue[][]> {
  return Promise.all(conns.map((c) => c.values(cmds)));
}

function text(v: RespValue): string {
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && "verbatim" in v) return v.verbatim;
  throw new Error(`not text: ${String(v)}`);
}

/** A slowlog entry without its id, time and duration (which differ by nature). */
function entryShape(e: RespValue, addrs: Map<string, string>): RespValue {
  const [id, time, dur, argv, addr, name] = e as RespValue[];
  expect(typeof id).toBe("number");
  expect(Math.abs((time as number) - Date.now() / 1000)).toBeLessThan(60);
  expect(dur as number).toBeGreaterThanOrEqual(0);
  return [argv!, addrs.get(addr as string) ?? `unknown ${addr}`, name!];
}

async function addrOf(c: RespConn): Promise<string> {
  const info = text(await c.call("CLIENT", "INFO"));
  return /addr=(\S+)/.exec(info)![1]!;
}

describe.skipIf(skip)("SLOWLOG vs redis-server", () => {
  test("threshold 0 logs every command; entries, truncation and redaction as Redis's", async () => {
    const conns = await pair();
    const addrs = new Map<string, string>();
    for (const c of conns) addrs.set(await addrOf(c), "self");
    const many: Arg[] = ["DEL"];
    for (let i = 0; i < 40; i++) many.push(`key:${i}`);
    const exactly32: Arg[] = ["DEL"];
    for (let i = 0; i < 31; i++) exactly32.push(`k${i}`);
    const long = "x".repeat(200);
    const stream: Arg[][] = [
      ["CONFIG", "SET", "slowlog-log-slower-than", "0"],
      ["SLOWLOG", "RESET"],
      ["CLIENT", "SETNAME", "watcher"],
      ["SET", "k", "v"],
      ["get", "k"],
      many,
      exactly32,
      ["SET", long, "y".repeat(129)],
      ["SET", "edge", "z".repeat(128)],
      ["AUTH", "secret"],
      ["AUTH", "user", "secret"],
      ["HELLO", "2", "AUTH", "default", "pw"],
      ["ZADD", "z", "1", "a"],
      ["SLOWLOG", "LEN"],
      ["SLOWLOG", "GET", "-1"],
      ["SLOWLOG", "GET", "2"],
      ["SLOWLOG", "GET"],
      ["SLOWLOG", "GET", "-2"],
      ["SLOWLOG", "GET", "x"],
      ["SLOWLOG", "HELP"],
      ["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
    ];
    const [r, i] = await both(conns, stream);
    const at = (name: string) => stream.findIndex((s) => s.join(" ") === name);
    expect(i![at("SLOWLOG LEN")]).toEqual(r![at("SLOWLOG LEN")]!);
    for (const q of ["SLOWLOG GET -1", "SLOWLOG GET 2", "SLOWLOG GET"]) {
      const theirs = (r![at(q)] as RespValue[]).map((e) => entryShape(e, addrs));
      const ours = (i![at(q)] as RespValue[]).map((e) => entryShape(e, addrs));
      expect(ours).toEqual(theirs);
    }
    // Newest first, ids counting down by one.
    const ids = (i![at("SLOWLOG GET -1")] as RespValue[][]).map((e) => e[0] as number);
    for (let k = 1; k < ids.length; k++) expect(ids[k]).toBe(ids[k - 1]! - 1);
    for (const q of ["SLOWLOG GET -2", "SLOWLOG GET x", "SLOWLOG HELP"]) {
      expect(i![at(q)]).toEqual(r![at(q)]!);
    }
    for (const c of conns) c.close();
  });

  test("DEBUG SLEEP 0.02 is logged with its duration at the default threshold", async () => {
    const conns = await pair();
    const [r, i] = await both(conns, [
      ["SLOWLOG", "RESET"],
      ["DEBUG", "SLEEP", "0.02"],
      ["GET", "k"],
      ["SLOWLOG", "GET"],
    ]);
    for (const out of [r!, i!]) {
      const entries = out[3] as RespValue[][];
      // GET (fast, far under 10 ms) is not logged; the sleep is, with >= 20 ms.
      expect(entries.length).toBe(1);
      expect(entries[0]![3]).toEqual(["DEBUG", "SLEEP", "0.02"]);
      expect(entries[0]![2] as number).toBeGreaterThanOrEqual(20000);
      expect(entries[0]![2] as number).toBeLessThan(2_000_000);
    }
    for (const c of conns) c.close();
  });

  test("slowlog-max-len bounds the log; a negative threshold turns it off", async () => {
    const conns = await pair();
    const [r, i] = await both(conns, [
      ["CONFIG", "SET", "slowlog-log-slower-than", "0"],
      ["CONFIG", "SET", "slowlog-max-len", "3"],
      ["SLOWLOG", "RESET"],
      ["PING"],
      ["PING"],
      ["PING"],
      ["PING"],
      ["PING"],
      ["SLOWLOG", "LEN"],
      ["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
      ["SLOWLOG", "RESET"],
      ["PING"],
      ["SLOWLOG", "LEN"],
      ["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
      ["CONFIG", "SET", "slowlog-max-len", "128"],
    ]);
    expect(i![8]).toBe(3);
    expect(i![12]).toBe(0);
    expect(i).toEqual(r!);
    for (const c of conns) c.close();
  });
});

describe.skipIf(skip)("LATENCY vs redis-server", () => {
  test("LATEST, HISTORY, GRAPH, RESET after DEBUG SLEEP with a threshold", async () => {
    const conns = await pair();
    const [r, i] = await both(conns, [
      ["CONFIG", "SET", "latency-monitor-threshold", "10"],
      ["LATENCY", "RESET"],
      ["DEBUG", "SLEEP", "0.05"],
      ["LATENCY", "LATEST"],
      ["LATENCY", "HISTORY", "command"],
      ["LATENCY", "GRAPH", "command"],
      ["LATENCY", "GRAPH", "nothing"],
      ["LATENCY", "HISTORY", "nothing"],
      ["LATENCY", "HELP"],
      ["LATENCY", "RESET", "command", "nothing"],
      ["LATENCY", "HISTORY", "command"],
      ["CONFIG", "SET", "latency-monitor-threshold", "0"],
      ["LATENCY", "RESET"],
    ]);
    for (const out of [r!, i!]) {
      const latest = out[3] as RespValue[][];
      const cmd = latest.find((e) => e[0] === "command")!;
      expect(Math.abs((cmd[1] as number) - Date.now() / 1000)).toBeLessThan(60);
      expect(cmd[2] as number).toBeGreaterThanOrEqual(50);
      expect(cmd[3]).toBe(cmd[2]!);
      const hist = out[4] as RespValue[][];
      expect(hist.length).toBe(1);
      expect(hist[0]![1]).toBe(cmd[2]!);
      const graph = text(out[5]!).split("\n");
      expect(graph[0]).toBe(
        `command - high ${cmd[2]} ms, low ${cmd[2]} ms (all time high ${cmd[2]} ms)`,
      );
      expect(graph[1]).toBe("-".repeat(80));
      expect(out[10]).toEqual([]);
    }
    // imds also records the stall on its own event (docs/COMMANDS.md).
    const loop = (i![3] as RespValue[][]).find((e) => e[0] === "imds-event-loop");
    if (loop !== undefined) expect(loop[2] as number).toBeGreaterThanOrEqual(10);
    // The graph of one sample (its ms figures aside: each server slept its own ~50 ms), the
    // errors, HELP and RESET's count are Redis's.
    const noMs = (v: RespValue) => text(v).replace(/\d+ ms/g, "N ms");
    expect(noMs(i![5]!)).toEqual(noMs(r![5]!));
    for (const k of [6, 7, 8, 9]) expect(i![k]).toEqual(r![k]!);
    for (const c of conns) c.close();
  });

  test("LATENCY HISTOGRAM and INFO latencystats", async () => {
    const conns = await pair();
    const cmds: Arg[][] = [["CONFIG", "RESETSTAT"]];
    for (let k = 0; k < 50; k++) cmds.push(["SET", `h${k}`, "v"], ["GET", `h${k}`]);
    cmds.push(
      ["CONFIG", "GET", "maxmemory"],
      ["LATENCY", "HISTOGRAM", "set", "get", "config", "nosuch"],
      ["INFO", "latencystats"],
    );
    const [r, i] = await both(conns, cmds);
    const n = cmds.length;
    const shape = (v: RespValue) => {
      const flat = v as RespValue[];
      const out: Record<string, number> = {};
      for (let k = 0; k < flat.length; k += 2) {
        const [, calls, , buckets] = flat[k + 1] as RespValue[];
        const b = buckets as number[];
        // Labels are Redis's powers of two of 1024 ns, counts cumulative, ending at calls.
        for (let j = 0; j < b.length; j += 2) {
          expect(REDIS_LABELS).toContain(b[j]!);
          if (j > 0) expect(b[j + 1]!).toBeGreaterThan(b[j - 1]!);
        }
        expect(b[b.length - 1]).toBe(calls as number);
        out[flat[k] as string] = calls as number;
      }
      return out;
    };
    expect(shape(i![n - 2]!)).toEqual(shape(r![n - 2]!));
    const lines = (v: RespValue) =>
      text(v)
        .split("\r\n")
        .filter((l) => l.startsWith("latency_percentiles_usec_"))
        .map((l) => {
          expect(l).toMatch(
            /^latency_percentiles_usec_[a-z|]+:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$/,
          );
          return l.slice(0, l.indexOf(":"));
        })
        .sort();
    expect(lines(i![n - 1]!)).toEqual(lines(r![n - 1]!));
    for (const c of conns) c.close();
  });
});

/** Monitor lines with the time replaced and addresses named; waits for `count` lines. */
async function monitorLines(conn: RawConn, count: number, names: Map<string, string>) {
  let textSoFar = "";
  const deadline = Date.now() + 10000;
  while (textSoFar.split("\r\n").length - 1 < count && Date.now() < deadline) {
    const b = await conn.read(Math.max(1, conn.available), deadline - Date.now());
    textSoFar += Buffer.from(b).toString("latin1");
  }
  return textSoFar
    .split("\r\n")
    .slice(0, count)
    .map((l) => {
      const m = /^\+(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)$/.exec(l);
      if (m === null) throw new Error(`bad monitor line ${JSON.stringify(l)}`);
      expect(Math.abs(Number(m[1]) - Date.now() / 1000)).toBeLessThan(60);
      return `[${m[3]} ${names.get(m[4]!) ?? m[4]}] ${m[5]}`;
    });
}

describe.skipIf(skip)("MONITOR vs redis-server", () => {
  test("the lines for the same command stream are Redis's", async () => {
    const [monR, monI] = await pair();
    const [a, b] = await Promise.all([pair(), pair()]);
    const names = new Map<string, string>();
    for (const [k, c] of [...a, ...b].entries())
      names.set(await addrOf(c), k < 2 ? "clientA" : "clientB");
    expect(await monR.call("MONITOR")).toBe("OK");
    expect(await monI.call("MONITOR")).toBe("OK");
    // A monitor shows as flag O.
    const list = await Promise.all(a.map((c) => c.call("CLIENT", "LIST")));
    for (const l of list) expect(text(l)).toMatch(/ flags=O /);
    const stream: Arg[][] = [
      [
        "SET",
        "k",
        new Uint8Array([
          0x61, 0x20, 0x22, 0x5c, 0x0a, 0x0d, 0x09, 0x07, 0x08, 0x00, 0x7f, 0xff, 0x41,
        ]),
      ],
      ["get", "k"],
      ["AUTH", "secret"],
      ["AUTH", "user", "secret"],
      ["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n1"],
      ["CONFIG", "GET", "maxmemory"],
      ["CLIENT", "LIST"],
      ["nosuchcommand", "x"],
      ["GET"],
      ["SELECT", "3"],
      ["ZADD", "z", "1", "m"],
      ["DEL", "k", "z"],
      ["PING"],
    ];
    await a[0].values(stream);
    await a[1].values(stream);
    await b[0].values([["SET", "other", "1"]]);
    await b[1].values([["SET", "other", "1"]]);
    // The stream minus CONFIG and CLIENT (admin), the unknown command and the arity error
    // (refused before running), plus the other client's SET.
    const want = 10;
    const [lr, li] = await Promise.all([
      monitorLines(monR.conn, want, names),
      monitorLines(monI.conn, want, names),
    ]);
    expect(li).toEqual(lr);
    expect(li[0]).toBe('[0 clientA] "SET" "k" "a \\"\\\\\\n\\r\\t\\a\\b\\x00\\x7f\\xffA"');
    for (const c of [monR, monI, ...a, ...b]) c.close();
  });
});

/** Redis's LATENCY HISTOGRAM labels: hdr's highest equivalent value of 1024 ns * 2^k, in µs. */
const REDIS_LABELS = [
  1, 2, 4, 8, 16, 33, 66, 132, 264, 528, 1056, 2113, 4227, 8454, 16908, 33816, 67633, 135266,
  270532, 541065, 1082130,
];

function fieldNames(line: string): string[] {
  return line
    .trim()
    .split(" ")
    .map((kv) => kv.slice(0, kv.indexOf("=")));
}

describe.skipIf(skip)("CLIENT LIST, INFO, MEMORY vs redis-server", () => {
  test("CLIENT LIST and CLIENT INFO have Redis 7.0's fields; no CLIENT SETINFO in 7.0", async () => {
    const conns = await pair();
    const [r, i] = await both(conns, [
      ["CLIENT", "LIST"],
      ["CLIENT", "INFO"],
      ["CLIENT", "SETINFO", "lib-name", "x"],
    ]);
    expect(fieldNames(text(i![0]!).split("\n")[0]!)).toEqual(
      fieldNames(text(r![0]!).split("\n")[0]!),
    );
    expect(fieldNames(text(i![1]!))).toEqual(fieldNames(text(r![1]!)));
    expect(text(i![1]!)).toMatch(/ cmd=client\|info /);
    expect(i![2]).toEqual(r![2]!);
    for (const c of conns) c.close();
  });

  test("INFO everything has Redis 7.0's sections and field names", async () => {
    const conns = await pair();
    const [r, i] = await both(conns, [
      ["SET", "k", "v"],
      ["INFO", "everything"],
      ["INFO"],
      ["INFO", "all"],
    ]);
    // Per section: the field names (commandstats/latencystats/errorstats rows depend on the
    // commands each server ran since start, so only their shape is compared there).
    const sections = (t: string) => {
      const out: string[] = [];
      for (const l of t.split("\r\n")) {
        if (l.startsWith("#")) out.push(l);
        else if (l !== "" && !/^(cmdstat_|latency_percentiles_usec_|errorstat_)/.test(l)) {
          const name = l.slice(0, l.indexOf(":"));
          if (name !== "imds_version" && name !== "bun_version") out.push(name);
        }
      }
      return out;
    };
    for (const k of [1, 2, 3]) expect(sections(text(i![k]!))).toEqual(sections(text(r![k]!)));
    for (const c of conns) c.close();
  });

  test("MEMORY USAGE within a generous ratio of Redis's; MEMORY's other replies", async () => {
    const conns = await pair();
    const zadd: Arg[] = ["ZADD", "zbig"];
    for (let k = 0; k < 1000; k++) zadd.push(String(k), `member:${k}`);
    const cmds: Arg[][] = [
      ["FLUSHALL"],
      ["SET", "s1", "v"],
      ["SET", "s2", "a".repeat(100)],
      ["SET", "s3", "a".repeat(10000)],
      ["SET", "s4", "12345"],
      ["ZADD", "zsmall", "1", "a", "2", "b", "3", "c"],
      zadd,
      ["MEMORY", "USAGE", "s1"],
      ["MEMORY", "USAGE", "s2"],
      ["MEMORY", "USAGE", "s3"],
      ["MEMORY", "USAGE", "s4"],
      ["MEMORY", "USAGE", "zsmall"],
      ["MEMORY", "USAGE", "zbig", "SAMPLES", "0"],
      ["MEMORY", "USAGE", "nosuch"],
      ["MEMORY", "USAGE", "s1", "SAMPLES", "-1"],
      ["MEMORY", "USAGE", "s1", "SAMPLES", "x"],
      ["MEMORY", "USAGE", "s1", "FOO"],
      ["MEMORY", "HELP"],
      ["MEMORY", "PURGE"],
      ["MEMORY", "DOCTOR"],
      ["MEMORY", "STATS"],
      ["FLUSHALL"],
    ];
    const [r, i] = await both(conns, cmds);
    const ratio = (k: number) => (i![k] as number) / (r![k] as number);
    for (const k of [7, 8, 9, 10]) {
      expect(ratio(k)).toBeGreaterThan(0.5);
      expect(ratio(k)).toBeLessThan(2);
    }
    // A small sorted set is a few JS objects here (~350 B against Redis's ~80 B listpack);
    // a large one is about half Redis's skiplist + dict (~54 KB against ~102 KB for 1000).
    expect(ratio(11)).toBeLessThan(6);
    expect(ratio(11)).toBeGreaterThan(0.5);
    expect(ratio(12)).toBeGreaterThan(0.25);
    expect(ratio(12)).toBeLessThan(2);
    for (const k of [13, 14, 15, 16, 17, 18, 19]) expect(i![k]).toEqual(r![k]!);
    const keys = (v: RespValue) => (v as RespValue[]).filter((_, k) => k % 2 === 0);
    expect(keys(i![20]!)).toEqual(keys(r![20]!));
    for (const c of conns) c.close();
  });
});
