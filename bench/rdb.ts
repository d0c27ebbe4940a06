// RDB codec throughput on 1M small keys, side by side with redis-server on the same data.
//   bun bench/rdb.ts [keys=1000000]
// Our side: RdbWriter into 1 MiB chunks (CRC on, compression on) and readRdb from memory.
// Redis side: DEBUG POPULATE N (keys "key:i", values "value:i", the same we write), then SAVE
// timed from the client, and DEBUG RELOAD (save + load) for the load time.

import { RdbWriter, readRdb } from "../src/persistence/rdb/index.ts";
import { startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const enc = new TextEncoder();
const keys: Uint8Array[] = new Array(N);
const vals: Uint8Array[] = new Array(N);
for (let i = 0; i < N; i++) {
  keys[i] = enc.encode(`key:${i}`);
  vals[i] = enc.encode(`value:${i}`);
}

function encode(): { ms: number; bytes: number; chunks: Uint8Array[] } {
  const chunks: Uint8Array[] = [];
  const t = performance.now();
  const w = new RdbWriter({ sink: (c) => chunks.push(c.slice()) });
  w.writeHeader();
  w.writeStandardAux({ usedMem: 0 });
  w.writeSelectDb(0);
  w.writeResizeDb(N, 0);
  for (let i = 0; i < N; i++) w.writeString(keys[i]!, vals[i]!);
  w.finish();
  return { ms: performance.now() - t, bytes: w.written, chunks };
}

function decode(file: Uint8Array): number {
  const t = performance.now();
  let n = 0;
  readRdb(file, { onKey: () => void n++ });
  if (n !== N) throw new Error(`decoded ${n} keys`);
  return performance.now() - t;
}

encode(); // warm up
const runs = [encode(), encode(), encode()];
const best = runs.reduce((a, r) => (r.ms < a.ms ? r : a));
const file = Buffer.concat(best.chunks);
decode(file);
const dms = Math.min(decode(file), decode(file), decode(file));
const mb = best.bytes / 1048576;
console.log(`file: ${N} keys, ${mb.toFixed(1)} MiB`);
console.log(
  `imds encode: ${best.ms.toFixed(0)} ms  ${(mb / (best.ms / 1000)).toFixed(0)} MiB/s  ${(N / best.ms / 1000).toFixed(2)} M keys/s`,
);
console.log(
  `imds decode: ${dms.toFixed(0)} ms  ${(mb / (dms / 1000)).toFixed(0)} MiB/s  ${(N / dms / 1000).toFixed(2)} M keys/s`,
);

if (Bun.which("redis-server")) {
  const dir = `/tmp/imds-rdb-bench-${process.pid}`;
  await Bun.$`mkdir -p ${dir}`;
  const redis = await startRedis(["--dir", dir, "--enable-debug-command", "yes"]);
  const port = redis.port;
  try {
    const cli = (...a: string[]) => Bun.$`redis-cli -p ${port} ${a}`.quiet();
    for (let i = 0; i < 100; i++) {
      if ((await cli("ping").nothrow()).stdout.toString().trim() === "PONG") break;
      await Bun.sleep(50);
    }
    await cli("debug", "populate", String(N));
    let t = performance.now();
    await cli("save");
    const save = performance.now() - t;
    const size = Bun.file(`${dir}/dump.rdb`).size / 1048576;
    t = performance.now();
    await cli("debug", "reload");
    const reload = performance.now() - t;
    console.log(
      `redis SAVE:  ${save.toFixed(0)} ms  ${(size / (save / 1000)).toFixed(0)} MiB/s (file ${size.toFixed(1)} MiB)`,
    );
    console.log(
      `redis DEBUG RELOAD (save+load): ${reload.toFixed(0)} ms -> load ~${(reload - save).toFixed(0)} ms  ~${(size / ((reload - save) / 1000)).toFixed(0)} MiB/s`,
    );
    console.log(
      `ratio encode imds/redis: ${(best.ms / save).toFixed(2)}x time; decode: ${(dms / (reload - save)).toFixed(2)}x time`,
    );
  } finally {
    await redis.stop();
    await Bun.$`rm -rf ${dir}`;
  }
}
