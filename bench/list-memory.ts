// Bytes per list element, imds's List vs redis-server 7.0, plus a timing micro for push/pop/
// index. One list of N elements ("xxx" as redis-benchmark's LPUSH/RPUSH use, then distinct
// 16-byte values):
//   - imds, in this process: List.memoryBytes() (what used_memory will count), and the RSS and
//     JS heap deltas after a full GC (Bun's heapUsed includes typed-array data);
//   - redis-server on a random port (--save "" --appendonly no), RPUSH pipelined through
//     `redis-cli --pipe` (1000 elements per command): INFO used_memory and used_memory_rss deltas.
//
//   bun bench/list-memory.ts [elements=1000000]

import { List } from "../src/store/list.ts";
import { parseInfo, RespConn } from "../test/helpers/resp.ts";
import { startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const PER_CMD = 1000;

function value16(i: number): string {
  // 16 bytes, never a number (a listpack stores integers in fewer bytes).
  return `v:${i.toString(36).padStart(14, "-")}`;
}

/** value16(i) written as bytes (no string per element, which would blur the RSS delta). */
function write16(i: number, dst: Uint8Array, off: number): void {
  dst[off] = 118; // v
  dst[off + 1] = 58; // :
  for (let k = 15; k >= 2; k--) {
    if (i === 0 && k < 15)
      dst[off + k] = 45; // -
    else {
      const d = i % 36;
      dst[off + k] = d < 10 ? 48 + d : 87 + d;
      i = Math.floor(i / 36);
    }
  }
}

function writeXxx(_i: number, dst: Uint8Array, off: number): void {
  dst[off] = 120;
  dst[off + 1] = 120;
  dst[off + 2] = 120;
}

const shapes: {
  name: string;
  value: (i: number) => string;
  write: (i: number, dst: Uint8Array, off: number) => void;
}[] = [
  { name: '"xxx"', value: () => "xxx", write: writeXxx },
  { name: "16-byte", value: value16, write: write16 },
];

function imdsMeasure(
  value: (i: number) => string,
  write: (i: number, d: Uint8Array, o: number) => void,
) {
  // Elements come from one request-like buffer (like RPUSH's 1000 arguments), rebuilt in place
  // per batch so the loop allocates nothing that would blur the RSS delta.
  const width = value(0).length;
  const req = new Uint8Array(PER_CMD * width);
  Bun.gc(true);
  const m0 = process.memoryUsage();
  const l = new List();
  const t0 = performance.now();
  for (let i = 0; i < N; i += PER_CMD) {
    const m = Math.min(PER_CMD, N - i);
    for (let j = 0; j < m; j++) write(i + j, req, j * width);
    for (let j = 0; j < m; j++) l.pushRight(req, j * width, width);
  }
  const ms = performance.now() - t0;
  Bun.gc(true);
  const m1 = process.memoryUsage();
  const st = l.stats();
  const out = {
    model: l.memoryBytes() / N,
    rss: (m1.rss - m0.rss) / N,
    heap: (m1.heapUsed - m0.heapUsed) / N,
    nodes: st.nodes,
    fillPct: (100 * st.usedBytes) / st.bufferBytes,
    ms,
  };
  if (l.length !== N) throw new Error("bad length");
  return out;
}

async function redisMeasure(value: (i: number) => string) {
  const r = await startRedis();
  try {
    const info = async () => {
      const c = await RespConn.open(r.port);
      try {
        const m = parseInfo(String(await c.call("INFO", "memory")));
        return { used: Number(m.get("used_memory")), rss: Number(m.get("used_memory_rss")) };
      } finally {
        c.close();
      }
    };
    await Bun.sleep(1200);
    const before = await info();
    const parts: string[] = [];
    for (let i = 0; i < N; i += PER_CMD) {
      const m = Math.min(PER_CMD, N - i);
      let s = `*${m + 2}\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n`;
      for (let j = 0; j < m; j++) {
        const v = value(i + j);
        s += `$${v.length}\r\n${v}\r\n`;
      }
      parts.push(s);
    }
    const p = Bun.spawn(["redis-cli", "-p", String(r.port), "--pipe"], {
      stdin: new TextEncoder().encode(parts.join("")),
      stdout: "pipe",
      stderr: "pipe",
    });
    await p.exited;
    const c = await RespConn.open(r.port);
    const len = Number(await c.call("LLEN", "list"));
    c.close();
    if (len !== N) throw new Error(`redis LLEN ${len}`);
    await Bun.sleep(1200); // used_memory_rss is refreshed by serverCron
    const after = await info();
    return { used: (after.used - before.used) / N, rss: (after.rss - before.rss) / N };
  } finally {
    await r.stop();
  }
}

if (process.argv[3] === "--child") {
  // Fresh process per shape: warm the JIT and heap on a small list first, so the RSS delta is
  // the list's and not the runtime's start-up growth.
  const shape = shapes[Number(process.argv[4])]!;
  const warm = new List();
  const w = new TextEncoder().encode(shape.value(1));
  for (let i = 0; i < 20_000; i++) warm.pushRight(w, 0, w.length);
  warm.clear();
  const check = new Uint8Array(16);
  shape.write(123456789, check, 0);
  if (new TextDecoder().decode(check.subarray(0, w.length)) !== shape.value(123456789)) {
    throw new Error("write() and value() disagree");
  }
  console.log(JSON.stringify(imdsMeasure(shape.value, shape.write)));
  process.exit(0);
}

function imdsChild(i: number): ReturnType<typeof imdsMeasure> {
  const p = Bun.spawnSync(["bun", import.meta.path, String(N), "--child", String(i)]);
  return JSON.parse(p.stdout.toString());
}

console.log(`one list of ${N} elements, bytes per element`);
console.log(
  "shape     imds model  imds rss  imds heap   redis used_memory  redis rss   nodes  fill",
);
for (const [i, s] of shapes.entries()) {
  const a = imdsChild(i);
  const hasRedis = Bun.which("redis-server") !== null;
  const b = hasRedis ? await redisMeasure(s.value) : { used: Number.NaN, rss: Number.NaN };
  console.log(
    `${s.name.padEnd(9)} ${a.model.toFixed(2).padStart(10)} ${a.rss.toFixed(2).padStart(9)} ${a.heap
      .toFixed(2)
      .padStart(10)} ${b.used.toFixed(2).padStart(19)} ${b.rss.toFixed(2).padStart(10)} ${String(
      a.nodes,
    ).padStart(
      7,
    )} ${a.fillPct.toFixed(1)}%   (imds build incl. value generation ${a.ms.toFixed(0)} ms)`,
  );
}

// ---- timing micro (bounded: a few million operations) ------------------------------------
{
  const v = new TextEncoder().encode("xxx");
  const v16 = new TextEncoder().encode(value16(7));
  const M = Math.min(N, 1_000_000);
  const time = (name: string, ops: number, f: () => void) => {
    const t = performance.now();
    f();
    const ns = ((performance.now() - t) * 1e6) / ops;
    console.log(`${name.padEnd(34)} ${ns.toFixed(1).padStart(7)} ns/op`);
  };
  const l = new List();
  time("pushRight 16 B", M, () => {
    for (let i = 0; i < M; i++) l.pushRight(v16, 0, v16.length);
  });
  time("pushLeft 3 B", M, () => {
    for (let i = 0; i < M; i++) l.pushLeft(v, 0, v.length);
  });
  let sink = 0;
  time("at(random) on 2M list", 200_000, () => {
    let x = 12345;
    for (let i = 0; i < 200_000; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      sink += l.at(x % l.length);
    }
  });
  time("at(10) head-side index", 1_000_000, () => {
    for (let i = 0; i < 1_000_000; i++) sink += l.at(10);
  });
  time("range 0..99 (100 elements)", 10_000 * 100, () => {
    for (let i = 0; i < 10_000; i++) {
      l.seek(i);
      for (let j = 0; j < 100; j++) sink += l.next();
    }
  });
  time("peekRight + dropRight", M, () => {
    for (let i = 0; i < M; i++) {
      sink += l.peekRight();
      l.dropRight();
    }
  });
  time("peekLeft + dropLeft", M, () => {
    for (let i = 0; i < M; i++) {
      sink += l.peekLeft();
      l.dropLeft();
    }
  });
  const q = new List();
  time("queue: pushLeft + peek/dropRight", M, () => {
    for (let i = 0; i < 1000; i++) q.pushLeft(v16, 0, v16.length);
    for (let i = 0; i < M; i++) {
      q.pushLeft(v16, 0, v16.length);
      sink += q.peekRight();
      q.dropRight();
    }
  });
  if (sink === 42) console.log("");
}
