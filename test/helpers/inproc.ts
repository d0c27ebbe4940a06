// An imds Server in this process, driven without sockets: each command goes through the real
// decoder, command table and reply encoder, and its reply bytes come back synchronously. For
// unit tests of command semantics in any reply mode (RESP2/RESP3/v1/v1-typed) and for checking
// server-side state (stats, clocks) directly. The clock follows Date.now() per command until
// at(ms) pins it (expiry/eviction tests).

import { Config } from "../../src/config.ts";
import type { ReplyMode } from "../../src/protocol/reply.ts";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { Client, FRAMING_V1 } from "../../src/server/client.ts";
import { Server } from "../../src/server/server.ts";
import { concatBytes } from "../../src/store/bytes.ts";
import { type Arg, parseReply, type RespValue } from "./resp.ts";

const enc = new TextEncoder();

/** A stand-in for a Bun socket with just what Client uses; what is written lands in `sink`. */
export function fakeSocket(sink: Uint8Array[], remotePort: number) {
  return {
    data: { client: null },
    remoteAddress: "127.0.0.1",
    remotePort,
    localAddress: "127.0.0.1",
    localPort: 2,
    // Same signature as Bun's socket.write(data, byteOffset, byteLength).
    write(b: Uint8Array, offset = 0, length = b.length - offset) {
      sink.push(b.slice(offset, offset + length));
      return length;
    },
    pause() {},
    resume() {},
    end() {},
  };
}

export class InProc {
  readonly server: Server;
  readonly client: Client;
  private written: Uint8Array[] = [];
  private pinnedNow = -1;

  /** `configure` edits the Config, or lists startup options (name -> value) to set. */
  constructor(mode: ReplyMode, configure: ((c: Config) => void) | Record<string, string> = {}) {
    const config = new Config();
    if (typeof configure === "function") configure(config);
    else for (const [k, v] of Object.entries(configure)) config.set(k, v, true);
    this.server = new Server(config);
    // biome-ignore lint/suspicious/noExplicitAny: a socket stand-in with just what Client uses
    this.client = new Client(1, this.server, fakeSocket(this.written, 1) as any);
    this.client.framing = FRAMING_V1;
    this.client.reply.mode = mode;
    this.server.clients.set(1, this.client);
    // One synchronous client cannot wait for another: blocking commands answer at once, as
    // inside MULTI (test/server/blocking.test.ts tests blocking on sockets).
    this.client.ctx.denyBlocking = true;
  }

  set mode(m: ReplyMode) {
    this.client.reply.mode = m;
  }

  /** Pin the clock at unix ms `ms` (as the server sets it per event-loop tick). */
  at(ms: number): void {
    this.pinnedNow = ms;
    this.setNow(ms);
  }

  private setNow(ms: number): void {
    this.server.now = ms;
    this.server.keyspace.setNow(ms);
  }

  /** Run one command; its reply bytes. */
  exec(...args: Arg[]): Uint8Array {
    const parts = args.map((a) => (typeof a === "number" ? enc.encode(String(a)) : a));
    this.setNow(this.pinnedNow >= 0 ? this.pinnedNow : Date.now());
    this.written.length = 0;
    this.client.onData(encodeV1Request(parts));
    return concatBytes(this.written);
  }

  /** The reply bytes written since the last exec() (a reply that came later: a held request). */
  takeWritten(): Uint8Array {
    const b = concatBytes(this.written);
    this.written.length = 0;
    return b;
  }

  /** Run one command in a RESP mode; its parsed reply. */
  call(...args: Arg[]): RespValue {
    const r = parseReply(this.exec(...args), 0, false);
    if (r === null) throw new Error("incomplete reply");
    return r[0];
  }

  /** Run one command; its reply bytes as a latin1 string. */
  raw(...args: Arg[]): string {
    const b = this.exec(...args);
    let s = "";
    for (const x of b) s += String.fromCharCode(x);
    return s;
  }

  /**
   * Run one command (words split on spaces, or the arguments) in `mode` (default: the current
   * one, which is restored after); its reply bytes as a latin1 string.
   */
  text(cmd: string | Arg[], mode?: ReplyMode): string {
    const before = this.client.reply.mode;
    if (mode !== undefined) this.client.reply.mode = mode;
    try {
      return this.raw(...(typeof cmd === "string" ? cmd.split(" ") : cmd));
    } finally {
      this.client.reply.mode = before;
    }
  }
}
