// A job queue on imds through ioredis, the way applications build one on Redis lists:
// producers LPUSH jobs; several workers BLMOVE jobs from the queue into a processing list
// (the reliable-queue pattern), "run" them, and LREM them from the processing list when done.
// Bounded in jobs and time. At the end no job is lost or run twice, and both lists are gone.

import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

const JOBS = 3000;
const PRODUCERS = 3;
const WORKERS = 5;
const DEADLINE_MS = 30_000;

const client = () =>
  new Redis({
    host: "127.0.0.1",
    port: srv.port,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });

test("job queue: LPUSH producers, BLMOVE workers, LREM when done: no job lost or run twice", async () => {
  const deadline = Date.now() + DEADLINE_MS;
  const producers = Array.from({ length: PRODUCERS }, client);
  const workers = Array.from({ length: WORKERS }, client);
  const admin = client();
  try {
    await admin.del("jobs", "processing");
    const runs = new Map<string, number>();
    const byWorker = new Array<number>(WORKERS).fill(0);
    let produced = 0;

    const produce = async (p: Redis, id: number) => {
      for (let i = id; i < JOBS && Date.now() < deadline; i += PRODUCERS) {
        // batches of a few jobs per LPUSH, with pauses so workers really block and wake
        const batch = [`job:${i}`];
        if (i + PRODUCERS < JOBS && i % 7 === 0) {
          i += PRODUCERS;
          batch.push(`job:${i}`);
        }
        await p.lpush("jobs", ...batch);
        produced += batch.length;
        if (i % 50 === 0) await Bun.sleep(2);
      }
    };

    const work = async (w: Redis, n: number) => {
      while (Date.now() < deadline) {
        const job = await w.blmove("jobs", "processing", "RIGHT", "LEFT", 0.2);
        if (job === null) {
          if (produced >= JOBS) return; // timed out with nothing left to come
          continue;
        }
        runs.set(job, (runs.get(job) ?? 0) + 1);
        byWorker[n]!++;
        expect(await w.lrem("processing", 1, job)).toBe(1);
      }
    };

    await Promise.all([...producers.map(produce), ...workers.map(work)]);

    expect(Date.now()).toBeLessThan(deadline);
    expect(produced).toBe(JOBS);
    expect(runs.size).toBe(JOBS);
    for (let i = 0; i < JOBS; i++) expect(runs.get(`job:${i}`)).toBe(1);
    expect(await admin.exists("jobs", "processing")).toBe(0);
    // the work was shared (each worker blocked and was woken at some point)
    for (const n of byWorker) expect(n).toBeGreaterThan(0);
    const info = await admin.info("clients");
    expect(info).toContain("blocked_clients:0");
  } finally {
    for (const c of [...producers, ...workers, admin]) c.disconnect();
  }
}, 60_000);
