// Transactions and pub/sub with several clients, run identically on imds and on a real
// redis-server: every scenario returns the raw replies (and pushed messages) each connection
// received, and the two transcripts must be equal byte for byte. What Redis leaves unordered
// (unsubscribe-all confirmations, PUBSUB CHANNELS) is sorted first. Then imds-only checks:
// CLIENT LIST fields, INFO, a slow subscriber cut off by client-output-buffer-limit pubsub,
// no_multi commands, EXEC as one unit (Server.units).

import { expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { MODE_RESP2, MODE_V1 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { serverPair } from "../helpers/pair.ts";
import { encodeCommand } from "../helpers/resp.ts";
import { RespRawConn } from "../helpers/resp-conn.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("the transaction / pub/sub comparison");

const servers = serverPair({ skip, redisFlags: ["--enable-debug-command", "yes"] });

type Cmd = (string | Uint8Array)[];

/** A scenario's view of one server: open connections, run commands, collect replies. */
class Script {
  readonly out: string[] = [];
  private conns: RespRawConn[] = [];
  constructor(readonly port: number) {}
  /** n new connections (destructure up to three). */
  async open(n: number): Promise<[RespRawConn, RespRawConn, RespRawConn]> {
    const cs = await Promise.all(Array.from({ length: n }, () => RespRawConn.open(this.port)));
    this.conns.push(...cs);
    return cs as [RespRawConn, RespRawConn, RespRawConn];
  }
  /** Send commands on c, record the next `expect` replies (default: one per command). */
  async run(c: RespRawConn, cmds: Cmd[], expect = cmds.length): Promise<string[]> {
    await c.send(...cmds);
    const r = await c.replies(expect);
    this.out.push(...r);
    return r;
  }
  /** Record `n` more replies (pushed messages) of c. */
  async more(c: RespRawConn, n: number, sorted = false): Promise<void> {
    const r = await c.replies(n);
    // sorted: the order is the server's own, and so are the running counts in it
    this.out.push(...(sorted ? r.map((x) => x.replace(/:\d+\r\n$/, ":n\r\n")).sort() : r));
  }
  close(): void {
    for (const c of this.conns) c.close();
  }
}

async function same(scenario: (s: Script) => Promise<void>): Promise<string[]> {
  const a = new Script(servers.redis.port);
  const b = new Script(servers.imds.port);
  try {
    await scenario(a);
    await scenario(b);
  } finally {
    a.close();
    b.close();
  }
  expect(b.out).toEqual(a.out);
  return a.out;
}

const w = (s: string): Cmd => s.split(" ");

test.skipIf(skip)(
  "WATCH: another client's write, FLUSHALL, SWAPDB, RENAME onto the key",
  async () => {
    const out = await same(async (s) => {
      const [a, b] = await s.open(2);
      await s.run(a, [w("FLUSHALL"), w("SET k 1"), w("WATCH k")]);
      await s.run(b, [w("SET k 2")]);
      await s.run(a, [w("MULTI"), w("GET k"), w("EXEC")]); // null: k changed
      await s.run(a, [w("WATCH k"), w("MULTI"), w("INCR k"), w("EXEC")]); // runs
      // FLUSHALL dirties a watched key that existed, not one that did not
      await s.run(a, [w("WATCH k"), w("WATCH missing")]);
      await s.run(b, [w("FLUSHALL")]);
      await s.run(a, [w("MULTI"), w("PING"), w("EXEC")]);
      await s.run(a, [w("WATCH missing")]);
      await s.run(b, [w("FLUSHALL")]);
      await s.run(a, [w("MULTI"), w("PING"), w("EXEC")]);
      // FLUSHDB of another database leaves it alone
      await s.run(a, [w("SET k 1"), w("WATCH k")]);
      await s.run(b, [w("SELECT 1"), w("SET k x"), w("FLUSHDB")]);
      await s.run(a, [w("MULTI"), w("GET k"), w("EXEC")]);
      // SWAPDB brings another value in
      await s.run(a, [w("WATCH k")]);
      await s.run(b, [w("SET k other"), w("SWAPDB 0 1")]);
      await s.run(a, [w("MULTI"), w("GET k"), w("EXEC")]);
      // RENAME onto the watched key; a write to an unwatched key does not matter
      await s.run(a, [w("SET src v"), w("WATCH dst")]);
      await s.run(b, [w("SELECT 0"), w("SET unrelated 1"), w("RENAME src dst")]);
      await s.run(a, [w("MULTI"), w("GET dst"), w("EXEC")]);
      // UNWATCH forgets; DISCARD unwatches too
      await s.run(a, [w("WATCH dst"), w("UNWATCH")]);
      await s.run(b, [w("SET dst 3")]);
      await s.run(a, [w("MULTI"), w("GET dst"), w("EXEC")]);
      await s.run(a, [w("WATCH dst"), w("MULTI"), w("DISCARD")]);
      await s.run(b, [w("SET dst 4")]);
      await s.run(a, [w("MULTI"), w("GET dst"), w("EXEC")]);
    });
    expect(out.filter((r) => r === "*-1\r\n").length).toBe(4);
  },
);

test.skipIf(skip)(
  "WATCH and expiry: expired since WATCH, noticed on access, already expired",
  async () => {
    await same(async (s) => {
      const [a, b] = await s.open(2);
      await s.run(a, [w("FLUSHALL"), w("DEBUG SET-ACTIVE-EXPIRE 0")]);
      // expires between WATCH and EXEC, nobody touches it: EXEC fails (isWatchedKeyExpired)
      await s.run(a, [w("SET e 1 PX 40"), w("WATCH e")]);
      await Bun.sleep(80);
      await s.run(a, [w("MULTI"), w("PING"), w("EXEC")]);
      // expires, another client's read deletes it: that is a change
      await s.run(a, [w("SET e 1 PX 40"), w("WATCH e")]);
      await Bun.sleep(80);
      await s.run(b, [w("GET e")]);
      await s.run(a, [w("MULTI"), w("PING"), w("EXEC")]);
      // already expired when watched: its deletion is no change, EXEC runs
      await s.run(a, [w("SET e 1 PX 20")]);
      await Bun.sleep(50);
      await s.run(a, [w("WATCH e")]);
      await s.run(b, [w("GET e")]);
      await s.run(a, [w("MULTI"), w("PING"), w("EXEC")]);
      // ...but recreating it is
      await s.run(a, [w("SET e 1 PX 20")]);
      await Bun.sleep(50);
      await s.run(a, [w("WATCH e")]);
      await s.run(b, [w("SET e 2")]);
      await s.run(a, [w("MULTI"), w("PING"), w("EXEC"), w("DEBUG SET-ACTIVE-EXPIRE 1")]);
    });
  },
);

test.skipIf(skip)("WATCH and eviction: an evicted watched key fails EXEC", async () => {
  await same(async (s) => {
    const [a, b] = await s.open(2);
    await s.run(a, [w("FLUSHALL"), w("CONFIG SET maxmemory-policy allkeys-random")]);
    await s.run(a, [w("SET w 1"), w("WATCH w")]);
    await s.run(b, [w("CONFIG SET maxmemory 1"), w("SET x y"), w("CONFIG SET maxmemory 0")]);
    await s.run(a, [w("MULTI"), w("EXISTS w"), w("EXEC")]);
    await s.run(a, [w("CONFIG SET maxmemory-policy noeviction")]);
    // OOM while queueing: even a read is refused inside MULTI, and EXEC aborts
    await s.run(a, [w("SET z 1"), w("CONFIG SET maxmemory 1")]);
    await s.run(a, [w("MULTI"), w("GET z"), w("EXEC"), w("CONFIG SET maxmemory 0")]);
  });
});

test.skipIf(skip)(
  "transactions: queue-time and run-time errors, nesting, RESET, QUIT",
  async () => {
    await same(async (s) => {
      const [a] = await s.open(1);
      await s.run(a, [w("FLUSHALL"), w("MULTI"), w("SET a 1"), w("ZADD a 1 m"), w("INCR a")]);
      await s.run(a, [w("EXEC"), w("GET a")]);
      await s.run(a, [w("MULTI"), w("MULTI"), w("WATCH a"), w("SET a 2"), w("EXEC")]);
      await s.run(a, [w("MULTI"), w("NOSUCH x"), w("SET a"), w("GET a"), w("EXEC"), w("GET a")]);
      await s.run(a, [w("MULTI"), w("CLIENT NOSUCH"), w("EXEC")]);
      await s.run(a, [w("MULTI"), w("EXEC x"), w("EXEC")]);
      await s.run(a, [w("EXEC"), w("DISCARD"), w("MULTI"), w("SET b 1"), w("DISCARD"), w("GET b")]);
      await s.run(a, [w("MULTI"), w("SET b 1"), w("RESET"), w("EXEC"), w("GET b")]);
      await s.run(a, [w("MULTI"), w("SELECT 3"), w("SET s 1"), w("EXEC"), w("GET s")]);
      await s.run(a, [w("MULTI"), w("PING"), w("QUIT")]);
    });
  },
);

test.skipIf(skip)(
  "pub/sub: delivery order, patterns, counts, RESP2 rules, unsubscribe-all",
  async () => {
    await same(async (s) => {
      const [sub1, sub2, pub] = await s.open(3);
      await s.run(sub1, [w("SUBSCRIBE news chat"), w("PSUBSCRIBE n* [cx]hat")], 4);
      await s.run(sub2, [w("SUBSCRIBE news"), w("PSUBSCRIBE *")], 2);
      await s.run(sub1, [w("GET x"), w("PING"), w("PING hi"), w("SUBSCRIBE news")]);
      const msgs: Cmd[] = [];
      for (let i = 0; i < 50; i++) msgs.push(["PUBLISH", i % 3 === 0 ? "chat" : "news", `m${i}`]);
      msgs.push(["PUBLISH", "nobody", "x"], ["PUBLISH", new Uint8Array([110, 0, 255]), "bin"]);
      await s.run(pub, msgs);
      // every message, in publish order, channel subscribers then patterns
      await s.more(sub1, 102);
      await s.more(sub2, 85);
      await s.run(pub, [
        w("PUBSUB NUMSUB news chat none"),
        w("PUBSUB NUMPAT"),
        w("PUBSUB CHANNELS x*"),
        w("PUBSUB CHANNELS a b"),
        w("PUBSUB HELP"),
        w("PUBSUB SHARDCHANNELS"),
      ]);
      const [chans] = await s.run(pub, [w("PUBSUB CHANNELS")], 1);
      s.out.pop();
      s.out.push(String(chans!.split("\r\n").sort())); // Redis's dict order is its own
      // unsubscribe-all: one confirmation per channel (any order), then the count reaches 0
      await sub1.send(w("UNSUBSCRIBE"));
      await s.more(sub1, 2, true);
      await s.run(sub1, [w("PUNSUBSCRIBE n*")]);
      await sub1.send(w("PUNSUBSCRIBE"));
      await s.more(sub1, 1);
      await s.run(sub1, [w("UNSUBSCRIBE"), w("PUNSUBSCRIBE"), w("SUNSUBSCRIBE"), w("GET x")]);
      // shard channels (standalone)
      await s.run(sub2, [w("SSUBSCRIBE s1 s2"), w("SUNSUBSCRIBE s1")], 3);
      await s.run(pub, [w("SPUBLISH s2 hello"), w("SPUBLISH s1 no"), w("PUBSUB SHARDNUMSUB s2")]);
      await s.more(sub2, 1);
      await s.run(sub2, [w("RESET"), w("GET x")]);
    });
  },
);

test.skipIf(skip)("pub/sub in RESP3: push messages, any command while subscribed", async () => {
  await same(async (s) => {
    const [a, b] = await s.open(2);
    await s.run(a, [w("HELLO 3")]);
    s.out.pop(); // HELLO names the client id
    await s.run(a, [w("SUBSCRIBE c"), w("PSUBSCRIBE c*"), w("SET k v"), w("GET k"), w("PING")]);
    await s.run(a, [w("PUBLISH c self")], 3); // own messages come before the reply
    await s.run(b, [w("PUBLISH c other")]);
    await s.more(a, 2);
    await s.run(a, [w("UNSUBSCRIBE c"), w("PUNSUBSCRIBE"), w("UNSUBSCRIBE"), w("PING")]);
  });
});

test.skipIf(skip)("keyspace notifications reach subscribers, inside EXEC too", async () => {
  await same(async (s) => {
    const [sub, a] = await s.open(2);
    await s.run(a, [w("FLUSHALL"), w("CONFIG SET notify-keyspace-events KEA")]);
    await s.run(sub, [w("PSUBSCRIBE __key*__:*")]);
    await s.run(a, [w("MULTI"), w("SET k 1"), w("INCRBY k 2"), w("DEL k"), w("EXEC")]);
    await s.more(sub, 6);
    await s.run(a, [w("CONFIG SET notify-keyspace-events Em"), w("GET nokey")]);
    await s.more(sub, 1);
    await s.run(a, [w("CONFIG SET notify-keyspace-events Ex"), w("SET t 1 PX 1")]);
    await Bun.sleep(20);
    await s.run(a, [w("GET t")]);
    await s.more(sub, 1);
    await s.run(a, [
      w("CONFIG SET notify-keyspace-events"),
      w("CONFIG GET notify-keyspace-events"),
    ]);
  });
});

test.skipIf(skip)(
  "CLIENT LIST shows multi=, sub=/psub=/ssub= and flags x, P; INFO counts",
  async () => {
    const [a, b] = await Promise.all([
      RespRawConn.open(servers.imds.port),
      RespRawConn.open(servers.imds.port),
    ]);
    await a.send(w("MULTI"), w("SET a 1"), w("GET a"));
    await a.replies(3);
    await b.send(w("SUBSCRIBE c1 c2"), w("PSUBSCRIBE p*"), w("SSUBSCRIBE s"));
    await b.replies(4);
    const c = await RespRawConn.open(servers.imds.port);
    await c.send(w("CLIENT LIST"), w("CLIENT LIST TYPE pubsub"), w("INFO stats"));
    const [list, pubsubList, info] = await c.replies(3);
    const line = (re: RegExp) => list!.split("\n").find((l) => re.test(l)) ?? "";
    expect(line(/ multi=2 /)).toContain("flags=x ");
    expect(line(/ sub=2 /)).toContain("flags=P ");
    expect(line(/ sub=2 /)).toContain(" psub=1 ssub=1 multi=-1 ");
    expect(pubsubList!.split("\n").filter((l) => l.includes("id=")).length).toBe(1);
    expect(info).toContain("pubsub_channels:2\r\n");
    expect(info).toContain("pubsub_patterns:1\r\n");
    expect(info).toContain("pubsubshard_channels:1\r\n");
    for (const x of [a, b, c]) x.close();
  },
);

test.skipIf(skip)("a slow subscriber is cut off by client-output-buffer-limit pubsub", async () => {
  const pub = await RespRawConn.open(servers.imds.port);
  await pub.send(["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 256kb 60"]);
  expect(await pub.replies(1)).toEqual(["+OK\r\n"]);
  // A subscriber that stops reading once subscribed (node's paused socket: the kernel buffers
  // fill, then imds's output queue grows past the limit).
  const slow: Socket = connect(servers.imds.port, "127.0.0.1");
  let got = 0;
  slow.on("data", (d) => {
    got += d.length;
    slow.pause();
  });
  slow.on("error", () => {});
  await new Promise<void>((r) => slow.on("connect", () => r()));
  slow.write(encodeCommand(["SUBSCRIBE", "flood"]));
  for (let t = 0; t < 200 && got === 0; t++) await Bun.sleep(5);
  const fast = await RespRawConn.open(servers.imds.port);
  await fast.send(w("SUBSCRIBE flood"));
  await fast.replies(1);
  const payload = "x".repeat(16 * 1024);
  let sent = 0;
  let receivers = ":2\r\n";
  // Bounded: 4000 x 16 KB = 64 MB at most; the cut comes after the kernel buffers + 1 MB.
  for (; sent < 4000 && receivers === ":2\r\n"; sent++) {
    await pub.send(["PUBLISH", "flood", payload]);
    receivers = (await pub.replies(1))[0] ?? "";
    // the fast subscriber keeps up
    await fast.replies(1);
  }
  expect(receivers).toBe(":1\r\n"); // the slow one is gone, the fast one still there
  expect(sent).toBeGreaterThan(64); // not before 1 MB was queued for it
  await pub.send(w("PUBSUB NUMSUB flood"));
  expect(await pub.replies(1)).toEqual(["*2\r\n$5\r\nflood\r\n:1\r\n"]);
  expect(servers.imds.output()).toMatch(/closed ASAP for overcoming of output buffer limits/);
  await pub.send(["CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60"]);
  await pub.replies(1);
  fast.close();
  pub.close();
  slow.destroy();
});

test("no_multi commands are refused inside MULTI and abort EXEC", () => {
  const p = new InProc(MODE_RESP2);
  // SAVE is no_multi in Redis 7.0's record (refused before it could run, so nothing is saved).
  expect(p.server.commands.get("save")!.flagNames).toContain("no_multi");
  expect(p.text("MULTI")).toBe("+OK\r\n");
  expect(p.text("SAVE")).toBe("-ERR Command not allowed inside a transaction\r\n");
  expect(p.text("EXEC")).toBe("-EXECABORT Transaction discarded because of previous errors.\r\n");
});

test("EXEC is one unit: Server.units begin/end around the queued commands only", () => {
  const p = new InProc(MODE_RESP2);
  const events: string[] = [];
  p.server.units.add({
    beginUnit: () => events.push("begin"),
    endUnit: () => events.push("end"),
  });
  p.server.keyspace.addObserver({
    keyModified: (_db, _b, _o, _l, _c, ev) => events.push(ev),
    flushed() {},
    swapped() {},
  });
  p.text("SET a 1");
  p.text("MULTI");
  p.text("SET a 2");
  p.text("INCR a");
  expect(events).toEqual(["set"]);
  expect(p.text("EXEC")).toBe("*2\r\n+OK\r\n:3\r\n");
  expect(events).toEqual(["set", "begin", "set", "incrby", "end"]);
  expect(p.server.units.active).toBe(false);
  // an aborted or WATCH-failed EXEC is no unit
  p.text("WATCH a");
  p.text("SET a 5");
  p.text("MULTI");
  p.text("GET a");
  expect(p.text("EXEC")).toBe("*-1\r\n");
  expect(events.filter((e) => e === "begin").length).toBe(1);
  expect(p.server.watches.size).toBe(0);
});

test("INFO commandstats counts EXEC once and each queued command when it runs", () => {
  const p = new InProc(MODE_RESP2);
  p.text("MULTI");
  p.text("SET a 1");
  p.text("INCR a");
  p.text("INCR a");
  const before = p.text("INFO commandstats");
  expect(before).not.toContain("cmdstat_incr");
  p.text("EXEC");
  const st = p.text("INFO commandstats");
  expect(st).toMatch(/cmdstat_exec:calls=1,/);
  expect(st).toMatch(/cmdstat_incr:calls=2,/);
  expect(st).toMatch(/cmdstat_multi:calls=1,/);
});

test("the v1 protocol: transactions, RESP2 rules untyped, PUSH frames typed after HELLO 3", () => {
  const frame = (status: number, body: string) => {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(body.length + 4, 0);
    b.writeUInt32BE(status, 4);
    return b.toString("latin1") + body;
  };
  const p = new InProc(MODE_V1);
  expect(p.text("MULTI")).toBe(frame(0, "OK"));
  expect(p.text("SET a 1")).toBe(frame(0, "QUEUED"));
  expect(p.text("EXEC")).toBe(frame(0, "OK"));
  expect(p.text("SUBSCRIBE ch")).toBe(frame(0, "subscribe\nch\n1"));
  expect(p.text("GET a")).toContain("ERR Can't execute 'get'");
  expect(p.text("PING")).toBe(frame(0, "pong\n"));
  expect(p.text("UNSUBSCRIBE")).toBe(frame(0, "unsubscribe\nch\n0"));
  const q = new InProc(MODE_V1);
  q.raw("HELLO", "3"); // raw(): text() would restore the reply mode HELLO changed
  q.raw("SUBSCRIBE", "ch");
  const out = q.raw("PUBLISH", "ch", "hi");
  // PUSH (status 9) of 3 elements, then the integer reply
  expect(out.charCodeAt(7)).toBe(9);
  expect(out).toContain("message");
  expect(out.endsWith("\u0000\u0000\u0000\u0001")).toBe(true);
});
