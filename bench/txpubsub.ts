// Pub/sub fan-out and MULTI/EXEC, side by side with redis-server (both started here on free
// ports). Runs alternate between the servers, each figure is the median over the rounds.
//
//   PUBLISH to S subscribers (S = 1, 10, 100): one publisher pipelines PUBLISH in batches of
//   100; every subscriber is a raw socket counting bytes; the clock stops when every
//   subscriber has every message. Figure: messages delivered per second (messages x S / s).
//   MULTI + 10 SET + EXEC: 10 connections, each pipelining 20 transactions at a time.
//   Figure: transactions per second.
//
//   bun bench/txpubsub.ts [--rounds 3] [--quick]

import type { Socket } from "bun";
import { encodeCommand } from "../test/helpers/resp.ts";
import { type Running, startImds, startRedis } from "../test/helpers/servers.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const ri = args.indexOf("--rounds");
const ROUNDS = ri >= 0 ? Number(args[ri + 1]) : quick ? 1 : 3;
const TIMEOUT_MS = 60_000;

interface Counter {
  bytes: number;
}

async function subscriber(port: number, channel: string, c: Counter): Promise<Socket<undefined>> {
  let ready: () => void = () => {};
  const confirmed = new Promise<void>((r) => {
    ready = r;
  });
  let first = true;
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        if (first) {
          first = false;
          ready(); // the subscribe confirmation (small, one chunk)
          return;
        }
        c.bytes += d.length;
      },
    },
  });
  s.write(encodeCommand(["SUBSCRIBE", channel]));
  await confirmed;
  return s;
}

/** One fan-out run: messages delivered per second. */
async function fanout(port: number, subs: number, messages: number): Promise<number> {
  const channel = `ch${subs}`;
  const payload = "x".repeat(32);
  const frame = `*3\r\n$7\r\nmessage\r\n$${channel.length}\r\n${channel}\r\n$32\r\n${payload}\r\n`;
  const counters = Array.from({ length: subs }, () => ({ bytes: 0 }));
  const socks = await Promise.all(counters.map((c) => subscriber(port, channel, c)));
  let replies = 0;
  const pub = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        for (const b of d) if (b === 10) replies++;
      },
    },
  });
  const batch = Buffer.concat(
    Array.from({ length: 100 }, () => encodeCommand(["PUBLISH", channel, payload])),
  );
  const want = messages * frame.length;
  const t0 = performance.now();
  for (let sent = 0; sent < messages; sent += 100) {
    let b: Uint8Array = batch;
    while (b.length > 0) {
      const n = pub.write(b);
      b = b.subarray(n);
      if (b.length > 0) await Bun.sleep(0);
    }
    // keep at most ~2000 publishes in flight
    while (sent - replies > 2000) await Bun.sleep(0);
  }
  while (counters.some((c) => c.bytes < want)) {
    if (performance.now() - t0 > TIMEOUT_MS) throw new Error("fan-out run timed out");
    await Bun.sleep(1);
  }
  const secs = (performance.now() - t0) / 1000;
  pub.end();
  for (const s of socks) s.end();
  return (messages * subs) / secs;
}

/** MULTI + 10 SETs + EXEC from 10 connections: transactions per second. */
async function transactions(port: number, perConn: number): Promise<number> {
  const tx: Uint8Array[] = [encodeCommand(["MULTI"])];
  for (let i = 0; i < 10; i++) tx.push(encodeCommand(["SET", `tx:${i}`, "value-0123456789"]));
  tx.push(encodeCommand(["EXEC"]));
  const DEPTH = 20;
  const one = Buffer.concat(Array.from({ length: DEPTH }, () => Buffer.concat(tx)));
  // every transaction's reply ends with EXEC's array of 10 +OK: count "*10\r\n" headers
  const runs = Array.from({ length: 10 }, async () => {
    let done = 0;
    let tail = "";
    let wake: () => void = () => {};
    const s = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          const text = tail + d.toString("latin1");
          let i = text.indexOf("*10\r\n");
          while (i >= 0) {
            done++;
            i = text.indexOf("*10\r\n", i + 5);
          }
          tail = text.slice(-4);
          wake();
        },
      },
    });
    for (let sent = 0; sent < perConn; sent += DEPTH) {
      s.write(one);
      const deadline = performance.now() + TIMEOUT_MS;
      while (done < sent + DEPTH) {
        if (performance.now() > deadline) throw new Error("transaction run timed out");
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    }
    s.end();
  });
  const t0 = performance.now();
  await Promise.all(runs);
  return (10 * perConn) / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const [redis, imds] = await Promise.all([startRedis(), startImds()]);
  const servers: [string, Running][] = [
    ["imds", imds],
    ["redis", redis],
  ];
  const scale = quick ? 0.25 : 1;
  const cases: [string, (port: number) => Promise<number>][] = [
    ["PUBLISH -> 1 subscriber (msg/s)", (p) => fanout(p, 1, Math.round(200_000 * scale))],
    ["PUBLISH -> 10 subscribers (msg/s)", (p) => fanout(p, 10, Math.round(50_000 * scale))],
    ["PUBLISH -> 100 subscribers (msg/s)", (p) => fanout(p, 100, Math.round(10_000 * scale))],
    ["MULTI + 10 SET + EXEC (tx/s)", (p) => transactions(p, Math.round(2_000 * scale))],
  ];
  console.log(`rounds: ${ROUNDS}${quick ? " (quick)" : ""}`);
  console.log("| workload | imds | redis-server | imds/redis |\n|---|---:|---:|---:|");
  for (const [name, run] of cases) {
    const got: Record<string, number[]> = { imds: [], redis: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const [label, srv] of order) got[label]!.push(await run(srv.port));
    }
    const a = median(got.imds!);
    const b = median(got.redis!);
    console.log(
      `| ${name} | ${Math.round(a).toLocaleString("en")} | ${Math.round(b).toLocaleString("en")} | ${(a / b).toFixed(2)} |`,
    );
  }
  await Promise.all([redis.stop(), imds.stop()]);
}

await main();
