// Commands in the AOF's format: RESP arrays of bulk strings (`*3\r\n$3\r\nSET\r\n...`), written
// into an OutBuf (the pending AOF buffer, or a base file being built). No strings are made for
// arguments that are bytes already.

import type { Args } from "../protocol/args.ts";
import { OutBuf } from "../protocol/outbuf.ts";

const CRLF_STAR = 42; // '*'
const DOLLAR = 36; // '$'

export class CommandWriter {
  readonly out: OutBuf;

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

  /** An integer argument (ms timestamps, counts). */
  int(x: number): void {
    this.str(String(x));
  }

  /** Argument i of a request, as it came. */
  arg(a: Args, i: number): void {
    this.bulk(a.buf, a.off(i), a.len(i));
  }

  /** The whole request, as it came. */
  argv(a: Args): void {
    this.begin(a.count);
    for (let i = 0; i < a.count; i++) this.arg(a, i);
  }

  get length(): number {
    return this.out.pending;
  }
}
