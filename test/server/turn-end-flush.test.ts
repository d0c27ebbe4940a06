// Socket clients' replies leave at the end of the event-loop turn (Server.deferFlush), as
// redis-server writes in beforeSleep: in process (a socket stand-in) nothing is written before
// onData returns and everything after the turn, once per client; over real sockets, replies
// of many clients and pipelines arrive complete and in order.

import { describe, expect, test } from "bun:test";
import { Config } from "../../src/config.ts";
import { Client } from "../../src/server/client.ts";
import { Server } from "../../src/server/server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const req = (...a: string[]) =>
  enc.encode(`*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join("")}`);
const turn = () => new Promise<void>((r) => setImmediate(r));

function socketClient(server: Server, id: number, sink: string[], writes: number[]) {
  const socket = {
    data: { client: null },
    remoteAddress: "127.0.0.1",
    remotePort: id,
    localAddress: "127.0.0.1",
    localPort: 2,
    write(b: Uint8Array, off = 0, len = b.length - off) {
      sink.push(dec.decode(b.subarray(off, off + len)));
      writes[0]!++;
      return len;
    },
    pause() {},
    resume() {},
    end() {},
  };
  // biome-ignore lint/suspicious/noExplicitAny: a socket stand-in with just what Client uses
  const c = new Client(id, server, socket as any);
  c.flushAtTurnEnd = true; // as Server.onOpen sets for every accepted socket
  server.clients.set(id, c);
  return c;
}

describe("turn-end flush", () => {
  test("replies wait for the end of the turn, one write per client", async () => {
    const server = new Server(new Config());
    const outA: string[] = [];
    const outB: string[] = [];
    const wA = [0];
    const wB = [0];
    const a = socketClient(server, 1, outA, wA);
    const b = socketClient(server, 2, outB, wB);
    a.onData(req("SET", "k", "v"));
    b.onData(req("GET", "k"));
    a.onData(req("GET", "k")); // a second read of a in the same turn: still one write
    expect(outA.join("")).toBe("");
    expect(outB.join("")).toBe("");
    await turn();
    expect(outA.join("")).toBe("+OK\r\n$1\r\nv\r\n");
    expect(outB.join("")).toBe("$1\r\nv\r\n");
    expect(wA[0]).toBe(1);
    expect(wB[0]).toBe(1);
    // The next turn queues again.
    b.onData(req("PING"));
    await turn();
    expect(outB.join("")).toBe("$1\r\nv\r\n+PONG\r\n");
    server.stop();
  });

  test("a client closed before the turn ends gets nothing written", async () => {
    const server = new Server(new Config());
    const out: string[] = [];
    const c = socketClient(server, 1, out, [0]);
    c.onData(req("PING"));
    c.close();
    await turn();
    expect(out.join("")).toBe("");
    server.stop();
  });

  test("QUIT and a protocol error answer at once, then close (not deferred to the turn's end)", async () => {
    // A client about to be closed is written before the read returns: closing with unread
    // input sends a reset that can discard a reply still waiting for the turn's end.
    const server = new Server(new Config());
    const out: string[] = [];
    const c = socketClient(server, 1, out, [0]);
    c.onData(req("QUIT"));
    expect(out.join("")).toBe("+OK\r\n");
    expect(c.closed).toBe(true);
    const out2: string[] = [];
    const c2 = socketClient(server, 2, out2, [0]);
    c2.onData(new TextEncoder().encode("*1\r\n$x\r\n"));
    expect(out2.join("")).toMatch(/^-ERR Protocol error/);
    expect(c2.closed).toBe(true);
    await turn();
    server.stop();
  });

  test("over sockets: 20 clients x 50 pipelined INCRs, every reply in order", async () => {
    const server = new Server(new Config());
    server.config.set("port", "0", true);
    server.config.set("save", "", true);
    server.start();
    const port = server.port;
    const N = 50;
    const one = req("INCR", "n");
    const pipe = new Uint8Array(one.length * N);
    for (let i = 0; i < N; i++) pipe.set(one, i * one.length);
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        let text = "";
        let done: () => void = () => {};
        const finished = new Promise<void>((r) => (done = r));
        const s = await Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            data(_s, d) {
              text += dec.decode(d);
              if (text.split("\r\n").length - 1 >= N) done();
            },
          },
        });
        s.write(pipe);
        await finished;
        s.end();
        return text
          .split("\r\n")
          .slice(0, N)
          .map((x) => Number(x.slice(1)));
      }),
    );
    server.stop();
    const all = results.flat().sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 20 * N }, (_, i) => i + 1));
    for (const r of results)
      for (let i = 1; i < r.length; i++) expect(r[i]!).toBeGreaterThan(r[i - 1]!);
  });
});
