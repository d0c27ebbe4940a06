// Differential test of the sorted set commands against a real redis-server: the same random
// command stream (test/differential/families/zset.ts) goes to redis-server over RESP and to an
// in-process imds server (test/helpers/inproc.ts); raw replies must match byte for byte, in RESP2 and
// RESP3. Skips loudly when redis-server is not installed.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MODE_RESP2, MODE_RESP3 } from "../../src/protocol/reply.ts";
import type { ZSet } from "../../src/store/zset.ts";
import { zsetFamily } from "../differential/families/zset.ts";
import type { Arg, KeyPicker } from "../differential/gen.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startRedis } from "../helpers/servers.ts";

/** In-process server; big ZADDs need more than the default v1-max-args (1024). */
const zsetInProc = () => new InProc(MODE_RESP2, { "v1-max-args": String(1 << 20) });

const skip = redisMissing("the sorted set differential test");
let redis: Running | null = null;

beforeAll(async () => {
  if (!skip) redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const show = (parts: Arg[]) =>
  parts.map((p) => (typeof p === "string" ? p : `<${p.length}b>`)).join(" ");

async function runStream(seed: number, n: number, resp3: boolean): Promise<number> {
  const conn = await RespConn.open(redis!.port);
  try {
    await conn.raw("FLUSHALL");
    if (resp3) await conn.raw("HELLO", "3");
    const h = zsetInProc();
    const mode = resp3 ? MODE_RESP3 : MODE_RESP2;
    const r = new Prng(seed);
    const keyNames = ["z1", "z2", "z3", "str"];
    const keys: KeyPicker = { key: () => keyNames[r.int(keyNames.length)]! };
    const cmds: Arg[][] = [];
    for (let i = 0; i < n; i++) {
      const roll = r.int(100);
      if (roll === 0) cmds.push(["DEL", keys.key()]);
      else if (roll === 1) cmds.push(["SET", "str", "x"]);
      else cmds.push(zsetFamily.gens[r.int(zsetFamily.gens.length)]!(r, keys));
    }
    const wants = await conn.raws(cmds, 30000);
    let compared = 0;
    for (let i = 0; i < n; i++) {
      const cmd = cmds[i]!;
      const want = wants[i]!;
      const got = h.text(cmd, mode);
      if (got !== want) {
        throw new Error(
          `seed ${seed} step ${i} (${resp3 ? "RESP3" : "RESP2"}): ${show(cmd)}\n  redis: ${JSON.stringify(want)}\n  imds:  ${JSON.stringify(got)}`,
        );
      }
      compared++;
    }
    return compared;
  } finally {
    conn.close();
  }
}

describe.skipIf(skip)("sorted sets vs redis-server", () => {
  test("RESP2 random command streams", async () => {
    for (let seed = 1; seed <= 12; seed++) expect(await runStream(seed, 3000, false)).toBe(3000);
  }, 120000);
  test("RESP3 random command streams", async () => {
    for (let seed = 101; seed <= 106; seed++) expect(await runStream(seed, 3000, true)).toBe(3000);
  }, 120000);
});

/**
 * Large sets (past Redis's listpack limits, several tree levels here) with the commands whose
 * replies do not depend on hash order: ZSCAN and ZRANDMEMBER are left out.
 */
async function runLarge(seed: number, n: number): Promise<number> {
  const conn = await RespConn.open(redis!.port);
  try {
    await conn.raw("FLUSHALL");
    const h = zsetInProc();
    const r = new Prng(seed);
    // Preload two big sets with many ties on score so member order matters too.
    const setup: Arg[][] = [];
    for (const key of ["big1", "big2"]) {
      for (let b = 0; b < 10; b++) {
        const cmd: Arg[] = ["ZADD", key];
        for (let i = 0; i < 600; i++) cmd.push(String(r.int(200)), `m${r.int(20000)}`);
        setup.push(cmd);
      }
    }
    const keyNames = ["big1", "big2", "z3"];
    const keys: KeyPicker = { key: () => keyNames[r.int(keyNames.length)]! };
    const bigMember = () => `m${r.int(20000)}`;
    const cmds: Arg[][] = [...setup];
    const skipNames = new Set(["ZSCAN", "ZRANDMEMBER"]);
    while (cmds.length < n) {
      const cmd = zsetFamily.gens[r.int(zsetFamily.gens.length)]!(r, keys);
      if (skipNames.has(String(cmd[0]))) continue;
      // Point lookups at members that exist in the big sets.
      if (cmd[0] === "ZRANK" || cmd[0] === "ZREVRANK" || cmd[0] === "ZSCORE") cmd[2] = bigMember();
      if (cmd[0] === "ZREMRANGEBYRANK" && r.int(3) !== 0) continue; // keep the sets big
      cmds.push(cmd);
    }
    const wants = await conn.raws(cmds, 30000);
    let compared = 0;
    for (let i = 0; i < cmds.length; i++) {
      const got = h.text(cmds[i]!, MODE_RESP2);
      if (got !== wants[i]) {
        throw new Error(
          `large seed ${seed} step ${i}: ${show(cmds[i]!)}\n  redis: ${JSON.stringify(wants[i]!.slice(0, 300))}\n  imds:  ${JSON.stringify(got.slice(0, 300))}`,
        );
      }
      compared++;
      if (i === setup.length - 1) {
        // The preload really built multi-level trees (else this test proves less than it says).
        const t = h.server.keyspace.db(0);
        const e = t.find(new TextEncoder().encode("big1"), 0, 4);
        expect((t.getObj(e) as ZSet).height).toBeGreaterThanOrEqual(2);
      }
    }
    return compared;
  } finally {
    conn.close();
  }
}

describe.skipIf(skip)("large sorted sets vs redis-server", () => {
  test("multi-level trees: ranges, ranks, removals and set algebra", async () => {
    const seeds = Number(process.env.ZSET_LARGE_SEEDS ?? 4);
    for (let seed = 201; seed < 201 + seeds; seed++) expect(await runLarge(seed, 2000)).toBe(2000);
  }, 120000);
});
