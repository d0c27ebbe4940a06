// Raw RESP connection for tests: send multibulk commands and collect whole
// replies as their exact bytes (latin1 text) for byte-exact comparisons with
// redis-server, plus raw writes (split requests) and waiting for the peer to close.
// (test/helpers/resp.ts has the encoder, the framing and the parsing client.)

import { encodeCommand, replyEnd } from "./resp.ts";

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
