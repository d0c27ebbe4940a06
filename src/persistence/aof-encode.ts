// Commands in the AOF's format: RESP arrays of bulk strings (`*3\r\n$3\r\nSET\r\n...`), written
// into an OutBuf (the pending AOF buffer, or a base file being built). No strings are made for
// arguments that are bytes already.

import type { Args } from "../protocol/args.ts";
import { OutBuf } from "../protocol/outbuf.ts";
import { ByteRef } from "../store/packed.ts";

const CRLF_STAR = 42; // '*'
const DOLLAR = 36; // '$'

export class CommandWriter {
  readonly out: OutBuf;
  /** Scratch for a rewrite hook's reads of fields and members (no object per key). */
  readonly ref = new ByteRef();

  constructor(out = new OutBuf()) {
    this.out = out;
  }

  /** Start a command of `n` arguments; then exactly n bulk()/str()/int() calls. */
  begin(n: number): void {
    const o = this.out;
    o.byte(CRLF_STAR);
    o.int(n);
    o.byte(13);
    o.byte(10);
  }

  bulk(buf: Uint8Array, off: number, len: number): void {
    const o = this.out;
    o.byte(DOLLAR);
    o.int(len);
    o.byte(13);
    o.byte(10);
    o.bytes(buf, off, len);
    o.byte(13);
    o.byte(10);
  }

  /** An ASCII argument (command names, numbers already formatted). */
  str(s: string): void {
    const o = this.out;
    o.byte(DOLLAR);
    o.int(s.length);
    o.byte(13);
    o.byte(10);
    o.ascii(s);
    o.byte(13);
    o.byte(10);
  }

  /** An integer argument (ms timestamps, counts, integer scores): no string is made. */
  int(x: number): void {
    if (!Number.isSafeInteger(x)) {
      this.str(String(x));
      return;
    }
    const o = this.out;
    o.byte(DOLLAR);
    o.int(x < 0 ? 1 + digits(-x) : digits(x));
    o.byte(13);
    o.byte(10);
    o.int(x);
    o.byte(13);
    o.byte(10);
  }

  /** Argument i of a request, as it came. */
  arg(a: Args, i: number): void {
    this.bulk(a.buf, a.off(i), a.len(i));
  }

  /** The whole request, as it came. */
  argv(a: Args): void {
    const frame = canonicalFrame(a);
    if (frame >= 0) {
      // The request arrived in exactly the bytes this would write: copy them as they are.
      this.out.bytes(a.buf, frame, a.frameEnd - frame);
      return;
    }
    this.begin(a.count);
    for (let i = 0; i < a.count; i++) this.arg(a, i);
  }

  get length(): number {
    return this.out.pending;
  }
}

/** Decimal digits of a non-negative integer. */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/**
 * The start of a's frame when its bytes are exactly the canonical encoding of a's arguments
 * (`*N\r\n` then `$L\r\n<arg>\r\n` each, every argument at its place), else -1. The decoder
 * leaves the LF after a CR and the CRLF after an argument unchecked (as Redis), and a command
 * may have changed its arguments since (count, lengths, buffer): each is checked here.
 */
function canonicalFrame(a: Args): number {
  const buf = a.buf;
  const n = a.count;
  if (a.frameBuf !== buf || n === 0) return -1;
  const start = a.frameStart;
  if (buf[start] !== CRLF_STAR) return -1;
  let p = start + 1 + digits(n); // the CR of "*N\r\n"
  if (buf[p + 1] !== 10) return -1;
  p += 2;
  const offs = a.offs;
  const lens = a.lens;
  for (let i = 0; i < n; i++) {
    const len = lens[i]!;
    if (buf[p] !== DOLLAR) return -1;
    p += 1 + digits(len);
    if (buf[p + 1] !== 10) return -1;
    p += 2;
    if (offs[i] !== p) return -1;
    p += len;
    if (buf[p] !== 13 || buf[p + 1] !== 10) return -1;
    p += 2;
  }
  return p === a.frameEnd ? start : -1;
}
