// A small client for the imds binary protocol.
//
//   const db = await connect({ port: 6677 });
//   await db.set("greeting", "hello");
//   await db.getString("greeting");      // "hello"
//   await db.call("incr", "visits");     // typed mode: 1; untyped: bytes "1"
//   await db.close();
//
// Every call returns a promise and goes out at once: calls made in the same
// tick share one socket write (pipelining), and replies resolve the promises
// in request order. Bun's socket.write takes what it can and drops the rest,
// so unsent bytes stay in our own buffer until `drain`.

import type { Socket } from "bun";
import {
  decodeFrame,
  decodeTagged,
  frameSize,
  frameStatus,
  ProtocolError,
  type PushValue,
  ReplyError,
  STATUS_PUSH,
  type Tagged,
  type Value,
} from "./decode.ts";

export interface ConnectOptions {
  host?: string;
  port?: number;
  /**
   * Typed replies (integers, arrays, maps... as JS values): sends `HELLO 3`
   * after connecting. `true` fails the connection if the server does not know
   * HELLO; "auto" quietly stays untyped. Default false (the original protocol).
   */
  typed?: boolean | "auto";
  /** Sent as AUTH [username] password right after connecting. */
  password?: string;
  username?: string;
  /** SELECT this database after connecting (default 0: nothing sent). */
  db?: number;
  /**
   * After the connection is lost, the next call reconnects (and replays AUTH,
   * HELLO, SELECT). Requests in flight at the loss are rejected, never resent:
   * they may or may not have run. Default false: later calls reject.
   */
  reconnect?: boolean | { attempts?: number; delayMs?: number };
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Resolve replies as Tagged trees that keep the wire type ({type: "int",
   * value: 5}) instead of plain JS values. For tools; error replies still reject.
   */
  tagged?: boolean;
  /** Receives push frames that arrive with no request waiting. */
  onPush?: (msg: Value[]) => void;
}

/** The connection failed or was lost; `code` is the system error (ECONNREFUSED ...) if any. */
export class ConnectionError extends Error {
  readonly code: string;
  constructor(message: string, code = "") {
    super(message);
    this.name = "ConnectionError";
    this.code = code;
  }
}

export type Arg = string | Uint8Array | number;

type State = "connecting" | "ready" | "down" | "closed";

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  ETIMEDOUT: "Connection timed out",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  ENOTFOUND: "Name or service not known",
  EADDRNOTAVAIL: "Cannot assign requested address",
};

const utf8 = new TextDecoder();
const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Open a connection; resolves once it is ready for commands (after AUTH/HELLO/SELECT). */
export async function connect(options: ConnectOptions = {}): Promise<Client> {
  const c = new Client(options);
  await c.open();
  return c;
}

export class Client {
  readonly host: string;
  readonly port: number;
  /** True while replies are typed (HELLO accepted). */
  typed = false;

  private readonly options: ConnectOptions;
  private readonly tagged: boolean;
  private state: State = "down";
  private socket: Socket<undefined> | null = null;
  private opening: Promise<void> | null = null;
  private everConnected = false;

  // Output: encoded requests not yet taken by the socket, buf[start, end).
  private wbuf = new Uint8Array(16 * 1024);
  private wstart = 0;
  private wend = 0;
  private flushQueued = false;

  // Requests sent and waiting for their reply, oldest at `head`.
  private resolvers: ((v: Value) => void)[] = [];
  private rejecters: ((e: Error) => void)[] = [];
  private head = 0;
  // Calls made while (re)connecting; sent once the connection is ready.
  private held: { args: Arg[]; resolve: (v: Value) => void; reject: (e: Error) => void }[] = [];

  // Input: the incomplete tail of a reply that spans chunks.
  private carry = EMPTY;
  private carryLen = 0;

  constructor(options: ConnectOptions = {}) {
    this.options = options;
    this.tagged = options.tagged === true;
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 6677;
  }

  /** Requests sent (or queued) and not answered yet. */
  get pending(): number {
    return this.resolvers.length - this.head + this.held.length;
  }

  get connected(): boolean {
    return this.state === "ready";
  }

  // ---- commands -------------------------------------------------------------

