// The client against the real server (and, for typed replies and protocol
// faults, against a tiny in-process server that answers with Reply frames).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  ConnectionError,
  connect,
  ReplyError,
  toText,
  type Value,
} from "../../src/client/index.ts";
import { OutBuf } from "../../src/protocol/outbuf.ts";
import { MODE_V1_TYPED, Reply } from "../../src/protocol/reply.ts";
import { Prng } from "../helpers/prng.ts";
import { freePort, type Running, startImds } from "../helpers/servers.ts";

let srv: Running;
beforeAll(async () => {
  srv = await startImds();
});
afterAll(async () => {
  await srv.stop();
});

describe("against the real server", () => {
  test("get/set/del and string convenience", async () => {
    const db = await connect({ port: srv.port });
    await db.set("c:k", "héllo");
    expect(await db.getString("c:k")).toBe("héllo");
    expect(await db.get("c:k")).toEqual(new TextEncoder().encode("héllo"));
    expect(await db.get("c:missing")).toBeNull();
    expect(await db.getString("c:missing")).toBeNull();
    expect(await db.del("c:k")).toBe(1);
    expect(await db.del("c:k")).toBe(0);
    await db.set("c:a", "1");
    await db.set("c:b", "2");
    expect(await db.del("c:a", "c:b", "c:none")).toBe(2);
    await db.close();
  });

  test("binary values round-trip byte for byte (all 256 byte values, 1 MiB)", async () => {
    const db = await connect({ port: srv.port });
    const p = new Prng(7);
    const key = new Uint8Array([0, 1, 2, 255, 10, 13]);
    const all = new Uint8Array(256).map((_, i) => i);
    await db.set(key, all);
    expect(await db.get(key)).toEqual(all);
    const big = p.bytes(1 << 20);
    await db.set("c:big", big);
    expect(await db.get("c:big")).toEqual(big);
    await db.set("c:empty", new Uint8Array(0));
    expect(await db.get("c:empty")).toEqual(new Uint8Array(0));
    await db.close();
  });

  test("10k requests in flight resolve in order (one batch, large values: partial writes)", async () => {
    const db = await connect({ port: srv.port });
    const n = 10_000;
    const val = (i: number) => `${i}:`.padEnd(1000, "x");
    // Made in one tick: one buffer of ~10 MB, more than the socket takes at once.
    const sets: Promise<void>[] = [];
    for (let i = 0; i < n; i++) sets.push(db.set(`c:p${i}`, val(i)));
    expect(db.pending).toBe(n);
    await Promise.all(sets);
    const gets: Promise<string | null>[] = [];
    for (let i = 0; i < n; i++) gets.push(db.getString(`c:p${i % 2 === 0 ? i : `none${i}`}`));
    const got = await Promise.all(gets);
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) expect(got[i]).toBe(val(i));
      else expect(got[i]).toBeNull();
    }
    expect(db.pending).toBe(0);
    await db.close();
  });

  test("error replies reject with ReplyError and do not disturb the order", async () => {
    const db = await connect({ port: srv.port });
    const a = db.call("set", "c:e", "1");
    const b = db.call("nosuchcommand", "x");
    const c = db.call("get");
    const d = db.getString("c:e");
    expect(toText(await a)).toBe("OK");
    const eb = await b.then(
      () => null,
      (e) => e,
    );
    expect(eb).toBeInstanceOf(ReplyError);
    expect(eb.message).toBe("ERR unknown command");
    expect(eb.code).toBe("ERR");
    await expect(c).rejects.toThrow("ERR wrong number of arguments");
    expect(await d).toBe("1");
    await db.close();
  });

  test("close() waits for replies in flight, later calls reject", async () => {
    const db = await connect({ port: srv.port });
    const p = db.set("c:close", "v");
    await db.close();
    await p; // answered before the socket closed
    await expect(db.get("c:close")).rejects.toBeInstanceOf(ConnectionError);
  });

  test("connection refused: a ConnectionError saying so", async () => {
    const port = freePort();
    const err = await connect({ port }).then(
      () => null,
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe("ECONNREFUSED");
    expect(err.message).toBe(`Could not connect to imds at 127.0.0.1:${port}: Connection refused`);
  });

  test("typed: 'auto' connects either way; typed: true fails clearly if HELLO is unknown", async () => {
    const db = await connect({ port: srv.port, typed: "auto" });
    const hello = await connect({ port: srv.port }).then(async (c) => {
      const r = await c.call("hello", "3").then(
        () => true,
        () => false,
      );
      await c.close();
      return r;
    });
    expect(db.typed).toBe(hello);
    await db.set("c:t", "v");
    expect(await db.getString("c:t")).toBe("v");
    await db.close();
    const strict = connect({ port: srv.port, typed: true });
    if (hello) {
      const c = await strict;
      expect(c.typed).toBe(true);
      expect(await c.call("del", "c:t", "c:none")).toBe(1); // a real integer
      await c.close();
    } else {
      await expect(strict).rejects.toBeInstanceOf(ReplyError);
    }
  });
});

