// The reply writer: command handlers call `reply.bulk(...)`, `reply.int(n)`,
// `reply.array(n)`... and never know which protocol carried the request. Each
// call is encoded at once into the connection's output buffer for the
// connection's protocol:
//
//   V1        the original imds frames: u32 total, u32 status (0 OK, 1 nil, 2 ERR),
//             payload. Aggregates are flattened into one frame as text lines.
//   V1_TYPED  the same frame with more statuses; aggregates nest frames.
//   RESP2     Redis's RESP2.
//   RESP3     Redis's RESP3 (after HELLO 3).
//
// See docs/PROTOCOL.md for the byte layouts.

import { formatDouble } from "./number.ts";
import type { OutBuf } from "./outbuf.ts";

export const MODE_V1 = 0;
export const MODE_V1_TYPED = 1;
export const MODE_RESP2 = 2;
export const MODE_RESP3 = 3;
export type ReplyMode = 0 | 1 | 2 | 3;

// v1 statuses. 0..2 are the original protocol's; the rest exist only in typed mode.
export const V1_OK = 0;
export const V1_NIL = 1;
export const V1_ERR = 2;
export const V1_INT = 3;
export const V1_DOUBLE = 4;
export const V1_ARRAY = 5;
export const V1_MAP = 6;
export const V1_SET = 7;
export const V1_BOOL = 8;
export const V1_PUSH = 9;

// Bound on nesting of aggregates in v1 replies (Redis replies nest a few levels at most).
const MAX_DEPTH = 32;

const CRLF0 = 13;
const CRLF1 = 10;

// Each reply method writes its own RESP header and CRLF bytes inline rather than through a shared
// helper: these run once per reply on the hot path, and the repetition is deliberate.
export class Reply {
  mode: ReplyMode = MODE_RESP2;
  /** Error replies written so far (INFO commandstats failed_calls compares it around a call). */
  errors = 0;
  /** Called with every error reply's text (the server counts them for INFO errorstats). */
  onError: ((msg: string) => void) | null = null;
  readonly out: OutBuf;
  // v1 only: open aggregates. remaining[d] = elements still to come at depth d,
  // frameAt[d] = position of that aggregate's u32 total (typed) or of the top frame.
  private depth = 0;
  private readonly remaining = new Int32Array(MAX_DEPTH);
  private readonly frameAt = new Float64Array(MAX_DEPTH);

  constructor(out: OutBuf) {
    this.out = out;
  }

  get isResp(): boolean {
    return this.mode >= MODE_RESP2;
  }

  // ---- v1 framing -------------------------------------------------------

  /** Start a v1 scalar: in typed mode or at top level, open a frame. */
  private v1Open(status: number): number {
    const o = this.out;
    if (this.mode === MODE_V1 && this.depth > 0) return -1; // flattened into the top frame
    o.ensure(8);
    const at = o.end;
    o.view.setUint32(at + 4, status);
    o.end += 8;
    // Positions are kept relative to `out.start`: writing the payload may grow
    // or compact the buffer, which moves the pending bytes but not their order.
    return at - o.start;
  }

  /** Finish a v1 scalar opened at `at`; patch its length and account for it in its parent. */
  private v1Close(at: number): void {
    const o = this.out;
    if (at >= 0) o.view.setUint32(o.start + at, o.end - o.start - at - 4);
    else o.byte(CRLF1); // untyped element separator, removed after the last element
    this.v1Element();
  }

  private v1Element(): void {
    while (this.depth > 0) {
      const d = this.depth - 1;
      if (--this.remaining[d]! > 0) return;
      // aggregate complete
      const o = this.out;
      const at = o.start + this.frameAt[d]!;
      this.depth = d;
      if (this.mode === MODE_V1) {
        if (d > 0) continue; // nested aggregates are flattened
        if (o.end > at + 8 && o.buf[o.end - 1] === CRLF1) o.end--;
        o.view.setUint32(at, o.end - at - 4);
        return;
      }
      o.view.setUint32(at, o.end - at - 4);
    }
  }