  /** Send any command; resolves with its reply, rejects with ReplyError on an error reply. */
  call(...args: Arg[]): Promise<Value> {
    if (this.state === "ready") return this.send(args);
    return this.whenReady(args);
  }

  /** The value of `key` as bytes, or null. */
  async get(key: Arg): Promise<Uint8Array | null> {
    const v = this.plain(await this.call("get", key));
    if (v === null || v instanceof Uint8Array) return v;
    throw new ProtocolError(`GET returned ${typeof v}`);
  }

  /** The value of `key` as UTF-8 text, or null. */
  async getString(key: Arg): Promise<string | null> {
    const v = await this.get(key);
    return v === null ? null : utf8.decode(v);
  }

  async set(key: Arg, value: Arg): Promise<void> {
    await this.call("set", key, value);
  }

  /** Delete keys; resolves with how many existed. */
  async del(...keys: Arg[]): Promise<number> {
    if (this.typed) return Number(this.plain(await this.call("del", ...keys)));
    // The original protocol's DEL takes one key and answers OK or nil.
    const replies = await Promise.all(keys.map((k) => this.call("del", k)));
    return replies.filter((r) => this.plain(r) !== null).length;
  }

  /** A scalar reply as a plain value, also when the client runs in tagged mode. */
  private plain(v: Value): Value {
    if (!this.tagged) return v;
    const t = v as unknown as Tagged;
    return t.type === "nil" ? null : (t as { value: Value }).value;
  }

