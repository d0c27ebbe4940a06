// In-process command runner for the sorted set tests: a real Server and Client (no socket
// traffic), requests put straight into the Client's Args, replies read raw from its output
// buffer. Lets the command tests run without depending on the RESP decoder.

import type { Socket } from "bun";
import { Config } from "../../src/config.ts";
import { MODE_RESP2, MODE_RESP3, MODE_V1, type ReplyMode } from "../../src/protocol/reply.ts";
import { Client, type SocketData } from "../../src/server/client.ts";
import { Server } from "../../src/server/server.ts";

const enc = new TextEncoder();

export class Harness {
  readonly server = new Server(new Config());
  readonly client: Client;

  constructor() {
    const fake = {
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      localAddress: "127.0.0.1",
      localPort: 1,
    };
    this.client = new Client(1, this.server, fake as unknown as Socket<SocketData>);
  }

  /** Run one command; returns the raw reply bytes as latin1 text. */
  run(parts: (string | Uint8Array)[], mode: ReplyMode = MODE_RESP2): string {
    const bufs = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
    let size = 0;
    for (const b of bufs) size += b.length;
    const buf = new Uint8Array(size);
    const a = this.client.argv;
    a.reserve(bufs.length);
    let at = 0;
    bufs.forEach((b, i) => {
      buf.set(b, at);
      a.offs[i] = at;
      a.lens[i] = b.length;
      at += b.length;
    });
    a.buf = buf;
    a.count = bufs.length;
    const c = this.client;
    c.reply.mode = mode;
    const out = c.out;
    out.start = 0;
    out.end = 0;
    this.server.now = Date.now();
    this.server.keyspace.now = this.server.now;
    this.server.execute(c);
    let s = "";
    for (let i = out.start; i < out.end; i++) s += String.fromCharCode(out.buf[i]!);
    out.start = 0;
    out.end = 0;
    return s;
  }

  resp2(cmd: string): string {
    return this.run(cmd.split(" "), MODE_RESP2);
  }

  resp3(cmd: string): string {
    return this.run(cmd.split(" "), MODE_RESP3);
  }

  v1(cmd: string): string {
    return this.run(cmd.split(" "), MODE_V1);
  }
}
