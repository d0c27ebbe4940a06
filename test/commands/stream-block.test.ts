// XREAD / XREADGROUP BLOCK on the shared blocking machinery, side by side with redis-server:
// the same multi-client scenario runs on both servers and the transcripts must be equal.

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { type Arg, RespConn } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("XREAD BLOCK compared with redis-server");
const servers = serverPair({ skip });

/** One scenario on one server: returns what each client saw, in order. */
async function scenario(port: number): Promise<string[]> {
  const [a, b, w] = await Promise.all([
    RespConn.open(port),
    RespConn.open(port),
    RespConn.open(port),
  ]);
  const log: string[] = [];
  const raw = async (c: RespConn, ...cmd: Arg[]) => (await c.raws([cmd], 5000))[0]!;
  try {
    log.push(await raw(w, "XADD", "s", "1-1", "f", "v1"));
    // "$" pinned at block time: the entry added later wakes the reader with exactly that entry.
    const pa = raw(a, "XREAD", "BLOCK", "0", "STREAMS", "s", "$");
    const pb = raw(b, "XREAD", "COUNT", "1", "BLOCK", "5000", "STREAMS", "s", "other", "$", "0");
    await Bun.sleep(60);
    log.push(await raw(w, "XADD", "s", "2-1", "f", "v2"));
    log.push(await pa, await pb);
    // Consumer group: ">" waits for new entries; both blocked readers get one entry each.
    log.push(await raw(w, "XGROUP", "CREATE", "s", "g", "$"));
    const pc = raw(
      a,
      "XREADGROUP",
      "GROUP",
      "g",
      "c1",
      "COUNT",
      "1",
      "BLOCK",
      "0",
      "STREAMS",
      "s",
      ">",
    );
    await Bun.sleep(30);
    const pd = raw(
      b,
      "XREADGROUP",
      "GROUP",
      "g",
      "c2",
      "COUNT",
      "1",
      "BLOCK",
      "0",
      "STREAMS",
      "s",
      ">",
    );
    await Bun.sleep(30);
    log.push(await raw(w, "MULTI"), await raw(w, "XADD", "s", "3-1", "f", "v3"));
    log.push(await raw(w, "XADD", "s", "4-1", "f", "v4"), await raw(w, "EXEC"));
    log.push(await pc, await pd);
    // A timeout is a null reply; inside MULTI BLOCK does not block.
    log.push(await raw(a, "XREAD", "BLOCK", "50", "STREAMS", "s", "$"));
    log.push(await raw(w, "MULTI"), await raw(w, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"));
    log.push(await raw(w, "EXEC"));
    log.push(await raw(w, "XPENDING", "s", "g"));
    // The stream goes while a group reader waits: -UNBLOCKED; its group goes: -NOGROUP; a plain
    // XREAD keeps waiting through a DEL and a key of another type, until its timeout.
    log.push(await raw(w, "XGROUP", "CREATE", "gone", "g", "$", "MKSTREAM"));
    const pe = raw(a, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "gone", ">");
    await Bun.sleep(30);
    log.push(await raw(w, "DEL", "gone"), await pe);
    log.push(await raw(w, "XGROUP", "CREATE", "gone", "g", "$", "MKSTREAM"));
    const pf = raw(a, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "gone", ">");
    await Bun.sleep(30);
    log.push(await raw(w, "XGROUP", "DESTROY", "gone", "g"), await pf);
    const pg = raw(b, "XREAD", "BLOCK", "300", "STREAMS", "gone", "$");
    await Bun.sleep(30);
    log.push(await raw(w, "DEL", "gone"), await raw(w, "SET", "gone", "x"), await pg);
    return log;
  } finally {
    a.close();
    b.close();
    w.close();
  }
}

test.skipIf(skip)(
  "XREAD/XREADGROUP BLOCK behave as redis-server's",
  async () => {
    const [ours, theirs] = [await scenario(servers.imds.port), await scenario(servers.redis.port)];
    expect(ours).toEqual(theirs);
    expect(ours[3]).toContain("v2");
  },
  20_000,
);
