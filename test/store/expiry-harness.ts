// In-process harness for the expiry/eviction tests: a Server that never listens, one Client over
// a fake socket, commands fed straight into execute() and RESP2 replies parsed back. Independent
// of the RESP decoder, so command semantics are tested at the store/command boundary.

import { Config } from "../../src/config.ts";
import { Client } from "../../src/server/client.ts";
import { Server } from "../../src/server/server.ts";

export type Reply = string | number | null | { err: string } | Reply[];

const enc = new TextEncoder();

function parse(b: Uint8Array, pos: { p: number }): Reply {
  const s = (): string => {
    let e = pos.p;
    while (!(b[e] === 13 && b[e + 1] === 10)) e++;
    const line = new TextDecoder().decode(b.subarray(pos.p + 1, e));
    pos.p = e + 2;
    return line;
  };
  const t = b[pos.p];
  const line = s();
  if (t === 43) return line; // +
  if (t === 45) return { err: line }; // -
  if (t === 58) return Number(line); // :
  if (t === 36) {
    const n = Number(line);
    if (n < 0) return null;
    const v = new TextDecoder().decode(b.subarray(pos.p, pos.p + n));
    pos.p += n + 2;
    return v;
  }
  if (t === 42) {
    const n = Number(line);
    if (n < 0) return null;
    const out: Reply[] = [];
    for (let i = 0; i < n; i++) out.push(parse(b, pos));
    return out;
  }
  throw new Error(`unparsed reply byte ${t}`);
}

export interface Harness {
  server: Server;
  client: Client;
  cmd(...parts: (string | Uint8Array)[]): Reply;
  /** Move the keyspace clock to unix ms `ms` (as the server does per event-loop tick). */
  at(ms: number): void;
}

export function harness(options: Record<string, string> = {}): Harness {
  const config = new Config();
  for (const [k, v] of Object.entries(options)) config.set(k, v, true);
  const server = new Server(config);
  const socket = {
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    localAddress: "127.0.0.1",
    localPort: 2,
    data: { client: null },
    write: (b: Uint8Array) => b.length,
    pause() {},
    resume() {},
    end() {},
  };
  // biome-ignore lint/suspicious/noExplicitAny: a fake socket for an in-process client
  const client = new Client(1, server, socket as any);
  server.clients.set(1, client);
  const cmd = (...parts: (string | Uint8Array)[]): Reply => {
    const bufs = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
    let size = 0;
    for (const b of bufs) size += b.length;
    const all = new Uint8Array(size);
    const a = client.argv;
    a.reserve(bufs.length);
    let at = 0;
    bufs.forEach((b, i) => {
      all.set(b, at);
      a.offs[i] = at;
      a.lens[i] = b.length;
      at += b.length;
    });
    a.buf = all;
    a.count = bufs.length;
    const out = client.out;
    out.start = 0;
    out.end = 0;
    server.execute(client);
    const bytes = out.buf.slice(out.start, out.end);
    out.start = 0;
    out.end = 0;
    return parse(bytes, { p: 0 });
  };
  const at = (ms: number) => {
    server.now = ms;
    server.keyspace.setNow(ms);
  };
  return { server, client, cmd, at };
}
