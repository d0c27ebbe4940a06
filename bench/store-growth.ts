// Grow one database from 0 to N keys (16-byte keys, 32-byte values) and report the worst
// single-insert pause (wall clock, and this thread's CPU time, which leaves out the scheduler
// running another process on our core), the slow inserts, and bytes per key. With `zset`, grow
// one sorted set to N members (16-byte members) instead and report its worst insert.
// Run: bun bench/store-growth.ts [keys] [zset] [cpu]

import { Keyspace } from "../src/store/keyspace.ts";
import { ZSet } from "../src/store/zset.ts";

const KEYS = Number(process.argv[2] ?? 1_000_000);
// `cpu` as the last argument also samples this thread's CPU time per insert (~1.4 us per insert
// of overhead, so total times are only comparable without it).
const threadCpu = process.argv.includes("cpu")
  ? (process as unknown as { threadCpuUsage?: typeof process.cpuUsage }).threadCpuUsage
  : undefined;
if (process.argv[3] === "zset") {
  const z = new ZSet();
  const m = new Uint8Array(16);
  const mv = new DataView(m.buffer);
  let worst = 0;
  let worstCpu = 0;
  let worstAt = -1;
  const slow: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < KEYS; i++) {
    mv.setUint32(0, 0x6d656d3a);
    mv.setUint32(4, i);
    mv.setUint32(8, Math.imul(i, 0x9e3779b1));
    mv.setUint32(12, i ^ 0x5bd1e995);
    const c0 = threadCpu?.();
    const w0 = performance.now();
    z.insert(m, 0, 16, (i * 7919) % 100000);
    const ms = performance.now() - w0;
    const c = c0 === undefined || threadCpu === undefined ? null : threadCpu(c0);
    const cpu = c === null ? ms : (c.user + c.system) / 1000;
    if (ms > worst) {
      worst = ms;
      worstAt = i;
    }
    if (cpu > worstCpu) worstCpu = cpu;
    if (cpu > 2) slow.push(`  #${i}: ${ms.toFixed(3)} ms wall, ${cpu.toFixed(3)} ms cpu`);
  }
  console.log(
    `zset members: ${KEYS} (16 B), Bun ${Bun.version}; total ${(performance.now() - t0).toFixed(0)} ms`,
  );
  console.log(
    `worst single insert: ${worst.toFixed(3)} ms wall at #${worstAt}; worst thread CPU ${worstCpu.toFixed(3)} ms`,
  );
  console.log(`inserts over 2 ms of CPU: ${slow.length}`);
  for (const l of slow.slice(0, 20)) console.log(l);
  console.log(`memoryBytes: ${(z.memoryBytes() / KEYS).toFixed(1)} B/member`);
  process.exit(0);
}
const KEY_BYTES = 16;
const VALUE_BYTES = 32;

function rssBytes(): number {
  Bun.gc(true);
  return process.memoryUsage().rss;
}

// Keys are generated into one reusable buffer: the bench measures the store, not the generator.
const key = new Uint8Array(KEY_BYTES);
const keyView = new DataView(key.buffer);
const value = new Uint8Array(VALUE_BYTES).fill(0x61);

const rssBefore = rssBytes();
const heapBefore = process.memoryUsage().heapUsed;
const ks = new Keyspace();
const t = ks.db(0);

