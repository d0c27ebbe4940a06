// The longest single ByteDict.setValue of the keyspace state HSET d3 meets after HSET d1024
// (bench:redis runs every d3 cell again after the d1024 ones): 100k fields of 1 KB values, then
// 200k random overwrites with 3-byte values. Each overwrite shrinks its record in place and
// counts 1021 dead bytes; when dead bytes pass half of the records, compact() rewrites every
// live record in one call: the pause behind HSET d3 P16's p99 (docs/BENCHMARKS.md).
//
//   bun bench/bytedict-compact-pause.ts [--fields 100000] [--writes 200000] [--root DIR]

import { resolve } from "node:path";

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : process.argv[i + 1]!;
}
const ROOT = resolve(opt("--root", resolve(import.meta.dir, "..")));
const FIELDS = Number(opt("--fields", "100000"));
const WRITES = Number(opt("--writes", "200000"));

const { ByteDict } = await import(`${ROOT}/src/store/bytedict.ts`);
const d = new ByteDict(true);
const enc = new TextEncoder();
const big = new Uint8Array(1024).fill(120);
const small = new Uint8Array(3).fill(120);
const keys: Uint8Array[] = [];
for (let i = 0; i < FIELDS; i++) keys.push(enc.encode(`element:${String(i).padStart(12, "0")}`));
for (const k of keys) d.add(k, 0, k.length, big, 0, big.length);

let seed = 0x9e3779b9;
const ms: number[] = [];
let total = 0;
for (let i = 0; i < WRITES; i++) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  const k = keys[(seed >>> 0) % FIELDS]!;
  const t = performance.now();
  d.setValue(d.find(k, 0, k.length), small, 0, small.length);
  const dt = performance.now() - t;
  total += dt;
  if (dt >= 1) ms.push(dt);
}
ms.sort((a, b) => b - a);
console.log(
  `root ${ROOT}: ${WRITES} overwrites 1024 -> 3 B of ${FIELDS} fields: total ${total.toFixed(0)} ms, ` +
    `longest ${ms
      .slice(0, 5)
      .map((x) => x.toFixed(1))
      .join(", ")} ms; ${ms.length} calls >= 1 ms; records now ${d.memoryBytes()} B`,
);
