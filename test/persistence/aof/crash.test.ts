// Crash tests: the real server process (`bun src/main.ts`) with the AOF on, concurrent writers
// recording every acknowledged write of several types, kill -9 at a random moment, restart on
// the same directory; every acknowledged write must be there, and nothing that was never sent.
// Each writer has one command in flight at a time, so after a crash exactly one command per
// writer (sent, not acknowledged) may or may not have been applied.
//
// Bounded: IMDS_CRASH_CYCLES cycles (default 3, ~10-20 s); IMDS_CRASH_SEED replays one run.
//
// appendfsync always: a reply leaves after its fsync, so the guarantee holds even for a power
// loss. everysec and no write(2) before the reply, so a process crash (kill -9) loses nothing
// acknowledged either (the bytes are in the OS page cache); only an OS crash or power loss can
// lose the last second (docs/PERSISTENCE.md).

import { afterAll, expect, test } from "bun:test";
import { Prng } from "../../helpers/prng.ts";
import { RespConn } from "../../helpers/resp.ts";
import { type Running, startImds } from "../../helpers/servers.ts";
import { removeDir, tempDir } from "./helpers.ts";

const CYCLES = Number(process.env.IMDS_CRASH_CYCLES ?? 3);
const SEED = Number(process.env.IMDS_CRASH_SEED ?? Date.now() % 100000);
const WRITERS = 4;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

/** Writer w's op number `seq`: deterministic, so the expected state is a function of seqs. */
function op(w: number, seq: number): string[] {
  switch (seq % 5) {
    case 0:
      return ["SET", `w${w}:s${seq % 7}`, `v${seq}`];
    case 1:
      return ["INCR", `w${w}:n`];
    case 2:
      return ["ZADD", `w${w}:z`, String(seq), `m${seq}`];
    case 3:
      return ["APPEND", `w${w}:log`, `${seq},`];
    default:
      return ["SETEX", `w${w}:t${seq % 3}`, "100000", `t${seq}`];
  }
}

/** What writer w's keys hold after ops 1..n. */
function expected(w: number, n: number): Map<string, string | number | string[]> {
  const m = new Map<string, string | number | string[]>();
  let incr = 0;
  const members: string[] = [];
  let log = "";
  for (let s = 1; s <= n; s++) {
    const o = op(w, s);
    if (o[0] === "SET") m.set(o[1]!, o[2]!);
    else if (o[0] === "SETEX") m.set(o[1]!, o[3]!);
    else if (o[0] === "INCR") incr++;
    else if (o[0] === "ZADD") members.push(o[3]!);
    else log += o[2];
  }
  if (incr > 0) m.set(`w${w}:n`, String(incr));
  if (members.length > 0) m.set(`w${w}:z`, members);
  if (log !== "") m.set(`w${w}:log`, log);
  return m;
}

async function actual(c: RespConn, w: number): Promise<Map<string, string | number | string[]>> {
  const m = new Map<string, string | number | string[]>();
  const keys = ((await c.call("KEYS", `w${w}:*`)) as string[]).sort();
  for (const k of keys) {
    if (k.endsWith(":z")) m.set(k, (await c.call("ZRANGE", k, "0", "-1")) as string[]);
    else m.set(k, (await c.call("GET", k)) as string);
  }
  return m;
}

function same(a: Map<string, unknown>, b: Map<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (JSON.stringify(b.get(k)) !== JSON.stringify(v)) return false;
  return true;
}

/** The k <= acked (searched down from acked) whose expected state equals `got`, or -1. */
function prefixLength(got: Map<string, unknown>, w: number, acked: number): number {
  for (let k = acked - 1; k >= Math.max(0, acked - 5000); k--) {
    if (same(got, expected(w, k))) return k;
  }
  return -1;
}

/** The keys whose values differ, each with both values cut to their last 80 characters. */
function diffKeys(got: Map<string, unknown>, want: Map<string, unknown>): string {
  const tail = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v).slice(-80));
  const out: string[] = [];
  for (const k of new Set([...got.keys(), ...want.keys()])) {
    if (JSON.stringify(got.get(k)) !== JSON.stringify(want.get(k))) {
      out.push(`${k}: got ${tail(got.get(k))}, want ${tail(want.get(k))}`);
    }
  }
  return out.join("; ");
}

