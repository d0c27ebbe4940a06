// BullMQ jobs per second with one Worker (concurrency 1), imds beside redis-server in one run:
// add N jobs in bulk, then time the Worker from the first to the last completion.
//
//   bun bench/bullmq.ts [N=2000] [rounds=3]

import { Queue, Worker } from "bullmq";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

const N = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 3);

async function jobsPerSecond(port: number, name: string): Promise<number> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  const jobs = Array.from({ length: N }, (_, i) => ({ name: "j", data: { n: i } }));
  for (let i = 0; i < N; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  let done = 0;
  const t0 = performance.now();
  const worker = new Worker(name, async (job) => job.data.n, { connection, concurrency: 1 });
  const deadline = Date.now() + 120_000;
  worker.on("completed", () => done++);
  while (done < N && Date.now() < deadline) await Bun.sleep(10);
  const secs = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return done / secs;
}

const servers: [string, Running][] = [
  ["imds", await startImds()],
  ["redis", await startRedis()],
];
const results: Record<string, number[]> = { imds: [], redis: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, s] of r % 2 === 0 ? servers : [...servers].reverse()) {
      results[label]!.push(await jobsPerSecond(s.port, `bench-${r}`));
    }
  }
} finally {
  for (const [, s] of servers) await s.stop();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a = median(results.imds!);
const b = median(results.redis!);
console.log(`BullMQ, ${N} jobs, one Worker (concurrency 1), median of ${ROUNDS} alternated rounds`);
console.log("| server | jobs/s |\n| --- | ---: |");
console.log(`| imds | ${a.toFixed(0)} |\n| redis-server | ${b.toFixed(0)} |`);
console.log(`imds/redis: ${(a / b).toFixed(2)}`);
