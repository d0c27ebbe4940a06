// Blocking commands on real sockets, each scenario run against imds and against a real
// redis-server: the transcripts (every reply each client got, in order, plus "-" where a
// client must still be waiting) must be equal. Covers FIFO order of waiters, one push waking
// exactly one waiter, timeouts, disconnects while blocked, LMOVE/BLMOVE into a key another
// client waits on, BZPOPMIN, BLMPOP COUNT, a key of the wrong type becoming "ready", input
// pipelined behind a blocked command, CLIENT UNBLOCK, INFO blocked_clients and `timeout`.

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { parseInfo } from "../helpers/resp.ts";
import { RespRawConn } from "../helpers/resp-conn.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("blocking commands vs redis-server");
const servers = serverPair({ skip, imdsAlone: true });

/** A scenario: drives clients on `port`, appends what they saw to `log`. */
type Scenario = (port: number, log: string[]) => Promise<void>;

const open = (port: number) => RespRawConn.open(port);
/** Let the server take the commands sent so far (and order the waiters). */
const settle = () => Bun.sleep(60);

/** Record that a client got nothing (still blocked), or its next reply. */
async function nothing(c: RespRawConn, log: string[], who: string): Promise<void> {
  await settle();
  log.push(`${who}: ${c.pendingBytes === 0 ? "-" : "UNEXPECTED REPLY"}`);
}
async function next(c: RespRawConn, log: string[], who: string): Promise<void> {
  const [r] = await c.replies(1, 5000);
  log.push(`${who}: ${JSON.stringify(r)}`);
}

async function withConns(port: number, n: number, fn: (cs: RespRawConn[]) => Promise<void>) {
  const cs = await Promise.all(Array.from({ length: n }, () => open(port)));
  try {
    await cs[0]!.call(["FLUSHALL"]);
    await fn(cs);
  } finally {
    for (const c of cs) c.close();
  }
}