describe("connection loss and reconnect", () => {
  test("server killed mid-flight: every pending request rejects, none hangs", async () => {
    const own = await startImds();
    const db = await connect({ port: own.port });
    await db.set("k", "v");
    // Frozen, the server answers nothing: all 5000 are in flight when it dies.
    own.proc.kill("SIGSTOP");
    const inflight: Promise<Value>[] = [];
    for (let i = 0; i < 5000; i++) inflight.push(db.call("set", `k${i}`, "x".repeat(2000)));
    await Bun.sleep(50);
    expect(db.pending).toBe(5000);
    own.proc.kill(9);
    const results = await Promise.allSettled(inflight);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.length).toBe(5000);
    const reason = (rejected[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(ConnectionError);
    expect(reason.message).toContain(`127.0.0.1:${own.port}`);
    expect(db.connected).toBe(false);
    // Without reconnect, later calls reject at once.
    await expect(db.get("k")).rejects.toThrow(/not connected/);
    db.destroy();
    await own.proc.exited;
  });

  test("reconnect: the next call after a loss connects again", async () => {
    // One server process, the connection dropped by the server side (CLIENT KILL may
    // not exist yet): a proxy we can cut.
    const proxyPort = freePort();
    let cut: (() => void) | null = null;
    const proxy = Bun.listen<{ up: import("bun").Socket<undefined> | null; buf: Uint8Array[] }>({
      hostname: "127.0.0.1",
      port: proxyPort,
      socket: {
        async open(s) {
          s.data = { up: null, buf: [] };
          cut = () => s.end();
          const up = await Bun.connect({
            hostname: "127.0.0.1",
            port: srv.port,
            socket: {
              data(_u, chunk) {
                s.write(chunk);
              },
              close() {
                s.end();
              },
            },
          });
          s.data.up = up;
          for (const b of s.data.buf) up.write(b);
        },
        data(s, chunk) {
          if (s.data.up) s.data.up.write(chunk);
          else s.data.buf.push(new Uint8Array(chunk));
        },
        close(s) {
          s.data.up?.end();
        },
      },
    });
    try {
      const db = await connect({ port: proxyPort, reconnect: { attempts: 5, delayMs: 20 } });
      await db.set("c:r", "before");
      cut!();
      // The loss is noticed, then the next call reconnects transparently.
      for (let i = 0; i < 200 && db.connected; i++) await Bun.sleep(10);
      expect(db.connected).toBe(false);
      // Calls made while reconnecting are held, then sent in order after the setup.
      const calls: Promise<string | null>[] = [];
      for (let i = 0; i < 100; i++) {
        void db.set(`c:r${i}`, `v${i}`);
        calls.push(db.getString(i === 0 ? "c:r" : `c:r${i - 1}`));
      }
      const got = await Promise.all(calls);
      expect(got[0]).toBe("before");
      for (let i = 1; i < 100; i++) expect(got[i]).toBe(`v${i - 1}`);
      expect(db.connected).toBe(true);
      await db.close();
    } finally {
      proxy.stop(true);
    }
  });

  test("reconnect gives up after its attempts and rejects held calls", async () => {
    const own = await startImds();
    const db = await connect({ port: own.port, reconnect: { attempts: 3, delayMs: 10 } });
    await db.set("k", "v");
    await own.stop();
    for (let i = 0; i < 200 && db.connected; i++) await Bun.sleep(10);
    const t0 = Date.now();
    const [a, b] = await Promise.allSettled([db.get("k"), db.get("k")]);
    expect(a.status).toBe("rejected");
    expect(b.status).toBe("rejected");
    expect((a as PromiseRejectedResult).reason.message).toContain("Connection refused");
    expect(Date.now() - t0).toBeLessThan(10_000);
    db.destroy();
  });
});

describe("typed replies over a socket (in-process server writing Reply frames)", () => {
  // Answers every request with the next scripted reply, in typed mode, and can
  // split its output into tiny writes to exercise the reply reassembly.
  function fake(script: ((r: Reply) => void)[], splitEvery = 0) {
    let i = 0;
    return Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s, chunk) {
          // Count requests: every request in these tests is a 1-arg or 2-arg request;
          // decode just enough to count them.
          let pos = 0;
          const out = new OutBuf();
          const r = new Reply(out);
          r.mode = MODE_V1_TYPED;
          const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          while (pos < chunk.length) {
            const n = dv.getUint32(pos);
            pos += 4;
            for (let k = 0; k < n; k++) pos += 4 + dv.getUint32(pos);
            const step = script[i++ % script.length]!;
            step(r);
          }
          const bytes = out.buf.slice(out.start, out.end);
          if (splitEvery === 0) s.write(bytes);
          else
            for (let p = 0; p < bytes.length; p += splitEvery)
              s.write(bytes.subarray(p, p + splitEvery));
        },
      },
    });
  }

  test("HELLO accepted: ints, bigints, doubles, maps, nested errors, bools; split frames", async () => {
    const server = fake(
      [
        (r) => {
          r.map(1);
          r.bulkStr("proto");
          r.int(3);
        },
        (r) => r.int(2 ** 60),
        (r) => r.double(0.25),
        (r) => {
          r.array(3);
          r.bulkStr("a");
          r.error("ERR inside");
          r.map(1);
          r.bulkStr("k");
          r.bool(true);
        },
        (r) => r.error("WRONGTYPE no"),
        (r) => r.int(3),
      ],
      3,
    );
    try {
      const db = await connect({ port: server.port, typed: true });
      expect(db.typed).toBe(true);
      const [big, dbl, arr, err, n] = await Promise.allSettled([
        db.call("x"),
        db.call("x"),
        db.call("x"),
        db.call("x"),
        db.del("a", "b", "c"),
      ]);
      expect((big as PromiseFulfilledResult<Value>).value).toBe(2n ** 60n);
      expect((dbl as PromiseFulfilledResult<Value>).value).toBe(0.25);
      const a = (arr as PromiseFulfilledResult<Value[]>).value;
      expect(toText(a[0]!)).toBe("a");
      expect(a[1]).toBeInstanceOf(ReplyError);
      expect((a[2] as Map<string, Value>).get("k")).toBe(true);
      expect((err as PromiseRejectedResult).reason.code).toBe("WRONGTYPE");
      expect((n as PromiseFulfilledResult<number>).value).toBe(3);
      await db.close();
    } finally {
      server.stop(true);
    }
  });

  test("a garbled frame or a reply nobody asked for fails the connection", async () => {
    const garbled = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s) {
          s.write(new Uint8Array([0, 0, 0, 4, 0, 0, 0, 77]));
        },
      },
    });
    const unasked = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.write(new Uint8Array([0, 0, 0, 6, 0, 0, 0, 0, 0x4f, 0x4b]));
        },
        data() {},
      },
    });
    try {
      const db = await connect({ port: garbled.port });
      const e = await db.call("ping").then(
        () => null,
        (x) => x,
      );
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e.message).toContain("unknown reply status 77");
      db.destroy();
      const db2 = await connect({ port: unasked.port });
      for (let i = 0; i < 200 && db2.connected; i++) await Bun.sleep(10);
      expect(db2.connected).toBe(false);
      await expect(db2.call("ping")).rejects.toThrow(/not connected/);
      db2.destroy();
    } finally {
      garbled.stop(true);
      unasked.stop(true);
    }
  });
});
