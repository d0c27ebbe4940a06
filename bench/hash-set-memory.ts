// Memory of hashes and sets, imds storage vs redis-server 7.0, three shapes:
//   bighash:  one hash of N fields   ("field:<i>" -> "value:<i>")
//   bigset:   one set of N members   ("member:<i>")
//   sessions: N hashes of 5 small fields (key "session:<i>"; user, ip, ts, agent, flags)
// redis-server: a fresh server per shape (--save "" --appendonly no), loaded with
// `redis-cli --pipe`; INFO used_memory and used_memory_rss deltas.
// imds: a fresh child process per shape builds the same data directly in a Keyspace through
// src/store/hash.ts / set.ts (no server: the command handlers do not exist yet); after a full
// GC it reports RSS, JS heap (heapUsed), Keyspace.usedBytes() (used_memory) and memoryBytes().
//
//   bun bench/hash-set-memory.ts [N=1000000]

import { HASH_LIMITS_DEFAULT, hashCreate, hashSet } from "../src/store/hash.ts";
import { Keyspace } from "../src/store/keyspace.ts";
import { SET_LIMITS_DEFAULT, setAdd, setCreate } from "../src/store/set.ts";
import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { startRedis } from "../test/helpers/servers.ts";

const SHAPES = ["bighash", "bigset", "sessions"] as const;
type Shape = (typeof SHAPES)[number];

function sessionFields(i: number): string[] {
  return [
    "user",
    `u${i}`,
    "ip",
    `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    "ts",
    String(1700000000 + i),
    "agent",
    "Mozilla/5.0",
    "flags",
    String(i % 8),
  ];
}

function cmd(a: string[]): string {
  let s = `*${a.length}\r\n`;
  for (const x of a) s += `$${Buffer.byteLength(x)}\r\n${x}\r\n`;
  return s;
}

/** The shape as RESP commands, in chunks (never one giant string). */
function* commands(shape: Shape, n: number): Generator<string> {
  const BATCH = 100;
  let buf = "";
  for (let i = 0; i < n; i += BATCH) {
    const end = Math.min(n, i + BATCH);
    if (shape === "sessions") {
      for (let j = i; j < end; j++) buf += cmd(["HSET", `session:${j}`, ...sessionFields(j)]);
    } else if (shape === "bighash") {
      const a = ["HSET", "bighash"];
      for (let j = i; j < end; j++) a.push(`field:${j}`, `value:${j}`);
      buf += cmd(a);
    } else {
      const a = ["SADD", "bigset"];
      for (let j = i; j < end; j++) a.push(`member:${j}`);
      buf += cmd(a);
    }
    if (buf.length > 1 << 20) {
      yield buf;
      buf = "";
    }
  }
  if (buf.length > 0) yield buf;
}

async function redisInfo(port: number): Promise<Map<string, string>> {
  const c = await RespConn.open(port);
  try {
    return parseInfo(String(await c.call("INFO", "memory")));
  } finally {
    c.close();
  }
}

async function measureRedis(shape: Shape, n: number): Promise<{ used: number; rss: number }> {
  const s = await startRedis();
  try {
    const before = await redisInfo(s.port);
    const p = Bun.spawn(["redis-cli", "-p", String(s.port), "--pipe"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    for (const chunk of commands(shape, n)) {
      p.stdin.write(chunk);
      await p.stdin.flush();
    }
    await p.stdin.end();
    await p.exited;
    const after = await redisInfo(s.port);
    const d = (k: string) => Number(after.get(k)) - Number(before.get(k));
    return { used: d("used_memory"), rss: d("used_memory_rss") };
  } finally {
    await s.stop();
  }
}

/** In this (child) process: build the shape in a fresh Keyspace and print the deltas as JSON. */
function measureImds(shape: Shape, n: number): void {
  const enc = new TextEncoder();
  const ks = new Keyspace();
  const t = ks.db(0);
  const scratch = new Uint8Array(256);
  const put = (s: string): number => enc.encodeInto(s, scratch).written;
  const fbuf = new Uint8Array(256);
  Bun.gc(true);
  const m0 = process.memoryUsage();
  const used0 = ks.usedBytes();
  const mem0 = ks.memoryBytes();
  if (shape === "sessions") {
    for (let i = 0; i < n; i++) {
      const kl = put(`session:${i}`);
      const e = hashCreate(t, scratch, 0, kl);
      const f = sessionFields(i);
      for (let j = 0; j < f.length; j += 2) {
        const fl = enc.encodeInto(f[j]!, fbuf).written;
        const vl = put(f[j + 1]!);
        hashSet(ks, t, e, fbuf, 0, fl, scratch, 0, vl, HASH_LIMITS_DEFAULT);
      }
    }
  } else if (shape === "bighash") {
    const kl = put(shape);
    const e = hashCreate(t, scratch, 0, kl);
    for (let i = 0; i < n; i++) {
      const fl = enc.encodeInto(`field:${i}`, fbuf).written;
      const vl = put(`value:${i}`);
      hashSet(ks, t, e, fbuf, 0, fl, scratch, 0, vl, HASH_LIMITS_DEFAULT);
    }
  } else {
    const e = setCreate(t, scratch, 0, put(shape), false);
    for (let i = 0; i < n; i++) {
      const ml = enc.encodeInto(`member:${i}`, fbuf).written;
      setAdd(ks, t, e, fbuf, 0, ml, SET_LIMITS_DEFAULT);
    }
  }
  Bun.gc(true);
  const m1 = process.memoryUsage();
  console.log(
    JSON.stringify({
      used: ks.usedBytes() - used0,
      mem: ks.memoryBytes() - mem0,
      heap: m1.heapUsed - m0.heapUsed,
      rss: m1.rss - m0.rss,
    }),
  );
}

async function runImdsChild(shape: Shape, n: number) {
  const p = Bun.spawn(["bun", import.meta.path, "--imds-child", shape, String(n)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return JSON.parse(out.trim().split("\n").pop()!) as {
    used: number;
    mem: number;
    heap: number;
    rss: number;
  };
}

if (process.argv[2] === "--imds-child") {
  measureImds(process.argv[3] as Shape, Number(process.argv[4]));
} else {
  const n = Number(process.argv[2] ?? 1_000_000);
  const per = (x: number) => (x / n).toFixed(1).padStart(7);
  const unit = { bighash: "field", bigset: "member", sessions: "hash" };
  console.log(`N = ${n}; bytes per ${Object.values(unit).join(" / ")} (delta / N)`);
  console.log(
    "shape      unit    | imds used  mem   heap   rss | redis used   rss | imds/redis (rss)",
  );
  for (const shape of SHAPES) {
    const im = await runImdsChild(shape, n);
    const hasRedis = Bun.which("redis-server") !== null;
    const rd = hasRedis ? await measureRedis(shape, n) : { used: Number.NaN, rss: Number.NaN };
    console.log(
      `${shape.padEnd(10)} ${unit[shape].padEnd(7)} | ${per(im.used)}${per(im.mem)}${per(im.heap)}${per(im.rss)} | ${per(rd.used)}${per(rd.rss)} | ${(im.used / rd.used).toFixed(2)} (${(im.rss / rd.rss).toFixed(2)})`,
    );
  }
}
