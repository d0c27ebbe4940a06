// The write signal against Redis's keyspace notifications. Every write in imds goes through one
// signal (CommandContext.keyModified -> Keyspace observers) that WATCH, notifications and
// persistence hang from. Here an observer records (db, event, key) for a random stream of
// string, key, expiry and sorted set commands run in process, and the same stream runs on a
// real redis-server with notify-keyspace-events KEA, whose __keyevent@*__ messages a
// subscriber collects. The two event sequences must be equal, in order. "expired" events are
// left out: when a lazily expired key is noticed differed between the two servers in runs of
// this stream (a key swapped through SWAPDB with a past EXAT), and expired_keys is compared by
// stats.test.ts.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import type { KeyObserver } from "../../src/store/notify.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { encodeCommand, parseReply, RespConn } from "../helpers/resp.ts";
import { type Running, redisMissing, startRedis } from "../helpers/servers.ts";
import { expireFamily } from "./families/expire.ts";
import { hashFamily } from "./families/hash.ts";
import { keysFamily } from "./families/keys.ts";
import { listFamily } from "./families/list.ts";
import { scriptingFamily } from "./families/scripting.ts";
import { setFamily } from "./families/set.ts";
import { streamFamily } from "./families/stream.ts";
import { stringsFamily } from "./families/strings.ts";
import { zsetFamily } from "./families/zset.ts";
import type { Arg } from "./gen.ts";
import { commandStream } from "./stream.ts";

const N = Math.max(1000, Math.floor(Number(process.env.DIFF_N ?? 5000) / 2));
const SEED = Number(process.env.DIFF_SEED ?? 20261202);
const skip = redisMissing("the write-signal vs keyspace-notification comparison");

let redis: Running | undefined;
let cmdConn: RespConn;
let subConn: RespConn;
beforeAll(async () => {
  if (skip) return;
  redis = await startRedis(["--notify-keyspace-events", "KEA"]);
  [cmdConn, subConn] = await Promise.all([RespConn.open(redis.port), RespConn.open(redis.port)]);
  await cmdConn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
  await subConn.conn.send(encodeCommand(["PSUBSCRIBE", "__keyevent@*__:*"]));
});
afterAll(async () => {
  cmdConn?.close();
  subConn?.close();
  await redis?.stop();
});

const latin1 = (b: Uint8Array, off: number, len: number) =>
  Buffer.from(b.subarray(off, off + len)).toString("latin1");

/** Read the subscriber's messages up to the PONG that fences them: "db event key" each. */
async function redisEvents(): Promise<string[]> {
  await subConn.conn.send(encodeCommand(["PING", "fence"]));
  const out: string[] = [];
  let buf = new Uint8Array(0);
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = parseReply(buf, 0, true);
    if (r === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timeout reading keyspace events");
      const more = await subConn.conn.read(Math.max(1, subConn.conn.available), left);
      const m = new Uint8Array(buf.length + more.length);
      m.set(buf);
      m.set(more, buf.length);
      buf = m;
      continue;
    }
    buf = buf.slice(r[1]);
    const v = r[0] as string[];
    if (v[0] === "pong") return out;
    if (v[0] !== "pmessage") continue; // the psubscribe confirmation
    const m = /^__keyevent@(\d+)__:(.*)$/.exec(v[2]!)!;
    if (m[2] !== "expired") out.push(`${m[1]} ${m[2]} ${v[3]}`);
  }
}

test.skipIf(skip)(
  `every write signals the event Redis notifies (N=${N}, seed=${SEED})`,
  async () => {
    const p = new InProc(MODE_RESP2);
    await p.server.scripts.init(); // the Lua engine, for the scripting family (in process)
    p.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    const ours: string[] = [];
    const observer: KeyObserver = {
      keyModified(db, buf, off, len, _cls, event) {
        if (event !== "expired") ours.push(`${db} ${event} ${latin1(buf, off, len)}`);
      },
      flushed() {},
      swapped() {},
    };
    p.server.keyspace.addObserver(observer);
    const stream = commandStream(new Prng(SEED), [
      stringsFamily,
      keysFamily,
      expireFamily,
      zsetFamily,
      hashFamily,
      listFamily,
      setFamily,
      scriptingFamily,
      streamFamily,
    ]);
    let batch: Arg[][] = [];
    let compared = 0;
    const flush = async () => {
      await cmdConn.pipeline(batch);
      const theirs = await redisEvents();
      expect(ours).toEqual(theirs);
      compared += theirs.length;
      ours.length = 0;
      batch = [];
    };
    for (let i = 0; i < N; i++) {
      const cmd = stream.next();
      const name = String(cmd[0]).toLowerCase();
      // Random picks (and the lazy expiry they trigger) differ between the two servers.
      if (name === "randomkey" || name === "scan" || name === "keys") continue;
      // (the scripting family never wraps those)
      batch.push(cmd);
      p.call(...cmd);
      if (batch.length >= Number(process.env.KEYEV_BATCH ?? 100)) await flush();
    }
    await flush();
    expect(compared).toBeGreaterThan(N / 4);
  },
);
