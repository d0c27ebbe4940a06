// In-process keyspace-table lookup cost: fill a Table with N random 16-byte keys (32-byte
// values), then time (process CPU) finds of random present keys and setValue of same-size values.
//   bun bench/micro/table-lookup.ts [keys=1000000] [ops=2000000]
import { Arena } from "../../src/store/arena.ts";
import { Table, TYPE_STRING } from "../../src/store/table.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const OPS = Number(process.argv[3] ?? 2_000_000);
const keys = new Uint8Array(N * 16);
let s = 0x12345678;
for (let i = 0; i < keys.length; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  keys[i] = s >>> 24;
}
const t = new Table(new Arena());
const val = new Uint8Array(32).fill(118);
for (let i = 0; i < N; i++) {
  const e = t.add(keys, i * 16, 16, TYPE_STRING, 32);
  t.setValue(e, val, 0, 32);
}
const order = new Int32Array(OPS);
for (let i = 0; i < OPS; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  order[i] = s % N;
}
function run(): number {
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    let c0 = process.cpuUsage();
    for (let i = 0; i < OPS; i++) sink += t.find(keys, order[i]! * 16, 16);
    const find = cpuNs(c0);
    c0 = process.cpuUsage();
    for (let i = 0; i < OPS; i++) {
      const e = t.find(keys, order[i]! * 16, 16);
      t.setValue(e, val, 0, 32);
    }
    const set = cpuNs(c0);
    console.log(`keys ${N}: find ${find.toFixed(1)} ns, find+setValue ${set.toFixed(1)} ns`);
  }
  return sink;
}
/** CPU time (user + system, this process) per op since c0, in ns: robust to a busy machine. */
function cpuNs(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / OPS;
}
if (run() === 42) console.log("");
