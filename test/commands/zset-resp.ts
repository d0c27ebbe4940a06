// A minimal raw RESP connection for tests: send commands as multibulk, read back whole raw
// replies (RESP2 or RESP3) as latin1 text, so replies compare byte for byte.

import type { Socket } from "bun";

/** Index just past the reply starting at s[i], or -1 when incomplete. */
export function replyEnd(s: string, i: number): number {
  const nl = s.indexOf("\r\n", i);
  if (nl < 0) return -1;
  const t = s[i];
  const head = s.slice(i + 1, nl);
  const after = nl + 2;
  switch (t) {
    case "+":
    case "-":
    case ":":
    case "_":
    case ",":
    case "#":
    case "(":
      return after;
    case "$":
    case "=":
    case "!": {
      const n = Number(head);
      if (n < 0) return after;
      return s.length >= after + n + 2 ? after + n + 2 : -1;
    }
    case "*":
    case "~":
    case ">":
    case "%": {
      let n = Number(head);
      if (n < 0) return after;
      if (t === "%") n *= 2;
      let at = after;
      for (let k = 0; k < n; k++) {
        at = replyEnd(s, at);
        if (at < 0) return -1;
      }
      return at;
    }
    default:
      throw new Error(
        `bad RESP type ${JSON.stringify(t)} in ${JSON.stringify(s.slice(i, i + 40))}`,
      );
  }
}

const enc = new TextEncoder();

export function encodeCommand(parts: (string | Uint8Array)[]): Uint8Array {
  const bufs = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const chunks: Uint8Array[] = [enc.encode(`*${bufs.length}\r\n`)];
  for (const b of bufs) chunks.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  let size = 0;
  for (const c of chunks) size += c.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export class RespConn {
  private buf = "";
  private socket!: Socket<undefined>;
  private closed = false;

  static async open(port: number): Promise<RespConn> {
    const c = new RespConn();
    c.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          for (let i = 0; i < d.length; i++) c.buf += String.fromCharCode(d[i]!);
        },
        close() {
          c.closed = true;
        },
        error() {
          c.closed = true;
        },
      },
    });
    return c;
  }

  /** Send one command and return its raw reply (bounded wait). */
  async call(parts: (string | Uint8Array)[], timeoutMs = 10000): Promise<string> {
    this.buf = "";
    let b = encodeCommand(parts);
    while (b.length > 0) {
      const n = this.socket.write(b);
      b = b.subarray(n);
      if (b.length > 0) await Bun.sleep(1);
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length > 0) {
        const end = replyEnd(this.buf, 0);
        if (end >= 0) {
          const r = this.buf.slice(0, end);
          this.buf = this.buf.slice(end);
          return r;
        }
      }
      if (this.closed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error(`timeout waiting for reply to ${parts.join(" ")}`);
      await Bun.sleep(1);
    }
  }

  /** Pipeline many commands; returns their raw replies in order (bounded wait). */
  async callMany(cmds: (string | Uint8Array)[][], timeoutMs = 30000): Promise<string[]> {
    this.buf = "";
    const parts = cmds.map(encodeCommand);
    let size = 0;
    for (const p of parts) size += p.length;
    let b = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      b.set(p, at);
      at += p.length;
    }
    const out: string[] = [];
    let pos = 0;
    const deadline = Date.now() + timeoutMs;
    while (out.length < cmds.length) {
      if (b.length > 0) b = b.subarray(this.socket.write(b));
      for (;;) {
        const end = pos < this.buf.length ? replyEnd(this.buf, pos) : -1;
        if (end < 0) break;
        out.push(this.buf.slice(pos, end));
        pos = end;
      }
      if (out.length === cmds.length) break;
      if (this.closed) throw new Error("connection closed");
      if (Date.now() > deadline) throw new Error(`timeout after ${out.length} replies`);
      await Bun.sleep(1);
    }
    this.buf = this.buf.slice(pos);
    return out;
  }

  close(): void {
    this.socket.end();
  }
}
