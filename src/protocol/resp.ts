// RESP request decoder: multibulk (`*N\r\n$len\r\n<bytes>\r\n...`) and inline
// commands (a text line, as typed into telnet), chosen per request by its first
// byte exactly as Redis's processInputBuffer does ('*' = multibulk).
//
// Behaviour, limits and error texts follow Redis 7.0 networking.c
// (processMultibulkBuffer / processInlineBuffer) and sds.c (sdssplitargs),
// checked against redis-server 7.0.15 with raw bytes (test/protocol/resp.test.ts,
// test/integration/resp-protocol.test.ts). See framing.ts for the contract.
//
// Zero-copy: multibulk arguments and plain inline words are byte ranges of
// `buf`. Inline lines with quotes or escapes are unescaped into one module-level
// scratch buffer (decoding is single-threaded and the arguments live only until
// the request has executed), and then every argument of that line points there.

import type { Args } from "./args.ts";
import { type DecodeLimits, decodeStatus, NEED_MORE, PROTOCOL_ERROR } from "./framing.ts";
import { parseInt64 } from "./number.ts";

const STAR = 42; // '*'
const DOLLAR = 36; // '$'
const CR = 13;
const LF = 10;

/** Redis 7.0 accepts up to INT_MAX arguments; argv grows as they arrive. */
const MAX_MULTIBULK = 2147483647;
/** Before AUTH (requirepass set), Redis caps requests at 10 args of 16 KiB. */
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;

export const ERR_MBULK_LEN = "ERR Protocol error: invalid multibulk length";
export const ERR_BULK_LEN = "ERR Protocol error: invalid bulk length";
export const ERR_BIG_MBULK = "ERR Protocol error: too big mbulk count string";
export const ERR_BIG_BULK = "ERR Protocol error: too big bulk count string";
export const ERR_BIG_INLINE = "ERR Protocol error: too big inline request";
export const ERR_QUOTES = "ERR Protocol error: unbalanced quotes in request";
export const ERR_UNAUTH_MBULK = "ERR Protocol error: unauthenticated multibulk length";
export const ERR_UNAUTH_BULK = "ERR Protocol error: unauthenticated bulk length";

function fail(msg: string): number {
  decodeStatus.error = msg;
  return PROTOCOL_ERROR;
}

function needMore(bytesFromPos: number): number {
  decodeStatus.need = bytesFromPos;
  return NEED_MORE;
}

export function decodeResp(
  buf: Uint8Array,
  pos: number,
  end: number,
  args: Args,
  limits: DecodeLimits,
): number {
  if (pos >= end) return needMore(1);
  if (buf[pos] === STAR) return decodeMultibulk(buf, pos, end, args, limits);
  return decodeInline(buf, pos, end, args, limits);
}

// ---- multibulk -------------------------------------------------------------

// Where a multibulk request that is still arriving was left is kept on its Args (the
// connection's), so the next call resumes instead of re-parsing every argument (a 1M-argument
// request arriving in 64 KiB chunks would otherwise cost quadratic time). It is only an
// optimisation, checked against the request's header on use. While a request is partial,
// args.offs holds offsets relative to the request start.

/**
 * Index of the first CR in buf[from, end), or -1. Redis finds it with
 * strchr(p, '\r'), which stops at a NUL byte: a NUL before the CR means "no
 * CR yet" (the request waits, and fails as too big past 64 KiB), here too.
 */
function findCR(buf: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) {
    const b = buf[i]!;
    if (b === CR) return i;
    if (b === 0) return -1;
  }
  return -1;
}

/** Parse decimal digits in buf[off, off+len) fast; NaN defers to the strict parser. */
function lengthField(buf: Uint8Array, off: number, len: number): number {
  // Fast path for the usual 1..9 plain digits without a leading zero.
  if (len > 0 && len < 10 && buf[off] !== 48) {
    let v = 0;
    for (let i = off; i < off + len; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) return parseInt64(buf, off, len);
      v = v * 10 + d;
    }
    return v;
  }
  return parseInt64(buf, off, len);
}

