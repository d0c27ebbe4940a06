// A raw TCP connection for byte-exact protocol tests: send bytes, wait for
// bytes. Every wait is bounded by a timeout.

import type { Socket } from "bun";

export class RawConn {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private waiter: (() => void) | null = null;
  closed = false;
  socket!: Socket<undefined>;

  static async open(port: number, host = "127.0.0.1"): Promise<RawConn> {
    const c = new RawConn();
    c.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data(_s, chunk) {
          c.chunks.push(new Uint8Array(chunk));
          c.size += chunk.length;
          c.waiter?.();
        },
        close() {
          c.closed = true;
          c.waiter?.();
        },
        error() {
          c.closed = true;
          c.waiter?.();
        },
      },
    });
    return c;
  }

  /** Write all bytes (looping on partial writes). */
  async send(data: Uint8Array | string): Promise<void> {
    let b = typeof data === "string" ? new TextEncoder().encode(data) : data;
    while (b.length > 0) {
      const n = this.socket.write(b);
      b = b.subarray(n);
      if (b.length > 0) await Bun.sleep(1);
    }
  }

  get available(): number {
    return this.size;
  }

  private take(n: number): Uint8Array {
    const all = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      all.set(c, at);
      at += c.length;
    }
    this.chunks = n < all.length ? [all.slice(n)] : [];
    this.size = all.length - n;
    return all.slice(0, n);
  }

  /** Wait until `n` bytes arrived (or the peer closed / timeout), then take them. */
  async read(n: number, timeoutMs = 10000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (this.size < n) {
      if (this.closed) throw new Error(`connection closed after ${this.size} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout: ${this.size} of ${n} bytes after ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 100));
        this.waiter = () => {
          clearTimeout(t);
          r();
        };
      });
      this.waiter = null;
    }
    return this.take(n);
  }

  /** Read one v1 reply frame: { status, payload }. */
  async readV1(timeoutMs = 10000): Promise<{ status: number; payload: Uint8Array }> {
    const head = await this.read(4, timeoutMs);
    const total = new DataView(head.buffer).getUint32(0);
    const body = await this.read(total, timeoutMs);
    return { status: new DataView(body.buffer).getUint32(0), payload: body.slice(4) };
  }

  /** Everything received until the peer closes (bounded by timeout). */
  async readUntilClosed(timeoutMs = 10000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await Bun.sleep(10);
    if (!this.closed) throw new Error("peer did not close");
    return this.take(this.size);
  }

  close(): void {
    this.socket.end();
  }
}