const scenarios: Record<string, Scenario> = {
  "FIFO order; one push wakes exactly one waiter": (port, log) =>
    withConns(port, 4, async ([p, a, b, c]) => {
      for (const w of [a, b, c]) {
        await w!.send(["BLPOP", "q", "0"]);
        await settle();
      }
      log.push(...(await p!.call(["RPUSH", "q", "x1"])));
      await next(a!, log, "a");
      await nothing(b!, log, "b");
      await nothing(c!, log, "c");
      log.push(...(await p!.call(["RPUSH", "q", "x2", "x3", "x4"])));
      await next(b!, log, "b");
      await next(c!, log, "c");
      log.push(...(await p!.call(["LRANGE", "q", "0", "-1"])));
    }),
  "several keys: the first key pushed serves; BRPOP takes the tail": (port, log) =>
    withConns(port, 3, async ([p, a, b]) => {
      await a!.send(["BLPOP", "k1", "k2", "k3", "0"]);
      await b!.send(["BRPOP", "k2", "0"]);
      await settle();
      log.push(...(await p!.call(["RPUSH", "k2", "1", "2"])));
      await next(a!, log, "a");
      await next(b!, log, "b");
      log.push(...(await p!.call(["EXISTS", "k2"])));
    }),
  "timeouts (fractional), errors": (port, log) =>
    withConns(port, 2, async ([a]) => {
      const t0 = Date.now();
      await a!.send(["BLPOP", "q", "0.25"]);
      await next(a!, log, "a");
      const dt = Date.now() - t0;
      log.push(`waited ${dt >= 200 && dt < 3000 ? "about 0.25s" : `${dt} ms`}`);
      log.push(...(await a!.call(["BLPOP", "q", "-1"])));
      log.push(...(await a!.call(["BLPOP", "q", "x"])));
      log.push(...(await a!.call(["BRPOPLPUSH", "q", "d", "inf"])));
      log.push(...(await a!.call(["BZPOPMIN", "q", "1e400"])));
      log.push(...(await a!.call(["BLMOVE", "q", "d", "LEFT", "UP", "0"])));
      log.push(...(await a!.call(["BLMPOP", "0.01", "1", "q", "LEFT"])));
      log.push(...(await a!.call(["BZMPOP", "0.01", "1", "q", "MIN"])));
      log.push(...(await a!.call(["BRPOPLPUSH", "q", "d", "0.01"])));
    }),
  "a client that disconnects while blocked leaves no trace": (port, log) =>
    withConns(port, 3, async ([p, a, b]) => {
      await a!.send(["BLPOP", "q", "0"]);
      await settle();
      await b!.send(["BLPOP", "q", "0"]);
      await settle();
      a!.close();
      await settle();
      log.push(...(await p!.call(["RPUSH", "q", "v"])));
      await next(b!, log, "b");
      const info = parseInfo(String((await p!.call(["INFO", "clients"]))[0]));
      log.push(`blocked_clients ${info.get("blocked_clients")}`);
      log.push(...(await p!.call(["LLEN", "q"])));
    }),
  "LMOVE and BLMOVE into a key another client waits on": (port, log) =>
    withConns(port, 4, async ([p, a, b, c]) => {
      await a!.send(["BLPOP", "dst", "0"]);
      await settle();
      log.push(...(await p!.call(["RPUSH", "src", "v1", "v2"])));
      log.push(...(await p!.call(["LMOVE", "src", "dst", "LEFT", "RIGHT"])));
      await next(a!, log, "a");
      // chain: b moves from s2 into d2, where c waits
      await b!.send(["BLMOVE", "s2", "d2", "RIGHT", "LEFT", "0"]);
      await settle();
      await c!.send(["BRPOP", "d2", "0"]);
      await settle();
      log.push(...(await p!.call(["LPUSH", "s2", "w"])));
      await next(b!, log, "b");
      await next(c!, log, "c");
      log.push(...(await p!.call(["EXISTS", "s2", "d2", "dst"])));
      log.push(...(await p!.call(["LRANGE", "src", "0", "-1"])));
    }),
  "BZPOPMIN, BZPOPMAX, BZMPOP": (port, log) =>
    withConns(port, 4, async ([p, a, b, c]) => {
      await a!.send(["BZPOPMIN", "z", "0"]);
      await settle();
      await b!.send(["BZPOPMAX", "z", "0"]);
      await settle();
      await c!.send(["BZMPOP", "0", "2", "y", "z", "MIN", "COUNT", "5"]);
      await settle();
      log.push(...(await p!.call(["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"])));
      await next(a!, log, "a");
      await next(b!, log, "b");
      await next(c!, log, "c");
      log.push(...(await p!.call(["EXISTS", "z"])));
    }),
  "BLMPOP COUNT takes what is there": (port, log) =>
    withConns(port, 3, async ([p, a, b]) => {
      await a!.send(["BLMPOP", "0", "2", "q1", "q2", "RIGHT", "COUNT", "2"]);
      await settle();
      await b!.send(["BLMPOP", "0", "1", "q2", "LEFT", "COUNT", "10"]);
      await settle();
      log.push(...(await p!.call(["RPUSH", "q2", "1", "2", "3"])));
      await next(a!, log, "a");
      await next(b!, log, "b");
    }),
  "a key of another type is not served; blocked on a list then pushed": (port, log) =>
    withConns(port, 2, async ([p, a]) => {
      await a!.send(["BLPOP", "k", "0"]);
      await settle();
      log.push(...(await p!.call(["SET", "k", "str"])));
      await nothing(a!, log, "a");
      log.push(...(await p!.call(["DEL", "k"])));
      log.push(...(await p!.call(["RPUSH", "k", "v"])));
      await next(a!, log, "a");
    }),
  "input pipelined behind a blocked command waits for it": (port, log) =>
    withConns(port, 2, async ([p, a]) => {
      await a!.send(["BLPOP", "q", "0"], ["PING"], ["RPUSH", "q", "self"], ["LLEN", "q"]);
      await nothing(a!, log, "a");
      log.push(...(await p!.call(["RPUSH", "q", "v"])));
      const rs = await a!.replies(4, 5000);
      log.push(`a: ${JSON.stringify(rs)}`);
    }),
  "CLIENT UNBLOCK, CLIENT LIST flag b, blocked_clients": (port, log) =>
    withConns(port, 3, async ([p, a, b]) => {
      const idA = String((await a!.call(["CLIENT", "ID"]))[0]).slice(1, -2);
      const idB = String((await b!.call(["CLIENT", "ID"]))[0]).slice(1, -2);
      await a!.send(["BLPOP", "q", "0"]);
      await b!.send(["BZPOPMIN", "z", "100"]);
      await settle();
      const list = String((await p!.call(["CLIENT", "LIST"]))[0]);
      const flagsOf = (id: string) => new RegExp(`id=${id} .*flags=(\\S+)`).exec(list)?.[1];
      log.push(`flags a=${flagsOf(idA)} b=${flagsOf(idB)}`);
      const info = parseInfo(String((await p!.call(["INFO", "clients"]))[0]));
      log.push(`blocked_clients ${info.get("blocked_clients")}`);
      log.push(`clients_in_timeout_table ${info.get("clients_in_timeout_table")}`);
      log.push(...(await p!.call(["CLIENT", "UNBLOCK", idA])));
      await next(a!, log, "a");
      log.push(...(await p!.call(["CLIENT", "UNBLOCK", idB, "ERROR"])));
      await next(b!, log, "b");
      log.push(...(await p!.call(["CLIENT", "UNBLOCK", idB])));
      log.push(...(await p!.call(["CLIENT", "UNBLOCK", idB, "maybe"])));
      log.push(...(await a!.call(["PING"])));
    }),
  "RENAME, MOVE and SWAPDB make a waited key ready": (port, log) =>
    withConns(port, 3, async ([p, a, b]) => {
      await a!.send(["BLPOP", "dst", "0"]);
      await b!.send(["SELECT", "1"], ["BLPOP", "m", "0"]);
      await settle();
      log.push(...(await p!.call(["RPUSH", "src", "r1"], ["RENAME", "src", "dst"])));
      await next(a!, log, "a");
      log.push(...(await p!.call(["RPUSH", "m", "m1"], ["MOVE", "m", "1"])));
      log.push(...(await b!.replies(2, 5000)));
      await a!.send(["BLPOP", "sw", "0"]);
      await settle();
      log.push(...(await p!.call(["SELECT", "2"], ["RPUSH", "sw", "s1"], ["SWAPDB", "0", "2"])));
      await next(a!, log, "a");
      log.push(...(await p!.call(["SELECT", "0"], ["DBSIZE"], ["SELECT", "2"], ["DBSIZE"])));
    }),
  "RESP3 timeout reply; BLPOP k k; the deadline survives a wrong-type wake-up": (port, log) =>
    withConns(port, 3, async ([p, a, b]) => {
      await a!.call(["HELLO", "3"]);
      await a!.send(["BLPOP", "q", "0.1"]);
      await next(a!, log, "a");
      await b!.send(["BLPOP", "k", "k", "0"]);
      await settle();
      log.push(...(await p!.call(["RPUSH", "k", "1", "2"])));
      await next(b!, log, "b");
      log.push(...(await p!.call(["LLEN", "k"], ["DEL", "k"])));
      const t0 = Date.now();
      await b!.send(["BLPOP", "k", "0.4"]);
      await settle();
      log.push(...(await p!.call(["SET", "k", "s"])));
      await next(b!, log, "b");
      log.push(`timed out after ${Date.now() - t0 >= 350 ? "the full timeout" : "too little"}`);
    }),
  "BLMOVE served into a destination of the wrong type: WRONGTYPE, nothing moved": (port, log) =>
    withConns(port, 2, async ([p, a]) => {
      log.push(...(await p!.call(["SET", "dst", "x"])));
      await a!.send(["BLMOVE", "src", "dst", "LEFT", "LEFT", "0"]);
      await settle();
      log.push(...(await p!.call(["RPUSH", "src", "v"])));
      await next(a!, log, "a");
      log.push(...(await p!.call(["LRANGE", "src", "0", "-1"], ["GET", "dst"])));
    }),
  "blocked clients are exempt from `timeout`": (port, log) =>
    withConns(port, 2, async ([p, a]) => {
      log.push(...(await p!.call(["CONFIG", "SET", "timeout", "1"])));
      try {
        await a!.send(["BLPOP", "q", "2.2"]);
        await next(a!, log, "a");
        log.push(`closed ${a!.closed}`);
        log.push(`idle producer closed ${await p!.waitClosed(3000)}`);
      } finally {
        const q = await open(port); // p was idle past `timeout`
        await q.call(["CONFIG", "SET", "timeout", "0"]);
        q.close();
      }
    }),
};

for (const [name, run] of Object.entries(scenarios)) {
  test.skipIf(skip)(
    `blocking: ${name}`,
    async () => {
      const ours: string[] = [];
      const theirs: string[] = [];
      await Promise.all([run(servers.imds.port, ours), run(servers.redis.port, theirs)]);
      if (process.env.SHOW) console.log(name, ours);
      expect(ours).toEqual(theirs);
      expect(ours.some((l) => l.includes("UNEXPECTED"))).toBe(false);
    },
    20000,
  );
}