interface WriterState {
  acked: number; // last acknowledged op
  sent: number; // last op sent (acked or acked + 1)
}

/**
 * `always`: every acknowledged op must be there. `everysec`: Redis's rule lets a reply leave
 * before its write(2) while an fsync is still running (the write is postponed up to 2 s), so a
 * process crash may lose the acknowledged tail of those seconds, never more, and never leave a
 * hole or anything that was not sent: the state must be the one after some prefix of the ops.
 */
async function crashCycles(policy: string): Promise<void> {
  const tailLossAllowed = policy === "everysec";
  let maxTailLost = 0;
  const rng = new Prng(SEED);
  const dir = tempDir(`crash-${policy}`);
  dirs.push(dir);
  const flags = ["--dir", dir, "--appendonly", "yes", "--appendfsync", policy];
  const state: WriterState[] = Array.from({ length: WRITERS }, () => ({ acked: 0, sent: 0 }));
  let totalAcked = 0;
  for (let cycle = 0; cycle <= CYCLES; cycle++) {
    const srv: Running = await startImds(flags);
    // Check the state after the restart: acknowledged ops all there, at most the in-flight one
    // beyond them; then carry on from what is there.
    const check = await RespConn.open(srv.port);
    for (let w = 0; w < WRITERS; w++) {
      const st = state[w]!;
      const got = await actual(check, w);
      if (same(got, expected(w, st.acked))) st.sent = st.acked;
      else if (st.sent > st.acked && same(got, expected(w, st.sent))) st.acked = st.sent;
      else if (tailLossAllowed && prefixLength(got, w, st.acked) >= 0) {
        const k = prefixLength(got, w, st.acked);
        maxTailLost = Math.max(maxTailLost, st.acked - k);
        st.acked = k;
        st.sent = k;
      } else {
        throw new Error(
          `seed ${SEED} cycle ${cycle} writer ${w}: state matches neither ${st.acked} acknowledged ops nor ${st.sent} sent; keys that differ from the acknowledged state: ${diffKeys(got, expected(w, st.acked))}`,
        );
      }
    }
    check.close();
    if (cycle === CYCLES) {
      await srv.stop();
      break;
    }
    // Writers until kill -9 at a random moment.
    let stop = false;
    const writers = state.map(async (st, w) => {
      const c = await RespConn.open(srv.port);
      try {
        while (!stop) {
          const seq = st.acked + 1;
          st.sent = seq;
          const r = await c.call(...op(w, seq));
          if (typeof r === "object" && r !== null && !Array.isArray(r))
            throw new Error(`writer ${w} op ${seq}: ${JSON.stringify(r)}`);
          st.acked = seq;
          totalAcked++;
        }
      } catch {
        // the connection died with the server
      } finally {
        c.close();
      }
    });
    await Bun.sleep(150 + rng.int(900));
    srv.proc.kill(9);
    await srv.proc.exited;
    stop = true;
    await Promise.all(writers);
  }
  expect(totalAcked).toBeGreaterThan(CYCLES * 10);
  console.log(
    `crash test (${policy}, seed ${SEED}): ${CYCLES} kill -9 cycles, ${totalAcked} acknowledged writes, ` +
      (maxTailLost === 0
        ? "all present after restarts"
        : `a prefix always present; at most ${maxTailLost} acknowledged ops of a writer lost at the tail (postponed write)`),
  );
}

test(
  `kill -9 with appendfsync always loses no acknowledged write (${CYCLES} cycles)`,
  async () => {
    await crashCycles("always");
  },
  Math.max(120_000, CYCLES * 3000),
);

test(
  `kill -9 with appendfsync everysec: a prefix of the ops survives; only a postponed tail may go`,
  async () => {
    await crashCycles("everysec");
  },
  Math.max(120_000, CYCLES * 3000),
);
