// Memory of hashes and sets, imds storage vs redis-server 7.0, three shapes:
//   bighash:  one hash of N fields   ("field:<i>" -> "value:<i>")
//   bigset:   one set of N members   ("member:<i>")
//   sessions: N hashes of 5 small fields (key "session:<i>"; user, ip, ts, agent, flags)
// redis-server: a fresh server per shape (--save "" --appendonly no), loaded with
// `redis-cli --pipe`; INFO used_memory and used_memory_rss deltas.
// imds: the same, through the real commands: a fresh imds server per shape, loaded with the same
// `redis-cli --pipe` stream, INFO used_memory and used_memory_rss deltas (RSS after the load's
// garbage included: whatever the GC has not returned to the OS yet).
//
//   bun bench/hash-set-memory.ts [N=1000000]

import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

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

async function info(port: number): Promise<Map<string, string>> {
  const c = await RespConn.open(port);
  try {
    return parseInfo(String(await c.call("INFO", "memory")));
  } finally {
    c.close();
  }
}

/** Load the shape into a fresh server with redis-cli --pipe; used_memory and RSS deltas. */
async function measure(
  start: () => Promise<Running>,
  shape: Shape,
  n: number,
): Promise<{ used: number; rss: number }> {
  const s = await start();
  try {
    const before = await info(s.port);
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
    const out = await new Response(p.stdout).text();
    await p.exited;
    if (!/errors: 0,/.test(out)) throw new Error(`redis-cli --pipe: ${out}`);
    await Bun.sleep(500); // let a GC run settle RSS
    const after = await info(s.port);
    const d = (k: string) => Number(after.get(k)) - Number(before.get(k));
    return { used: d("used_memory"), rss: d("used_memory_rss") };
  } finally {
    await s.stop();
  }
}

const n = Number(process.argv[2] ?? 1_000_000);
const per = (x: number) => (x / n).toFixed(1).padStart(8);
const unit = { bighash: "field", bigset: "member", sessions: "hash" };
console.log(`N = ${n}; bytes per ${Object.values(unit).join(" / ")} (delta / N)`);
console.log("shape      unit    | imds used     rss | redis used     rss | imds/redis used (rss)");
for (const shape of SHAPES) {
  const im = await measure(() => startImds(["--loglevel", "warning"]), shape, n);
  const rd = await measure(() => startRedis(), shape, n);
  console.log(
    `${shape.padEnd(10)} ${unit[shape].padEnd(7)} | ${per(im.used)}${per(im.rss)} | ${per(rd.used)}${per(rd.rss)} | ${(im.used / rd.used).toFixed(2)} (${(im.rss / rd.rss).toFixed(2)})`,
  );
}