function decodeMultibulk(
  buf: Uint8Array,
  pos: number,
  end: number,
  args: Args,
  limits: DecodeLimits,
): number {
  // Header "*N\r\n". Like Redis, find the CR, then require one more byte (the
  // LF, not checked) before parsing N.
  const cr = findCR(buf, pos + 1, end);
  if (cr < 0) {
    if (end - pos > limits.maxInlineLen) return fail(ERR_BIG_MBULK);
    return needMore(end - pos + 1);
  }
  if (cr + 2 > end) return needMore(cr + 2 - pos);
  const n = lengthField(buf, pos + 1, cr - pos - 1);
  if (!(n <= MAX_MULTIBULK)) return fail(ERR_MBULK_LEN); // also NaN
  if (n > UNAUTH_MAX_MULTIBULK && limits.unauthenticated) return fail(ERR_UNAUTH_MBULK);
  let p = cr + 2;
  if (n <= 0) {
    // "*0", "*-1": an empty request, skipped by the caller.
    args.buf = buf;
    args.count = 0;
    return p;
  }

  let i = 0;
  if (args.resumeCount === n) {
    i = args.resumeDone;
    p = pos + args.resumeRel;
  }
  args.resumeCount = -1;

  const maxBulk = limits.maxBulkLen;
  const unauth = limits.unauthenticated;
  let offs = args.offs;
  let lens = args.lens;
  for (; i < n; i++) {
    if (i >= offs.length) {
      args.reserve(Math.min(n, offs.length * 2));
      offs = args.offs;
      lens = args.lens;
    }
    // Bulk header "$len\r\n".
    const hcr = findCR(buf, p, end);
    if (hcr < 0) {
      if (end - p > limits.maxInlineLen) return fail(ERR_BIG_BULK);
      return partial(args, n, i, p - pos, end - pos + 1);
    }
    if (hcr + 2 > end) return partial(args, n, i, p - pos, hcr + 2 - pos);
    if (buf[p] !== DOLLAR) {
      return fail(`ERR Protocol error: expected '$', got '${dollarGot(buf[p]!)}'`);
    }
    const len = lengthField(buf, p + 1, hcr - p - 1);
    if (!(len >= 0 && len <= maxBulk)) return fail(ERR_BULK_LEN);
    if (len > UNAUTH_MAX_BULK && unauth) return fail(ERR_UNAUTH_BULK);
    const data = hcr + 2;
    // The payload and its two trailing bytes (not checked, as in Redis).
    if (end - data < len + 2) {
      // The hint is this payload's end only: the connection sizes its carry
      // buffer by it (as Redis pre-sizes its query buffer for a big argument).
      return partial(args, n, i, p - pos, data + len + 2 - pos);
    }
    offs[i] = data - pos;
    lens[i] = len;
    p = data + len + 2;
  }
  // Offsets were relative to the request start (see Args.resumeCount): make them absolute.
  for (let k = 0; k < n; k++) offs[k]! += pos;
  args.buf = buf;
  args.count = n;
  return p;
}

/** NEED_MORE for a partial multibulk: remember where to resume. */
function partial(args: Args, n: number, done: number, rel: number, need: number): number {
  args.resumeCount = n;
  args.resumeDone = done;
  args.resumeRel = rel;
  args.count = 0;
  return needMore(need);
}

/** Redis formats the byte with %c into an error line, where CR/LF become spaces. */
function dollarGot(b: number): string {
  // (Never NUL: findCR stops there.)
  return b === CR || b === LF ? " " : String.fromCharCode(b);
}

// ---- inline ----------------------------------------------------------------

// Unescaped inline arguments. Lines up to this size reuse one buffer; a longer
// line (Redis accepts them when they arrive quickly) gets a one-off buffer so a
// single huge request does not pin memory.
const SCRATCH_KEEP_BYTES = 64 * 1024;
let scratch = new Uint8Array(4096);

function decodeInline(
  buf: Uint8Array,
  pos: number,
  end: number,
  args: Args,
  limits: DecodeLimits,
): number {
  // Redis: strchr(p, '\n'), which stops at a NUL byte (see findCR).
  let nl = pos;
  for (; nl < end; nl++) {
    const b = buf[nl]!;
    if (b === LF) break;
    if (b === 0) {
      nl = end;
      break;
    }
  }
  if (nl === end) {
    if (end - pos > limits.maxInlineLen) return fail(ERR_BIG_INLINE);
    return needMore(end - pos + 1);
  }
  let lineEnd = nl;
  if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
  const next = nl + 1;
  if (splitPlain(buf, pos, lineEnd, args)) return next;
  return splitQuoted(buf, pos, lineEnd, args) ? next : fail(ERR_QUOTES);
}

/** isspace() in the C locale. */
function isSpace(b: number): boolean {
  return b === 32 || (b >= 9 && b <= 13);
}

// splitPlain (the fast path, views of buf) and splitQuoted (unescaping into scratch) record each
// argument with the same few lines, inline on purpose: splitPlain runs per inline request.

/**
 * Split a line without quotes into views of buf. False when the line has a
 * quote (sdssplitargs must unescape: the caller takes the slow path). The line
 * has no NUL byte (decodeInline waits at one, as Redis).
 */
function splitPlain(buf: Uint8Array, from: number, to: number, args: Args): boolean {
  let count = 0;
  let p = from;
  for (;;) {
    while (p < to && isSpace(buf[p]!)) p++;
    if (p >= to) break;
    const start = p;
    for (; p < to; p++) {
      const b = buf[p]!;
      // Inside a word only these end it (not \v or \f), as in sdssplitargs.
      if (b === 32 || b === LF || b === CR || b === 9) break;
      if (b === 34 || b === 39) return false;
    }
    if (count >= args.offs.length) args.reserve(count + 1);
    args.offs[count] = start;
    args.lens[count] = p - start;
    count++;
  }
  args.buf = buf;
  args.count = count;
  return true;
}

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  if (b >= 97 && b <= 102) return b - 87;
  if (b >= 65 && b <= 70) return b - 55;
  return -1;
}

