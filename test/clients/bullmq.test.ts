// BullMQ, the most used Node.js job queue, end to end against imds and, in the same run, against
// redis-server: a Queue adds jobs (plain, delayed, failing ones), a Worker processes them, and
// QueueEvents (which reads the events stream with XREAD BLOCK) sees every completed and failed
// job. BullMQ runs its logic as Lua scripts (EVALSHA over hashes, lists, sorted sets and
// streams), so this exercises scripting, every data type and blocking reads together. Both
// servers must give the same outcome.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { Queue, QueueEvents, Worker } from "bullmq";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const JOBS = 30;
const skipRedis = redisMissing("the BullMQ comparison with redis-server");

let imds: Running;
let redis: Running | undefined;
beforeAll(async () => {
  imds = await startImds();
  if (!skipRedis) redis = await startRedis();
});
afterAll(async () => {
  await imds?.stop();
  await redis?.stop();
});

interface Outcome {
  completed: string[];
  failed: string[];
  results: Record<string, number>;
  delayedRanAfterMs: number;
}

async function runFlow(port: number, name: string): Promise<Outcome> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const completed: string[] = [];
  const failed: string[] = [];
  const results: Record<string, number> = {};
  events.on("completed", ({ jobId, returnvalue }) => {
    completed.push(jobId);
    results[jobId] = Number(returnvalue);
  });
  events.on("failed", ({ jobId }) => failed.push(jobId));
  let delayedAt = 0;
  const worker = new Worker(
    name,
    async (job) => {
      if (job.name === "delayed") delayedAt = Date.now();
      if (job.data.fail) throw new Error(`job ${job.data.n} fails on purpose`);
      return job.data.n * 2;
    },
    { connection, concurrency: 4 },
  );
  const t0 = Date.now();
  for (let i = 0; i < JOBS; i++) {
    const delayed = i === 7;
    await queue.add(
      delayed ? "delayed" : "plain",
      { n: i, fail: i % 9 === 4 },
      delayed ? { delay: 400 } : {},
    );
  }
  const deadline = Date.now() + 20_000;
  while (completed.length + failed.length < JOBS && Date.now() < deadline) await Bun.sleep(25);
  await worker.close();
  await events.close();
  await queue.close();
  return {
    completed: completed.sort((a, b) => Number(a) - Number(b)),
    failed: failed.sort((a, b) => Number(a) - Number(b)),
    results,
    delayedRanAfterMs: delayedAt - t0,
  };
}

test("BullMQ: jobs added, processed, failed and delayed, events seen (imds)", async () => {
  const got = await runFlow(imds.port, "jobs-a");
  expect(got.completed.length + got.failed.length).toBe(JOBS);
  expect(got.failed.length).toBe(
    Array.from({ length: JOBS }, (_, i) => i).filter((i) => i % 9 === 4).length,
  );
  for (const id of got.completed) expect(got.results[id]).toBe((Number(id) - 1) * 2);
  expect(got.delayedRanAfterMs).toBeGreaterThanOrEqual(380);
}, 40_000);

test.skipIf(skipRedis)(
  "BullMQ gives the same outcome on imds as on redis-server",
  async () => {
    const [a, b] = [await runFlow(imds.port, "jobs-b"), await runFlow(redis!.port, "jobs-b")];
    expect(a.completed).toEqual(b.completed);
    expect(a.failed).toEqual(b.failed);
    expect(a.results).toEqual(b.results);
  },
  60_000,
);
