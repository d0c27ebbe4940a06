// A minimal RESP2 client for the expiry/eviction integration tests and benchmarks: commands in,
// parsed replies out, pipelining by sending before awaiting. Every wait is bounded.

import type { Socket } from "bun";

export type RespReply = string | number | null | RespError | RespReply[];
export class RespError {
  constructor(readonly message: string) {}
}

const enc = new TextEncoder();

export function encodeCommand(args: readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? enc.encode(a) : a;
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return Buffer.concat(parts);
}

export class RespConn {
  private buf = new Uint8Array(0);
  private waiting: { resolve: (r: RespReply) => void; reject: (e: Error) => void }[] = [];
  private socket!: Socket<undefined>;
  private pendingWrite: Uint8Array[] = [];
  closed = false;

  static async open(port: number, host = "127.0.0.1"): Promise<RespConn> {
    const c = new RespConn();
    c.socket = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, chunk) => c.onData(chunk),
        drain: () => c.flush(),
        close: () => c.fail(new Error("connection closed")),
        error: (_s, e) => c.fail(e),
      },
    });
    return c;
  }

  /** Send one command; the promise settles with its reply (errors resolve as RespError). */
  call(...args: (string | number | Uint8Array)[]): Promise<RespReply> {
    const p = new Promise<RespReply>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.pendingWrite.push(encodeCommand(args.map((a) => (typeof a === "number" ? String(a) : a))));
    this.flush();
    return p;
  }

  /** Send many commands at once and await all replies, bounded by timeoutMs. */
  async pipeline(
    cmds: (string | number | Uint8Array)[][],
    timeoutMs = 30000,
  ): Promise<RespReply[]> {
    const ps = cmds.map((c) => this.call(...c));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`pipeline timeout after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all(ps), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.closed = true;
    this.socket.end();
  }

  private flush(): void {
    while (this.pendingWrite.length > 0) {
      const b = this.pendingWrite[0]!;
      const n = this.socket.write(b);
      if (n < b.length) {
        this.pendingWrite[0] = b.subarray(n);
        return;
      }
      this.pendingWrite.shift();
    }
  }

  private fail(e: Error): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  private onData(chunk: Uint8Array): void {
    const all = new Uint8Array(this.buf.length + chunk.length);
    all.set(this.buf);
    all.set(chunk, this.buf.length);
    let pos = 0;
    for (;;) {
      const r = parse(all, pos);
      if (r === undefined) break;
      pos = r.next;
      this.waiting.shift()?.resolve(r.value);
    }
    this.buf = all.slice(pos);
  }
}

function parse(b: Uint8Array, pos: number): { value: RespReply; next: number } | undefined {
  if (pos >= b.length) return undefined;
  let e = pos;
  while (e + 1 < b.length && !(b[e] === 13 && b[e + 1] === 10)) e++;
  if (e + 1 >= b.length) return undefined;
  const line = Buffer.from(b.subarray(pos + 1, e)).toString("latin1");
  const next = e + 2;
  switch (b[pos]) {
    case 43:
      return { value: line, next };
    case 45:
      return { value: new RespError(line), next };
    case 58:
      return { value: Number(line), next };
    case 36: {
      const n = Number(line);
      if (n < 0) return { value: null, next };
      if (next + n + 2 > b.length) return undefined;
      return {
        value: Buffer.from(b.subarray(next, next + n)).toString("latin1"),
        next: next + n + 2,
      };
    }
    case 42: {
      const n = Number(line);
      if (n < 0) return { value: null, next };
      const out: RespReply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parse(b, p);
        if (r === undefined) return undefined;
        out.push(r.value);
        p = r.next;
      }
      return { value: out, next: p };
    }
    default:
      throw new Error(`bad RESP byte ${b[pos]}`);
  }
}

/** INFO text -> field map. */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}
