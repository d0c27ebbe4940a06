#!/usr/bin/env bun
// `bun run bench:load [options]`: load generator. N connections, each sending
// batches of P pipelined GET/SET requests (the next batch after the whole
// batch is answered, like redis-benchmark -P) over real sockets, for a fixed
// duration or request count. Reports ops/s and latency quantiles. Speaks the
// imds binary protocol, or RESP with --resp (so it can load redis-server too).

import { Histogram } from "./lib/histogram.ts";

const HELP = `Usage: bun run bench:load [options]
  --host <addr>        server address (default 127.0.0.1)
  --port <n>           server port (default 6677)
  -c, --connections <n>  parallel connections (default 50, at most 10000)
  -P, --pipeline <n>   requests per batch on each connection (default 1, at most 10000)
  -d, --duration <s>   run this long (default 10, at most 3600)
  -n, --requests <n>   stop after this many requests instead (default: by duration)
  --ratio <get:set>    GET to SET mix (default 1:1)
  --keyspace <n>       keys are key:000000000000 .. keyspace-1 (default 100000)
  --value-size <n>     SET value bytes (default 32, at most 16 MiB)
  --preload            SET every key once before measuring (GETs then hit)
  --resp               speak RESP instead of the imds binary protocol
  --seed <n>           random seed (default 1)
  --json               print the result as one JSON line
  -h, --help
Example: bun run bench:load -c 50 -P 16 -d 10 --ratio 9:1`;

interface Options {
  host: string;
  port: number;
  connections: number;
  pipeline: number;
  durationS: number;
  requests: number;
  getShare: number;
  keyspace: number;
  valueSize: number;
  preload: boolean;
  resp: boolean;
  seed: number;
  json: boolean;
}

function die(msg: string): never {
  process.stderr.write(`bench:load: ${msg}\n`);
  process.exit(1);
}

