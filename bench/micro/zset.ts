// Sorted set microbenchmarks (mitata): insert, score update, rank and ranges on sets of 1k,
// 100k and 1M members (16-byte members "m:00000000000042", random scores), plus bytes per
// member. Standalone: `bun bench/micro/zset.ts [filter-regex]`; or imported by the shared
// runner: `import { zsetBenches } from "./zset.ts"; zsetBenches();` before its run().
//
// Each benchmark does BATCH operations per iteration; read the results as time per BATCH ops.
// Insert is measured as insert+delete of BATCH fresh members so the set keeps its size.

import { bench, do_not_optimize, group, run, summary } from "mitata";
import { ZSet } from "../../src/store/zset.ts";

const BATCH = 1000;
const SIZES = [1_000, 100_000, 1_000_000];
const PICKS = 1 << 16;
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;

/** Member i as 16 bytes written into buf at off. */
function member(i: number, buf: Uint8Array, off: number): void {
  buf[off] = 109; // m
  buf[off + 1] = 58; // :
  for (let k = 15; k >= 2; k--) {
    buf[off + k] = 48 + (i % 10);
    i = Math.floor(i / 10);
  }
}

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed;
}

const memoryRows: string[] = [];

/** Register the sorted set groups with mitata (builds the sets: ~2 s for 1M members). */
export function zsetBenches(sizes: readonly number[] = SIZES): string[] {
  for (const n of sizes) {
    const z = new ZSet();
    const members = new Uint8Array(16 * n);
    for (let i = 0; i < n; i++) {
      member(i, members, i * 16);
      z.insert(members, i * 16, 16, rand() % 1_000_000_000);
    }
    memoryRows.push(
      `${n} members: ${(z.memoryBytes() / n).toFixed(1)} bytes/member, tree height ${z.height}`,
    );
    // Fresh members for insert+delete and random existing ones for the rest.
    const fresh = new Uint8Array(16 * BATCH);
    for (let i = 0; i < BATCH; i++) member(n + i, fresh, i * 16);
    // Many more picks than one batch, walked round-robin, so repeated iterations do not keep
    // hitting the same (then cache-resident) members.
    const picks = new Int32Array(PICKS);
    for (let i = 0; i < PICKS; i++) picks[i] = rand() % n;
    let p = 0;
    const pick = () => {
      p = (p + 1) & (PICKS - 1);
      return picks[p]!;
    };

    group(`zset ${n}`, () => {
      summary(() => {
        bench(`insert+delete x${BATCH} @${n}`, () => {
          for (let i = 0; i < BATCH; i++) z.insert(fresh, i * 16, 16, rand() % 1_000_000_000);
          for (let i = 0; i < BATCH; i++) z.delete(z.find(fresh, i * 16, 16));
        });
        bench(`score update x${BATCH} @${n}`, () => {
          for (let i = 0; i < BATCH; i++) {
            z.setScore(z.find(members, pick() * 16, 16), rand() % 1_000_000_000);
          }
        });
        bench(`rank x${BATCH} @${n}`, () => {
          let s = 0;
          for (let i = 0; i < BATCH; i++) s += z.rank(z.find(members, pick() * 16, 16));
          do_not_optimize(s);
        });
        bench(`range 10 by rank x${BATCH} @${n}`, () => {
          let s = 0;
          for (let i = 0; i < BATCH; i++) {
            z.seek(pick() % (n - 10));
            for (let k = 0; k < 10; k++) s += z.nextId();
          }
          do_not_optimize(s);
        });
        bench(`range 10 by score x${BATCH} @${n}`, () => {
          let s = 0;
          for (let i = 0; i < BATCH; i++) {
            const from = z.scoreRank(rand() % 1_000_000_000, false);
            const cnt = Math.min(10, z.size - from);
            if (cnt <= 0) continue;
            z.seek(from);
            for (let k = 0; k < cnt; k++) s += z.nextId();
          }
          do_not_optimize(s);
        });
      });
    });
  }

  return memoryRows;
}

if (import.meta.main) {
  const rows = zsetBenches();
  await run({ filter, colors: process.stdout.isTTY === true });
  console.log("\nMemory (memoryBytes() / members, 16-byte members):");
  for (const row of rows) console.log(`  ${row}`);
}