/**
 * sdssplitargs for a line with quotes: "..." with \xHH, \n \r \t \b \a and
 * \<any>; '...' with \' only; a closing quote must be followed by a space or
 * the end; a quote inside a word opens a quoted part of the same word. The
 * arguments are written to the scratch buffer (valid until the next call).
 * False = unbalanced quotes. imds-cli splits its input lines with it too.
 */
export function splitQuoted(buf: Uint8Array, from: number, to: number, args: Args): boolean {
  // Unescaping never lengthens the line.
  let out = scratch;
  if (to - from > out.length) {
    out = new Uint8Array(to - from);
    if (out.length <= SCRATCH_KEEP_BYTES) scratch = out;
  }
  // The line as sdssplitargs sees it, a C string: reading at or past its end gives 0.
  const stop = to;
  const at = (i: number): number => (i < stop ? buf[i]! : 0);

  let count = 0;
  let w = 0;
  let p = from;
  for (;;) {
    while (p < stop && isSpace(buf[p]!)) p++;
    if (p >= stop) break;
    const start = w;
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inq) {
        if (c === 92 && at(p + 1) === 120 && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          out[w++] = hexValue(at(p + 2)) * 16 + hexValue(at(p + 3));
          p += 3;
        } else if (c === 92 && at(p + 1) !== 0) {
          p++;
          const e = at(p);
          out[w++] =
            e === 110 ? LF : e === 114 ? CR : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e;
        } else if (c === 34) {
          const after = at(p + 1);
          if (after !== 0 && !isSpace(after)) return false;
          done = true;
        } else if (c === 0) {
          return false;
        } else {
          out[w++] = c;
        }
      } else if (insq) {
        if (c === 92 && at(p + 1) === 39) {
          p++;
          out[w++] = 39;
        } else if (c === 39) {
          const after = at(p + 1);
          if (after !== 0 && !isSpace(after)) return false;
          done = true;
        } else if (c === 0) {
          return false;
        } else {
          out[w++] = c;
        }
      } else if (c === 32 || c === LF || c === CR || c === 9 || c === 0) {
        done = true;
      } else if (c === 34) {
        inq = true;
      } else if (c === 39) {
        insq = true;
      } else {
        out[w++] = c;
      }
      if (c !== 0) p++;
    }
    if (count >= args.offs.length) args.reserve(count + 1);
    args.offs[count] = start;
    args.lens[count] = w - start;
    count++;
  }
  args.buf = out;
  args.count = count;
  return true;
}

// ---- batch key scan (prefetch) ---------------------------------------------

/** Longer keys are not prefetched: hashing them twice would cost more than a miss. */
const PREFETCH_KEY_MAX = 256;

/**
 * Where the second argument (the first key of most commands) of the complete multibulk requests
 * at the start of buf[pos, end) lies, for up to `max` requests: offsets into offs[], lengths into
 * lens[]. Returns how many keys were recorded; stops at a key equal to the one just before it (a
 * pipeline on one hot key, LPUSH mylist / HSET myhash, has nothing to prefetch: scanning all of
 * it cost HSET d3 P16 ~5% of its CPU) and at the first request that is not a complete multibulk
 * of 2-9 arguments whose key is at most PREFETCH_KEY_MAX bytes (inline, partial, long key,
 * odd). Only a hint for prefetching (Table.prefetch): it validates nothing, and decodeResp still
 * decodes every request.
 */
export function scanRequestKeys(
  buf: Uint8Array,
  pos: number,
  end: number,
  offs: Int32Array,
  lens: Int32Array,
  max: number,
): number {
  let found = 0;
  let p = pos;
  for (let r = 0; r < max && p < end && buf[p] === STAR; r++) {
    // "*N\r\n", N a single digit 2..9 (redis-benchmark's and most clients' key commands).
    const n = buf[p + 1]! - 48;
    if (!(n >= 2 && n <= 9) || buf[p + 2] !== CR) break;
    p += 4;
    for (let i = 0; i < n; i++) {
      if (p >= end || buf[p] !== DOLLAR) return found;
      let len = 0;
      let q = p + 1;
      for (; q < end; q++) {
        const d = buf[q]! - 48;
        if (d < 0 || d > 9) break;
        len = len * 10 + d;
      }
      if (q >= end || buf[q] !== CR || q - p > 10) return found;
      const data = q + 2;
      p = data + len + 2;
      if (p > end) return found;
      if (i === 1) {
        if (len > PREFETCH_KEY_MAX) return found;
        if (found > 0 && lens[found - 1] === len && sameBytes(buf, offs[found - 1]!, data, len))
          return found;
        offs[found] = data;
        lens[found] = len;
        found++;
      }
    }
  }
  return found;
}

function sameBytes(buf: Uint8Array, a: number, b: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}