let worstMs = 0;
let worstAt = -1;
let worstCpuMs = 0;
let worstCpuAt = -1;
const slowOps: { i: number; ms: number; slots: number; entries: number }[] = [];
let lastSlots = t.slots;
let rehashStarts = 0;
const start = performance.now();
for (let i = 0; i < KEYS; i++) {
  keyView.setUint32(0, 0x6b65793a); // "key:"
  keyView.setUint32(4, i);
  keyView.setUint32(8, Math.imul(i, 0x9e3779b1));
  keyView.setUint32(12, i ^ 0x5bd1e995);
  const wasRehashing = t.rehashing;
  const c0 = threadCpu?.();
  const t0 = performance.now();
  t.upsertString(key, 0, KEY_BYTES, value, 0, VALUE_BYTES);
  const ms = performance.now() - t0;
  if (c0 !== undefined && threadCpu !== undefined) {
    const c = threadCpu(c0);
    const cpu = (c.user + c.system) / 1000;
    if (cpu > worstCpuMs) {
      worstCpuMs = cpu;
      worstCpuAt = i;
    }
  }
  if (!wasRehashing && t.rehashing) rehashStarts++;
  if (ms > worstMs) {
    worstMs = ms;
    worstAt = i;
  }
  if (ms > 1) slowOps.push({ i, ms, slots: t.slots, entries: t.highWater });
  if (t.slots !== lastSlots) lastSlots = t.slots;
}
const totalMs = performance.now() - start;

// Every key must be there.
for (let i = 0; i < KEYS; i += 997) {
  keyView.setUint32(0, 0x6b65793a);
  keyView.setUint32(4, i);
  keyView.setUint32(8, Math.imul(i, 0x9e3779b1));
  keyView.setUint32(12, i ^ 0x5bd1e995);
  if (t.find(key, 0, KEY_BYTES) < 0) throw new Error(`lost key ${i}`);
}

const rssAfter = rssBytes();
// Freed column/index arrays go back to the OS when the allocator's scavenger runs: wait for it.
await Bun.sleep(1500);
const rssSettled = rssBytes();
const heapAfter = process.memoryUsage().heapUsed;
const tableBytes = t.memoryBytes();
const arenaBytes = ks.arena.reservedBytes;
const computed = ks.memoryBytes();

const f = (n: number, d = 1) => n.toFixed(d);
console.log(`keys: ${KEYS} (${KEY_BYTES} B keys, ${VALUE_BYTES} B values), Bun ${Bun.version}`);
console.log(`total insert time: ${f(totalMs)} ms (${f((KEYS / totalMs) * 1000, 0)} inserts/s)`);
console.log(`worst single insert: ${f(worstMs, 3)} ms at key ${worstAt}`);
if (threadCpu)
  console.log(`worst single insert, thread CPU: ${f(worstCpuMs, 3)} ms at key ${worstCpuAt}`);
console.log(
  `column growths finished in one go (forced): ${t.forcedGrowths}; capacity ${t.capacityRows} rows`,
);
console.log(`rehashes: ${rehashStarts}, forced: ${t.forcedRehashes}, final slots: ${t.slots}`);
console.log(`inserts slower than 1 ms: ${slowOps.length}`);
for (const s of slowOps.slice(0, 20)) {
  console.log(`  #${s.i}: ${f(s.ms, 3)} ms (slots ${s.slots}, highWater ${s.entries})`);
}
console.log(`table columns+index: ${tableBytes} B = ${f(tableBytes / KEYS)} B/key`);
console.log(`arena reserved: ${arenaBytes} B = ${f(arenaBytes / KEYS)} B/key`);
console.log(`arena live: ${ks.arena.liveBytes} B = ${f(ks.arena.liveBytes / KEYS)} B/key`);
console.log(`keyspace.memoryBytes(): ${computed} B = ${f(computed / KEYS)} B/key`);
console.log(
  `process RSS delta: ${f((rssAfter - rssBefore) / 2 ** 20)} MiB = ${f((rssAfter - rssBefore) / KEYS)} B/key`,
);
console.log(
  `process RSS delta after 1.5 s: ${f((rssSettled - rssBefore) / 2 ** 20)} MiB = ${f((rssSettled - rssBefore) / KEYS)} B/key`,
);
console.log(
  `JS heap delta: ${f((heapAfter - heapBefore) / 2 ** 20)} MiB = ${f((heapAfter - heapBefore) / KEYS)} B/key`,
);
