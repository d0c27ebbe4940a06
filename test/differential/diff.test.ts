// Differential test: random command streams from every family in families/index.ts, sent to
// imds and to a real redis-server; the raw reply bytes must be identical. Only what Redis itself
// leaves unordered is normalised: a family's `unordered` commands compare as sorted elements,
// SCAN from cursor 0 is run to the end on both sides and the key sets compared, RANDOMKEY only
// has to name a key that exists. A second run does the same in RESP3 (after HELLO 3 on both).
//
//   DIFF_N=100000 DIFF_SEED=7 bun test test/differential/diff.test.ts
//
// CI runs a fixed seed and a bounded count. On a mismatch the test prints the seed, the command,
// both replies and the commands before it.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { parseReply, RespConn, showBytes } from "../helpers/resp.ts";
import { type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";
import { families } from "./families/index.ts";
import type { Arg } from "./gen.ts";
import { commandStream } from "./stream.ts";

const N = Number(process.env.DIFF_N ?? 5000);
const SEED = Number(process.env.DIFF_SEED ?? 20261125);
const BATCH = 200;
/** DIFF_STATS=1 prints how many replies per command were errors (to see what a run exercised). */
const stats = process.env.DIFF_STATS ? new Map<string, number>() : null;
/** Commands whose reply may differ between the servers (compared specially outside MULTI). */
const RANDOM_REPLY = new Set([
  "scan",
  "randomkey",
  "sscan",
  "hscan",
  "zscan",
  "srandmember",
  "hrandfield",
  "zrandmember",
  "spop",
]);
/** Bound on SCAN calls for one full iteration (keys are few; this is a hang guard). */
const MAX_SCAN_CALLS = 10000;

const skip = redisMissing("the differential test (test/differential/diff.test.ts)");

interface Target {
  name: string;
  send(cmds: Arg[][]): Promise<Uint8Array[]>;
  close(): void;
}

function respTarget(name: string, conn: RespConn): Target {
  return {
    name,
    send: async (cmds) => (await conn.pipeline(cmds)).map((r) => r.bytes),
    close: () => conn.close(),
  };
}

/** imds in this process (real decoder, table and encoder, no socket): until RESP is served. */
function inProcTarget(): Target {
  const p = new InProc(MODE_RESP2);
  return {
    name: "imds (in-process)",
    send: async (cmds) => cmds.map((c) => p.exec(...c)),
    close: () => {},
  };
}

let redis: Running | undefined;
let imds: Running | undefined;
let A: Target; // redis
let B: Target; // imds

beforeAll(async () => {
  if (skip) return;
  redis = await startRedis();
  A = respTarget("redis", await RespConn.open(redis.port));
  imds = await startImds();
  const conn = await RespConn.open(imds.port);
  // Over TCP RESP when the server speaks it; otherwise say so and use the in-process server.
  let speaksResp = false;
  try {
    const [r] = await conn.pipeline([["EXISTS", "probe"]], 3000);
    speaksResp = r !== undefined && showBytes(r.bytes) === showBytes(":0\r\n");
  } catch {}
  if (speaksResp) {
    B = respTarget("imds", conn);
  } else {
    conn.close();
    console.warn(
      "*** diff.test: imds does not serve RESP yet; comparing the in-process server ***",
    );
    B = inProcTarget();
  }
});

afterAll(async () => {
  A?.close();
  B?.close();
  await redis?.stop();
  await imds?.stop();
});

const latin1 = (b: Uint8Array) => {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
};
const argText = (a: Arg) => (typeof a === "string" ? a : latin1(a));
const show = (cmd: Arg[]) => JSON.stringify(cmd.map(argText));

/** The elements of an array reply, sorted, as one comparable string. */
function sortedElements(b: Uint8Array): string {
  const r = parseReply(b, 0, true);
  if (r === null || !Array.isArray(r[0])) return latin1(b);
  const v = r[0] as unknown[];
  // a SCAN-shaped reply [cursor, [elements]]: the cursor as is, the elements sorted
  if (v.length === 2 && typeof v[0] === "string" && Array.isArray(v[1])) {
    return `scan: ${v[0]} ${JSON.stringify((v[1] as unknown[]).map((x) => JSON.stringify(x)).sort())}`;
  }
  return `array: ${JSON.stringify(v.map((x) => JSON.stringify(x)).sort())}`;
}

class Mismatch extends Error {}

function report(i: number, cmd: Arg[], a: string, b: string, history: Arg[][]): never {
  const ctx = history
    .slice(-15)
    .map((c) => `    ${show(c)}`)
    .join("\n");
  throw new Mismatch(
    `differential mismatch (DIFF_SEED=${SEED}, command #${i}):\n  ${show(cmd)}\n` +
      `  ${A.name}: ${showBytes(a)}\n  ${B.name}: ${showBytes(b)}\n  preceded by:\n${ctx}`,
  );
}

/** Run SCAN from cursor 0 to the end on one target; the sorted key union or the error reply. */
async function fullScan(t: Target, opts: Arg[]): Promise<string> {
  const seen = new Set<string>();
  let cursor = "0";
  for (let calls = 0; calls < MAX_SCAN_CALLS; calls++) {
    const [raw] = await t.send([["SCAN", cursor, ...opts]]);
    const r = parseReply(raw!, 0, true)![0];
    if (!Array.isArray(r)) return latin1(raw!); // an error: compared as is
    cursor = r[0] as string;
    for (const k of r[1] as string[]) seen.add(k);
    if (cursor === "0") return `keys: ${JSON.stringify([...seen].sort())}`;
  }
  throw new Error(`${t.name}: SCAN did not finish within ${MAX_SCAN_CALLS} calls`);
}

/** Replay `n` random commands from `seed` on A and B, comparing every reply. */
async function runStream(seed: number, n: number): Promise<void> {
  const r = new Prng(seed);
  const stream = commandStream(r);
  const unordered = new Set(families.flatMap((f) => f.unordered ?? []));
  const normalizers = families.flatMap((f) => (f.normalize ? [f.normalize] : []));
  const history: Arg[][] = [];
  let batch: Arg[][] = [];
  let first = 0;
  let compared = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const [ra, rb] = await Promise.all([A.send(batch), B.send(batch)]);
    for (let j = 0; j < batch.length; j++) {
      const cmd = batch[j]!;
      const name = argText(cmd[0]!).toLowerCase();
      let a = latin1(ra[j]!);
      let b = latin1(rb[j]!);
      if (unordered.has(name)) {
        a = sortedElements(ra[j]!);
        b = sortedElements(rb[j]!);
      }
      for (const f of normalizers) {
        a = f(name, a);
        b = f(name, b);
      }
      if (a !== b) report(first + j, cmd, a, b, history.slice(0, first + j));
      if (stats) {
        const kind = `${name} ${ra[j]![0] === 45 ? "error" : "ok"}`;
        stats.set(kind, (stats.get(kind) ?? 0) + 1);
      }
      compared++;
    }
    first += batch.length;
    batch = [];
  };

  // Inside MULTI, a command with an unordered or random reply would land inside EXEC's array,
  // where it cannot be normalised: leave those out until EXEC / DISCARD (families/multi.ts).
  let inMulti = false;
  for (let i = 0; i < n; i++) {
    const cmd = stream.next();
    const name = argText(cmd[0]!).toLowerCase();
    if (name === "multi" && cmd.length === 1) inMulti = true;
    else if ((name === "exec" || name === "discard") && cmd.length === 1) inMulti = false;
    else if (inMulti && (unordered.has(name) || RANDOM_REPLY.has(name))) {
      compared++;
      continue;
    }
    if (name === "scan" && cmd[1] === "0") {
      await flush();
      const [a, b] = await Promise.all([fullScan(A, cmd.slice(2)), fullScan(B, cmd.slice(2))]);
      if (a !== b) report(i, cmd, a, b, history);
      history.push(cmd);
      first++;
      compared++;
      continue;
    }
    if (name === "randomkey" && cmd.length === 1) {
      await flush();
      const [[a], [b]] = await Promise.all([A.send([cmd]), B.send([cmd])]);
      const va = parseReply(a!, 0, true)![0];
      const vb = parseReply(b!, 0, true)![0];
      if ((va === null) !== (vb === null)) report(i, cmd, latin1(a!), latin1(b!), history);
      if (typeof vb === "string") {
        // imds's pick must exist in redis (the key spaces are equal if all else matched)
        const key = Uint8Array.from(vb, (ch) => ch.charCodeAt(0));
        const [e] = await A.send([["EXISTS", key]]);
        if (latin1(e!) !== ":1\r\n") {
          report(i, cmd, latin1(a!), `${latin1(b!)} (not a key in redis)`, history);
        }
      }
      history.push(cmd);
      first++;
      compared++;
      continue;
    }
    batch.push(cmd);
    history.push(cmd);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (stats)
    console.log(
      [...stats]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join("\n"),
    );
  expect(compared).toBe(n);
}

test.skipIf(skip)(
  `imds replies byte for byte as redis-server (N=${N}, seed=${SEED})`,
  () => runStream(SEED, N),
  600_000,
);

test.skipIf(skip)(
  `...and in RESP3 after HELLO 3 (N=${Math.ceil(N / 2)}, seed=${SEED + 1})`,
  async () => {
    // fresh data, new connections that switch to RESP3 first
    const [conn3a, conn3b] = await Promise.all([
      RespConn.open(redis!.port),
      RespConn.open(imds!.port),
    ]);
    await Promise.all([
      conn3a.pipeline([["FLUSHALL"], ["HELLO", "3"]]),
      conn3b.pipeline([["FLUSHALL"], ["HELLO", "3"]]),
    ]);
    A.close();
    B.close();
    A = respTarget("redis (RESP3)", conn3a);
    B = respTarget("imds (RESP3)", conn3b);
    await runStream(SEED + 1, Math.ceil(N / 2));
  },
  600_000,
);