function parse(argv: string[]): Options {
  const o: Options = {
    host: "127.0.0.1",
    port: 6677,
    connections: 50,
    pipeline: 1,
    durationS: 10,
    requests: 0,
    getShare: 0.5,
    keyspace: 100_000,
    valueSize: 32,
    preload: false,
    resp: false,
    seed: 1,
    json: false,
  };
  const num = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) {
      die(`${name} must be a number in [${min}, ${max}], got ${v}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i];
    if (a === "--host") o.host = next() ?? die("--host needs a value");
    else if (a === "--port" || a === "-p") o.port = num(a, next(), 1, 65535);
    else if (a === "-c" || a === "--connections") o.connections = num(a, next(), 1, 10_000);
    else if (a === "-P" || a === "--pipeline") o.pipeline = num(a, next(), 1, 10_000);
    else if (a === "-d" || a === "--duration") o.durationS = num(a, next(), 0.1, 3600);
    else if (a === "-n" || a === "--requests") o.requests = num(a, next(), 1, 1e10);
    else if (a === "--ratio") {
      const m = /^(\d+):(\d+)$/.exec(next() ?? "");
      if (!m || Number(m[1]) + Number(m[2]) === 0) die("--ratio wants GET:SET, e.g. 9:1");
      o.getShare = Number(m[1]) / (Number(m[1]) + Number(m[2]));
    } else if (a === "--keyspace") o.keyspace = num(a, next(), 1, 1e12);
    else if (a === "--value-size") o.valueSize = num(a, next(), 0, 16 << 20);
    else if (a === "--preload") o.preload = true;
    else if (a === "--resp") o.resp = true;
    else if (a === "--seed") o.seed = num(a, next(), 0, 2 ** 31);
    else if (a === "--json") o.json = true;
    else if (a === "-h" || a === "--help") {
      console.log(HELP);
      process.exit(0);
    } else die(`unknown option ${a}\n${HELP}`);
  }
  return o;
}

// ---- request templates: fixed-length keys patched in place ----------------------

const KEY_DIGITS = 12;
const KEY_PREFIX = "key:";
const KEY_LEN = KEY_PREFIX.length + KEY_DIGITS;
const te = new TextEncoder();

interface Template {
  bytes: Uint8Array;
  keyAt: number;
}

function concat(parts: (string | Uint8Array | number[])[]): Uint8Array {
  const bufs = parts.map((p) =>
    typeof p === "string" ? te.encode(p) : p instanceof Uint8Array ? p : new Uint8Array(p),
  );
  const out = new Uint8Array(bufs.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of bufs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

const u32 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

function templates(resp: boolean, valueSize: number): { get: Template; set: Template } {
  const key = KEY_PREFIX + "0".repeat(KEY_DIGITS);
  const value = new Uint8Array(valueSize).fill(0x76); // 'v'
  if (resp) {
    const head = `*2\r\n$3\r\nGET\r\n$${KEY_LEN}\r\n`;
    const shead = `*3\r\n$3\r\nSET\r\n$${KEY_LEN}\r\n`;
    return {
      get: { bytes: concat([head, key, "\r\n"]), keyAt: te.encode(head).length },
      set: {
        bytes: concat([shead, key, `\r\n$${valueSize}\r\n`, value, "\r\n"]),
        keyAt: te.encode(shead).length,
      },
    };
  }
  return {
    get: { bytes: concat([u32(2), u32(3), "GET", u32(KEY_LEN), key]), keyAt: 15 },
    set: {
      bytes: concat([u32(3), u32(3), "SET", u32(KEY_LEN), key, u32(valueSize), value]),
      keyAt: 15,
    },
  };
}

// ---- reply counting ---------------------------------------------------------------

/** End of the v1 reply frame at pos, or -1 if incomplete. Sets `isError`. */
let isError = false;
function v1Reply(b: Uint8Array, pos: number, end: number): number {
  if (end - pos < 8) return -1;
  const total = ((b[pos]! << 24) | (b[pos + 1]! << 16) | (b[pos + 2]! << 8) | b[pos + 3]!) >>> 0;
  if (pos + 4 + total > end) return -1;
  isError = b[pos + 7] === 2;
  return pos + 4 + total;
}

function lineEnd(b: Uint8Array, pos: number, end: number): number {
  for (let i = pos; i + 1 < end; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

function respInt(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  let neg = false;
  for (let i = from; i < to; i++) {
    if (b[i] === 45) neg = true;
    else n = n * 10 + (b[i]! - 48);
  }
  return neg ? -n : n;
}

/** End of the RESP reply at pos, or -1 if incomplete. Sets `isError` (top level). */
function respReply(b: Uint8Array, pos: number, end: number, depth = 0): number {
  if (pos >= end) return -1;
  const t = b[pos]!;
  const le = lineEnd(b, pos + 1, end);
  if (le < 0) return -1;
  if (depth === 0) isError = t === 45;
  if (t === 36) {
    const n = respInt(b, pos + 1, le);
    if (n < 0) return le + 2;
    return le + 2 + n + 2 <= end ? le + 2 + n + 2 : -1;
  }
  if (t === 42 || t === 37 || t === 126 || t === 62) {
    let n = respInt(b, pos + 1, le);
    if (t === 37) n *= 2;
    let p = le + 2;
    for (let i = 0; i < n; i++) {
      p = respReply(b, p, end, depth + 1);
      if (p < 0) return -1;
    }
    return p;
  }
  return le + 2; // + - : , # _ and other one-line replies
}

// ---- one connection ----------------------------------------------------------------

interface Shared {
  o: Options;
  tpl: { get: Template; set: Template };
  hist: Histogram;
  running: boolean;
  issued: number;
  done: number;
  errors: number;
  idle: () => void;
}

class Conn {
  socket!: import("bun").Socket<undefined>;
  private out: Uint8Array;
  private outLen = 0;
  private outAt = 0;
  private carry = new Uint8Array(64 * 1024);
  private carryLen = 0;
  inflight = 0;
  private sentAt = 0;
  private rng: number;
  private readonly parseReply: typeof v1Reply;

  constructor(
    private readonly s: Shared,
    id: number,
  ) {
    const o = s.o;
    this.rng = (o.seed * 2654435761 + id * 40503 + 1) >>> 0 || 1;
    this.out = new Uint8Array(
      o.pipeline * Math.max(s.tpl.get.bytes.length, s.tpl.set.bytes.length),
    );
    this.parseReply = o.resp ? respReply : v1Reply;
  }

  async connect(): Promise<void> {
    const self = this;
    this.socket = await Bun.connect({
      hostname: this.s.o.host,
      port: this.s.o.port,
      socket: {
        data(_s, chunk) {
          self.onData(chunk);
        },
        drain() {
          self.flush();
        },
        close() {
          if (self.s.running || self.inflight > 0) die("server closed a connection");
        },
        error(_s, e) {
          die(`connection error: ${e.message}`);
        },
      },
    });
    this.socket.setNoDelay(true);
  }

  private next(): number {
    // xorshift32
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 4294967296;
  }

  /** Send the next batch (or the preload batch of SETs for keys [from, to)). */
  sendBatch(preloadFrom = -1, preloadTo = -1): void {
    const s = this.s;
    const o = s.o;
    let n = o.pipeline;
    if (preloadFrom >= 0) n = preloadTo - preloadFrom;
    else if (o.requests > 0) n = Math.min(n, o.requests - s.issued);
    if (n <= 0 || (!s.running && preloadFrom < 0)) return;
    if (preloadFrom < 0) s.issued += n;
    let p = 0;
    const need = n * s.tpl.set.bytes.length;
    if (this.out.length < need) this.out = new Uint8Array(need);
    const out = this.out;
    for (let i = 0; i < n; i++) {
      const isGet = preloadFrom < 0 && this.next() < o.getShare;
      const t = isGet ? s.tpl.get : s.tpl.set;
      const tb = t.bytes;
      if (tb.length <= 96) for (let j = 0; j < tb.length; j++) out[p + j] = tb[j]!;
      else out.set(tb, p);
      // Patch the key digits (the template holds zeros); stop at the leading zeros.
      let k = preloadFrom >= 0 ? preloadFrom + i : Math.floor(this.next() * o.keyspace);
      for (let d = p + t.keyAt + KEY_LEN - 1; k > 0; d--) {
        const q = k < 2147483648 ? (k / 10) | 0 : Math.floor(k / 10);
        out[d] = 48 + (k - q * 10);
        k = q;
      }
      p += tb.length;
    }
    this.outLen = p;
    this.outAt = 0;
    this.inflight = n;
    this.sentAt = Bun.nanoseconds();
    this.flush();
  }

  private flush(): void {
    if (this.outAt >= this.outLen) return;
    this.outAt += this.socket.write(this.out.subarray(this.outAt, this.outLen));
  }

  private onData(chunk: Uint8Array): void {
    let buf = chunk;
    let end = chunk.length;
    if (this.carryLen > 0) {
      this.reserve(this.carryLen + chunk.length);
      this.carry.set(chunk, this.carryLen);
      this.carryLen += chunk.length;
      buf = this.carry;
      end = this.carryLen;
    }
    const latency = Bun.nanoseconds() - this.sentAt;
    const s = this.s;
    let pos = 0;
    let answered = 0;
    for (;;) {
      const next = this.parseReply(buf, pos, end);
      if (next < 0) break;
      pos = next;
      if (isError) s.errors++;
      answered++;
    }
    // Replies that arrive in one chunk share one arrival time: record them at once.
    answered = Math.min(answered, this.inflight);
    if (answered > 0) {
      this.inflight -= answered;
      s.done += answered;
      s.hist.record(latency, answered);
    }
    const rest = end - pos;
    if (rest > 0) {
      if (buf === this.carry) this.carry.copyWithin(0, pos, end);
      else {
        this.reserve(rest);
        this.carry.set(buf.subarray(pos, end), 0);
      }
    }
    this.carryLen = rest;
    if (this.inflight === 0) {
      if (s.running) this.sendBatch();
      if (this.inflight === 0) s.idle();
    }
  }

  private reserve(n: number): void {
    if (n <= this.carry.length) return;
    let size = this.carry.length * 2;
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.carry.subarray(0, this.carryLen));
    this.carry = next;
  }
}

// ---- run ---------------------------------------------------------------------------------

function fmtMs(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const s: Shared = {
    o,
    tpl: templates(o.resp, o.valueSize),
    hist: new Histogram(),
    running: false,
    issued: 0,
    done: 0,
    errors: 0,
    idle: () => {},
  };
  const conns = Array.from({ length: o.connections }, (_, i) => new Conn(s, i));
  try {
    await Promise.all(conns.map((c) => c.connect()));
  } catch (e) {
    die(
      `could not connect to ${o.host}:${o.port}: ${(e as Error & { code?: string }).code ?? (e as Error).message}`,
    );
  }
  const proto = o.resp ? "RESP" : "imds v1";
  const waitIdle = () =>
    new Promise<void>((resolve) => {
      s.idle = () => {
        if (conns.every((c) => c.inflight === 0)) resolve();
      };
      s.idle();
    });

  if (o.preload) {
    const t0 = performance.now();
    const per = Math.ceil(o.keyspace / conns.length);
    const BATCH = 1000;
    for (let from = 0; from < per; from += BATCH) {
      const idle = waitIdle();
      conns.forEach((c, i) => {
        const lo = i * per + from;
        const hi = Math.min(i * per + Math.min(from + BATCH, per), o.keyspace);
        if (lo < hi) c.sendBatch(lo, hi);
      });
      await idle;
    }
    s.done = 0;
    s.errors = 0;
    s.hist.reset();
    process.stderr.write(
      `preloaded ${o.keyspace} keys in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }

  const bound = o.requests > 0 ? `${o.requests} requests` : `${o.durationS} s`;
  process.stderr.write(
    `${proto} ${o.host}:${o.port}: ${o.connections} connections x pipeline ${o.pipeline}, ` +
      `GET share ${(o.getShare * 100).toFixed(0)}%, ${o.keyspace} keys, ${o.valueSize}-byte values, ${bound}\n`,
  );
  const tty = process.stderr.isTTY === true;
  const start = performance.now();
  let lastDone = 0;
  let lastT = start;
  s.running = true;
  for (const c of conns) c.sendBatch();
  const progress = setInterval(() => {
    const now = performance.now();
    const rate = ((s.done - lastDone) / (now - lastT)) * 1000;
    lastDone = s.done;
    lastT = now;
    const line =
      `[${((now - start) / 1000).toFixed(1).padStart(5)} s] ${s.done.toLocaleString("en-US").padStart(12)} ops ` +
      `${Math.round(rate).toLocaleString("en-US").padStart(10)} ops/s  p50 ${fmtMs(s.hist.quantile(0.5))}  ` +
      `p99 ${fmtMs(s.hist.quantile(0.99))}  errors ${s.errors}`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  }, 1000);

  const finished = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      const elapsed = performance.now() - start;
      if (
        (o.requests > 0 && s.issued >= o.requests) ||
        (o.requests === 0 && elapsed >= o.durationS * 1000)
      ) {
        s.running = false;
        clearInterval(check);
        resolve();
      }
    }, 5);
  });
  await finished;
  // Let the batches in flight finish (bounded), so their latencies count.
  await Promise.race([waitIdle(), Bun.sleep(10_000)]);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(progress);
  if (tty) process.stderr.write("\n");
  for (const c of conns) c.socket.end();

  const h = s.hist;
  const result = {
    protocol: o.resp ? "resp" : "v1",
    host: o.host,
    port: o.port,
    connections: o.connections,
    pipeline: o.pipeline,
    getShare: o.getShare,
    keyspace: o.keyspace,
    valueSize: o.valueSize,
    requests: s.done,
    errors: s.errors,
    seconds: Number(seconds.toFixed(3)),
    opsPerSec: Math.round(s.done / seconds),
    latencyMs: {
      min: h.min / 1e6,
      p50: h.quantile(0.5) / 1e6,
      p90: h.quantile(0.9) / 1e6,
      p99: h.quantile(0.99) / 1e6,
      p999: h.quantile(0.999) / 1e6,
      max: h.max / 1e6,
      mean: Number((h.mean / 1e6).toFixed(4)),
    },
  };
  if (o.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `${s.done.toLocaleString("en-US")} requests in ${seconds.toFixed(2)} s: ` +
        `${result.opsPerSec.toLocaleString("en-US")} ops/s, ${s.errors} errors\n` +
        `latency p50 ${fmtMs(h.quantile(0.5))}  p90 ${fmtMs(h.quantile(0.9))}  p99 ${fmtMs(h.quantile(0.99))}  ` +
        `p99.9 ${fmtMs(h.quantile(0.999))}  max ${fmtMs(h.max)}`,
    );
  }
  process.exit(s.errors > 0 && s.done === s.errors ? 1 : 0);
}

await main();