  /**
   * Close after the replies in flight arrive (at most `timeoutMs`, then they
   * are rejected). Calls made after close() reject.
   */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.state === "closed") return;
    const wasReady = this.state === "ready";
    this.state = "closed";
    this.failHeld(new ConnectionError("client closed"));
    if (wasReady && this.resolvers.length > this.head) {
      const last = this.resolvers.length - 1;
      await new Promise<void>((done) => {
        const t = setTimeout(done, timeoutMs);
        const res = this.resolvers[last]!;
        const rej = this.rejecters[last]!;
        this.resolvers[last] = (v) => {
          clearTimeout(t);
          done();
          res(v);
        };
        this.rejecters[last] = (e) => {
          clearTimeout(t);
          done();
          rej(e);
        };
      });
    }
    this.destroy();
  }

  /** Close now: everything in flight is rejected. */
  destroy(): void {
    this.state = "closed";
    const s = this.socket;
    this.socket = null;
    this.failPending(new ConnectionError("client closed"));
    this.failHeld(new ConnectionError("client closed"));
    s?.end();
  }

  // ---- connecting -------------------------------------------------------------

  /** Connect (or reconnect) and run the setup commands. */
  open(): Promise<void> {
    if (this.opening === null) {
      this.state = "connecting";
      this.opening = this.openWithRetries().finally(() => {
        this.opening = null;
      });
    }
    return this.opening;
  }

  private async openWithRetries(): Promise<void> {
    const r = this.options.reconnect;
    const reconnecting = this.everConnected && r;
    const attempts = reconnecting ? (typeof r === "object" && r.attempts) || 10 : 1;
    let delay = (typeof r === "object" && r.delayMs) || 50;
    for (let i = 1; ; i++) {
      try {
        await this.openOnce();
        if (this.state === "closed") throw new ConnectionError("client closed");
        this.everConnected = true;
        this.state = "ready";
        const held = this.held;
        this.held = [];
        for (const h of held) this.send(h.args).then(h.resolve, h.reject);
        return;
      } catch (e) {
        const s = this.socket;
        this.socket = null;
        s?.end();
        // ReplyErrors (bad password, HELLO refused) will not get better by retrying.
        if (i >= attempts || this.state === "closed" || !(e instanceof ConnectionError)) {
          if (this.state !== "closed") this.state = "down";
          this.failHeld(e as Error);
          throw e;
        }
        await Bun.sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }

  private async openOnce(): Promise<void> {
    const where = `${this.host}:${this.port}`;
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const client = this;
    const connecting = Bun.connect({
      hostname: this.host,
      port: this.port,
      socket: {
        data(s, chunk) {
          if (s === client.socket) client.onData(chunk);
        },
        drain(s) {
          if (s === client.socket) client.flush();
        },
        close(s) {
          if (s === client.socket) client.lost(new ConnectionError(`Connection to ${where} lost`));
        },
        error(s, err) {
          if (s === client.socket) {
            const code = (err as Error & { code?: string }).code ?? "";
            client.lost(new ConnectionError(`Connection to ${where} lost: ${err.message}`, code));
          }
        },
      },
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ConnectionError(
              `Could not connect to imds at ${where}: Connection timed out`,
              "ETIMEDOUT",
            ),
          ),
        timeoutMs,
      );
    });
    try {
      this.socket = await Promise.race([connecting, timeout]);
    } catch (e) {
      connecting.then(
        (s) => s.end(),
        () => {},
      );
      if (e instanceof ConnectionError) throw e;
      const code = (e as Error & { code?: string }).code ?? "";
      const why = ERRNO_TEXT[code] ?? (e as Error).message;
      throw new ConnectionError(`Could not connect to imds at ${where}: ${why}`, code);
    } finally {
      clearTimeout(timer);
    }
    this.socket.setNoDelay(true);
    this.carryLen = 0;
    this.wstart = this.wend = 0;
    await this.setup();
  }

  /** AUTH, HELLO, SELECT: pipelined, before any held call. */
  private async setup(): Promise<void> {
    const o = this.options;
    const steps: Promise<Value>[] = [];
    if (o.password !== undefined) {
      steps.push(this.send(o.username ? ["auth", o.username, o.password] : ["auth", o.password]));
    }
    const hello = o.typed
      ? this.send(["hello", "3"]).then(
          () => true,
          (e) => e as Error,
        )
      : null;
    if (o.db) steps.push(this.send(["select", String(o.db)]));
    await Promise.all(steps);
    if (hello !== null) {
      const r = await hello;
      if (r === true) this.typed = true;
      else if (r instanceof ConnectionError || o.typed === true) throw r;
      else this.typed = false;
    }
  }

  private whenReady(args: Arg[]): Promise<Value> {
    if (this.state === "closed") return Promise.reject(new ConnectionError("client closed"));
    if (this.state === "down" && !this.options.reconnect) {
      return Promise.reject(new ConnectionError(`not connected to ${this.host}:${this.port}`));
    }
    const p = new Promise<Value>((resolve, reject) => this.held.push({ args, resolve, reject }));
    this.open().catch(() => {}); // held calls are rejected by openWithRetries on failure
    return p;
  }

  private lost(err: ConnectionError): void {
    if (this.socket === null) return;
    this.socket = null;
    if (this.state !== "closed") this.state = this.state === "connecting" ? "connecting" : "down";
    this.failPending(err);
  }

  private failPending(err: Error): void {
    const rej = this.rejecters;
    const from = this.head;
    this.resolvers = [];
    this.rejecters = [];
    this.head = 0;
    this.wstart = this.wend = 0;
    for (let i = from; i < rej.length; i++) rej[i]!(err);
  }

  private failHeld(err: Error): void {
    const held = this.held;
    this.held = [];
    for (const h of held) h.reject(err);
  }

  // ---- output ---------------------------------------------------------------

  /** Encode one request into the write buffer and expect its reply. */
  private send(args: Arg[]): Promise<Value> {
    this.encode(args);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
    return new Promise<Value>((resolve, reject) => {
      this.resolvers.push(resolve);
      this.rejecters.push(reject);
    });
  }

  private readonly flushTask = () => {
    this.flushQueued = false;
    this.flush();
  };

  private flush(): void {
    const s = this.socket;
    if (s === null || this.wend === this.wstart) return;
    const n = s.write(this.wbuf.subarray(this.wstart, this.wend));
    if (n > 0) this.wstart += n; // -1 on a closed socket: `close` rejects what is pending
    if (this.wstart === this.wend) {
      this.wstart = this.wend = 0;
      if (this.wbuf.length > 1 << 20) this.wbuf = new Uint8Array(16 * 1024);
    }
    // Otherwise the rest waits for `drain`.
  }

  private reserve(n: number): void {
    if (this.wend + n <= this.wbuf.length) return;
    const live = this.wend - this.wstart;
    if (live + n <= this.wbuf.length) {
      this.wbuf.copyWithin(0, this.wstart, this.wend);
    } else {
      let size = this.wbuf.length * 2;
      while (size < live + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.wbuf.subarray(this.wstart, this.wend));
      this.wbuf = next;
    }
    this.wstart = 0;
    this.wend = live;
  }

  private encode(args: Arg[]): void {
    this.reserve(4);
    const b0 = this.wbuf;
    writeU32(b0, this.wend, args.length);
    this.wend += 4;
    for (const a of args) {
      if (a instanceof Uint8Array) {
        this.reserve(4 + a.length);
        writeU32(this.wbuf, this.wend, a.length);
        this.wbuf.set(a, this.wend + 4);
        this.wend += 4 + a.length;
        continue;
      }
      const s = typeof a === "string" ? a : String(a);
      this.reserve(4 + s.length * 3);
      const b = this.wbuf;
      const at = this.wend + 4;
      let p = at;
      let ascii = true;
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 128) {
          ascii = false;
          break;
        }
        b[p++] = c;
      }
      if (!ascii) p = at + encoder.encodeInto(s, b.subarray(at)).written;
      writeU32(b, this.wend, p - at);
      this.wend = p;
    }
  }

  // ---- input ------------------------------------------------------------------

  private onData(chunk: Uint8Array): void {
    if (this.carryLen === 0) {
      const used = this.parse(chunk, chunk.length);
      if (used < chunk.length) this.keep(chunk, used, chunk.length);
      return;
    }
    this.reserveCarry(this.carryLen + chunk.length);
    this.carry.set(chunk, this.carryLen);
    this.carryLen += chunk.length;
    const size = frameSize(this.carry, 0, this.carryLen);
    if (size < 0 || size > this.carryLen) return; // the first frame is still incomplete
    const used = this.parse(this.carry, this.carryLen);
    this.keep(this.carry, used, this.carryLen);
  }

  /** Resolve a promise per complete frame in buf[0, end); returns bytes used. */
  private parse(buf: Uint8Array, end: number): number {
    let pos = 0;
    while (this.socket !== null) {
      const size = frameSize(buf, pos, end);
      if (size < 0 || pos + size > end) break;
      let v: Value;
      try {
        v = this.tagged ? (decodeTagged(buf, pos) as unknown as Value) : decodeFrame(buf, pos);
      } catch (e) {
        this.protocolFailure((e as Error).message);
        return end;
      }
      const isPush = frameStatus(buf, pos) === STATUS_PUSH;
      pos += size;
      if (this.head === this.resolvers.length) {
        if (isPush && this.options.onPush) this.options.onPush(v as PushValue);
        else if (!isPush) this.protocolFailure("reply with no request waiting");
        continue;
      }
      const i = this.head++;
      if (v instanceof ReplyError) this.rejecters[i]!(v);
      else if (this.tagged && (v as unknown as Tagged).type === "error") {
        this.rejecters[i]!(new ReplyError((v as unknown as { value: string }).value));
      } else this.resolvers[i]!(v);
      if (this.head === this.resolvers.length) {
        this.resolvers = [];
        this.rejecters = [];
        this.head = 0;
      } else if (this.head >= 4096 && this.head * 2 >= this.resolvers.length) {
        this.resolvers = this.resolvers.slice(this.head);
        this.rejecters = this.rejecters.slice(this.head);
        this.head = 0;
      }
    }
    return pos;
  }

  private keep(buf: Uint8Array, from: number, end: number): void {
    const rest = end - from;
    if (buf === this.carry) this.carry.copyWithin(0, from, end);
    else {
      this.reserveCarry(rest);
      this.carry.set(buf.subarray(from, end), 0);
    }
    this.carryLen = rest;
    if (rest === 0 && this.carry.length > 1 << 20) this.carry = EMPTY;
  }

  private reserveCarry(n: number): void {
    if (n <= this.carry.length) return;
    let size = Math.max(this.carry.length * 2, 16 * 1024);
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.carry.subarray(0, this.carryLen));
    this.carry = next;
  }

  private protocolFailure(why: string): void {
    const s = this.socket;
    this.lost(new ConnectionError(`Protocol error from ${this.host}:${this.port}: ${why}`));
    s?.end();
  }
}

function writeU32(b: Uint8Array, at: number, x: number): void {
  b[at] = x >>> 24;
  b[at + 1] = x >>> 16;
  b[at + 2] = x >>> 8;
  b[at + 3] = x;
}