  private v1Aggregate(status: number, n: number): void {
    if (this.depth >= MAX_DEPTH) throw new Error("reply nesting too deep");
    const o = this.out;
    if (this.mode === MODE_V1) {
      if (this.depth === 0) {
        const at = this.v1Open(status === V1_NIL ? V1_NIL : V1_OK);
        if (n === 0) {
          o.view.setUint32(o.start + at, 4);
          return;
        }
        this.frameAt[0] = at;
      } else if (n === 0) {
        this.v1Element();
        return;
      }
    } else {
      const at = this.v1Open(status);
      o.u32(n);
      if (n === 0) {
        o.view.setUint32(o.start + at, o.end - o.start - at - 4);
        this.v1Element();
        return;
      }
      this.frameAt[this.depth] = at;
    }
    this.remaining[this.depth] = status === V1_MAP ? n * 2 : n;
    this.depth++;
  }

  // ---- scalars ------------------------------------------------------------

  ok(): void {
    this.status("OK");
  }

  /** A simple string (+OK in RESP). */
  status(s: string): void {
    if (this.mode >= MODE_RESP2) {
      const o = this.out;
      o.byte(43); // '+'
      o.ascii(s);
      o.byte(CRLF0);
      o.byte(CRLF1);
      return;
    }
    const at = this.v1Open(V1_OK);
    this.out.ascii(s);
    this.v1Close(at);
  }

  /**
   * An error reply; `msg` starts with its code, e.g. "ERR syntax error". Each
   * char is written as one byte, so quote user bytes with Args.latin1 to echo
   * them back exactly, as Redis does.
   */
  error(msg: string): void {
    this.errors++;
    this.onError?.(msg);
    if (this.mode >= MODE_RESP2) {
      const o = this.out;
      o.byte(45); // '-'
      // RESP errors are one line: Redis replaces newlines with spaces.
      o.ascii(msg.includes("\n") || msg.includes("\r") ? msg.replace(/[\r\n]/g, " ") : msg);
      o.byte(CRLF0);
      o.byte(CRLF1);
      return;
    }
    const at = this.v1Open(V1_ERR);
    this.out.ascii(msg);
    this.v1Close(at);
  }

  int(n: number): void {
    const o = this.out;
    if (this.mode >= MODE_RESP2) {
      o.byte(58); // ':'
      o.int(n);
      o.byte(CRLF0);
      o.byte(CRLF1);
      return;
    }
    if (this.mode === MODE_V1_TYPED) {
      const at = this.v1Open(V1_INT);
      o.ensure(8);
      const hi = Math.floor(n / 4294967296);
      o.view.setInt32(o.end, hi);
      o.view.setUint32(o.end + 4, n - hi * 4294967296);
      o.end += 8;
      this.v1Close(at);
      return;
    }
    const at = this.v1Open(V1_OK);
    o.int(n);
    this.v1Close(at);
  }

  /**
   * int(n) when the caller already has n's decimal digits in d[0, len) (INCR stores them as the
   * value): RESP copies them instead of formatting n again.
   */
  intDigits(d: Uint8Array, len: number, n: number): void {
    if (this.mode < MODE_RESP2) return this.int(n);
    const o = this.out;
    o.ensure(len + 3);
    const b = o.buf;
    let p = o.end;
    b[p++] = 58; // ':'
    for (let i = 0; i < len; i++) b[p++] = d[i]!;
    b[p++] = CRLF0;
    b[p++] = CRLF1;
    o.end = p;
  }

  /** An integer beyond 2^53 (int64 edge of INCR and friends); same encodings as int(). */
  intBig(n: bigint): void {
    const o = this.out;
    if (this.mode >= MODE_RESP2) {
      o.byte(58); // ':'
      o.bigint(n);
      o.byte(CRLF0);
      o.byte(CRLF1);
      return;
    }
    if (this.mode === MODE_V1_TYPED) {
      const at = this.v1Open(V1_INT);
      o.ensure(8);
      o.view.setBigInt64(o.end, n);
      o.end += 8;
      this.v1Close(at);
      return;
    }
    const at = this.v1Open(V1_OK);
    o.bigint(n);
    this.v1Close(at);
  }

  /** A bulk string copied from `buf[off, off+len)`. */
  bulk(buf: Uint8Array, off: number, len: number): void {
    const o = this.out;
    if (this.mode >= MODE_RESP2) {
      o.ensure(len + 16);
      o.byte(36); // '$'
      o.int(len);
      o.byte(CRLF0);
      o.byte(CRLF1);
      o.bytes(buf, off, len);
      o.byte(CRLF0);
      o.byte(CRLF1);
      return;
    }
    const at = this.v1Open(V1_OK);
    o.bytes(buf, off, len);
    this.v1Close(at);
  }

