// Raw RESP connection for tests: send multibulk commands and collect whole
// replies as their exact bytes (latin1 text) for byte-exact comparisons with
// redis-server. (test/helpers/resp.ts has the parsing client.)

const enc = new TextEncoder();

export function encodeCommand(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const chunks: Uint8Array[] = [enc.encode(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === "string" ? enc.encode(p) : p;
    chunks.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return Buffer.concat(chunks);
}

/** End offset of the RESP2/RESP3 reply starting at `pos`, or -1 if incomplete. */
export function replyEnd(buf: Uint8Array, pos: number): number {
  if (pos >= buf.length) return -1;
  const cr = buf.indexOf(13, pos);
  if (cr < 0 || cr + 1 >= buf.length) return -1;
  const type = String.fromCharCode(buf[pos]!);
  const line = Buffer.from(buf.subarray(pos + 1, cr)).toString("latin1");
  const next = cr + 2;
  switch (type) {
    case "+":
    case "-":
    case ":":
    case ",":
    case "#":
    case "_":
    case "(":
      return next;
    case "$":
    case "=":
    case "!": {
      const n = Number(line);
      if (n < 0) return next;
      return next + n + 2 <= buf.length ? next + n + 2 : -1;
    }
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      let n = Number(line);
      if (n < 0) return next;
      if (type === "%" || type === "|") n *= 2;
      let p = next;
      for (let i = 0; i < n; i++) {
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      throw new Error(`not a RESP reply at ${pos}: ${JSON.stringify(line)}`);
  }
}

export class RespRawConn {
  private buf = new Uint8Array(0);
  closed = false;
  private socket!: Awaited<ReturnType<typeof Bun.connect>>;

  static async open(port: number): Promise<RespRawConn> {
    const c = new RespRawConn();
    c.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          c.buf = Buffer.concat([c.buf, d]);
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

  async sendRaw(b: Uint8Array): Promise<void> {
    let rest = b;
    for (let tries = 0; rest.length > 0 && tries < 100_000; tries++) {
      rest = rest.subarray(this.socket.write(rest));
      if (rest.length > 0) await Bun.sleep(1);
    }
  }

  async send(...cmds: (string | Uint8Array)[][]): Promise<void> {
    await this.sendRaw(Buffer.concat(cmds.map(encodeCommand)));
  }

  /** The next `n` whole replies as raw latin1 text; bounded by timeoutMs. */
  async replies(n: number, timeoutMs = 10_000): Promise<string[]> {
    const out: string[] = [];
    const deadline = Date.now() + timeoutMs;
    let pos = 0;
    while (out.length < n) {
      const end = replyEnd(this.buf, pos);
      if (end >= 0) {
        out.push(Buffer.from(this.buf.subarray(pos, end)).toString("latin1"));
        pos = end;
        continue;
      }
      if (this.closed) throw new Error(`closed after ${out.length} of ${n} replies: ${out}`);
      if (Date.now() > deadline) throw new Error(`timeout after ${out.length} of ${n} replies`);
      await Bun.sleep(2);
    }
    this.buf = this.buf.slice(pos);
    return out;
  }

  /** Send commands and collect one reply each. */
  async call(...cmds: (string | Uint8Array)[][]): Promise<string[]> {
    await this.send(...cmds);
    return this.replies(cmds.length);
  }

  /** Wait (bounded) for the peer to close; true if it did. */
  async waitClosed(timeoutMs = 2000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await Bun.sleep(5);
    return this.closed;
  }

  get pendingBytes(): number {
    return this.buf.length;
  }

  close(): void {
    this.socket.end();
  }
}
