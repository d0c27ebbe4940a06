// `bun bench` registers the sorted set micro benchmarks: run the suite with a filter that
// matches no benchmark (only the setup runs) and small sets, and expect the sorted set rows.

import { expect, test } from "bun:test";

test("bun bench includes the sorted set benches (BENCH_ZSET_SIZES)", async () => {
  const proc = Bun.spawn(["bun", "bench/micro/index.ts", "^no benchmark$"], {
    env: { ...process.env, BENCH_ZSET_SIZES: "100,200,x,5" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill(), 25_000);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  expect(code).toBe(0);
  // Invalid and too small sizes are dropped: exactly the two sets asked for.
  const rows = out.split("\n").filter((l) => / members: [\d.]+ bytes\/member/.test(l));
  expect(rows.map((l) => l.trim().split(" ")[0])).toEqual(["100", "200"]);
});