  bulkBytes(b: Uint8Array): void {
    this.bulk(b, 0, b.length);
  }

  bulkStr(s: string): void {
    this.bulkBytes(textEncoder.encode(s));
  }

  /** The null bulk string (RESP2 `$-1`, RESP3 `_`, v1 status 1). */
  nil(): void {
    if (this.mode >= MODE_RESP2) {
      this.out.ascii(this.mode === MODE_RESP3 ? "_\r\n" : "$-1\r\n");
      return;
    }
    const at = this.v1Open(V1_NIL);
    this.v1Close(at);
  }

  /** The null array (RESP2 `*-1`, RESP3 `_`). */
  nilArray(): void {
    if (this.mode >= MODE_RESP2) {
      this.out.ascii(this.mode === MODE_RESP3 ? "_\r\n" : "*-1\r\n");
      return;
    }
    this.nil();
  }

  double(d: number): void {
    const o = this.out;
    if (this.mode === MODE_RESP3) {
      o.byte(44); // ','
      o.ascii(formatDouble(d));
      o.byte(CRLF0);
      o.byte(CRLF1);
      return;
    }
    if (this.mode === MODE_V1_TYPED) {
      const at = this.v1Open(V1_DOUBLE);
      o.ensure(8);
      o.view.setFloat64(o.end, d);
      o.end += 8;
      this.v1Close(at);
      return;
    }
    this.bulkStr(formatDouble(d));
  }

  bool(b: boolean): void {
    if (this.mode === MODE_RESP3) {
      this.out.ascii(b ? "#t\r\n" : "#f\r\n");
      return;
    }
    if (this.mode === MODE_V1_TYPED) {
      const at = this.v1Open(V1_BOOL);
      this.out.byte(b ? 1 : 0);
      this.v1Close(at);
      return;
    }
    this.int(b ? 1 : 0);
  }

  /** Verbatim text (RESP3 `=`, e.g. INFO); a bulk string elsewhere. */
  verbatim(text: string, format = "txt"): void {
    if (this.mode === MODE_RESP3) {
      const body = textEncoder.encode(text);
      const o = this.out;
      o.byte(61); // '='
      o.int(body.length + 4);
      o.ascii("\r\n");
      o.ascii(format);
      o.byte(58);
      o.bytes(body, 0, body.length);
      o.ascii("\r\n");
      return;
    }
    this.bulkStr(text);
  }

  // ---- aggregates: the caller then writes exactly n elements (2n for maps) --

  array(n: number): void {
    if (this.mode >= MODE_RESP2) return this.respHeader(42, n);
    this.v1Aggregate(V1_ARRAY, n);
  }

  /** A map of n key/value pairs; a flat array of 2n elements in RESP2. */
  map(n: number): void {
    if (this.mode === MODE_RESP3) return this.respHeader(37, n); // '%'
    if (this.mode === MODE_RESP2) return this.respHeader(42, n * 2);
    this.v1Aggregate(V1_MAP, n);
  }

  set(n: number): void {
    if (this.mode === MODE_RESP3) return this.respHeader(126, n); // '~'
    if (this.mode === MODE_RESP2) return this.respHeader(42, n);
    this.v1Aggregate(V1_SET, n);
  }

  push(n: number): void {
    if (this.mode === MODE_RESP3) return this.respHeader(62, n); // '>'
    if (this.mode === MODE_RESP2) return this.respHeader(42, n);
    this.v1Aggregate(V1_PUSH, n);
  }

  private respHeader(type: number, n: number): void {
    const o = this.out;
    o.byte(type);
    o.int(n);
    o.byte(CRLF0);
    o.byte(CRLF1);
    // RESP aggregates need no tracking: the header carries the count.
  }

  /** True when no aggregate is open (v1 only; RESP always true). */
  get idle(): boolean {
    return this.depth === 0;
  }

  /** Drop any half-written aggregate state (after a handler threw). */
  resetState(): void {
    this.depth = 0;
  }
}

const textEncoder = new TextEncoder();
