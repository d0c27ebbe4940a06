// A connection's output queue: one growable byte buffer holding replies not yet
// taken by the socket. Replies are appended at `end`; `socket.write` takes from
// `start`. Bun drops what `write` did not take, so the rest stays here until the
// `drain` callback flushes it. The buffer's size is bounded by the caller
// (client-output-buffer-limit / the pause threshold), not here.

import { COPY_LOOP_MAX, copyNative } from "../store/bytes.ts";
import { writeDecimal } from "./number.ts";

const INITIAL_BYTES = 16 * 1024;
// Above this, an empty buffer is shrunk back so one huge reply does not pin memory.
const SHRINK_ABOVE_BYTES = 1024 * 1024;

export class OutBuf {
  buf = new Uint8Array(INITIAL_BYTES);
  view = new DataView(this.buf.buffer);
  start = 0;
  end = 0;

  get pending(): number {
    return this.end - this.start;
  }

  /** Bytes reserved by this buffer (for memory accounting). */
  get capacity(): number {
    return this.buf.length;
  }

  /** Make room for `n` more bytes at `end`; compacts or grows (doubling). */
  ensure(n: number): void {
    if (this.end + n <= this.buf.length) return;
    const live = this.end - this.start;
    if (live + n <= this.buf.length && this.start >= this.buf.length >>> 1) {
      this.buf.copyWithin(0, this.start, this.end);
    } else {
      let size = this.buf.length * 2;
      while (size < live + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.start, this.end));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.start = 0;
    this.end = live;
  }

  /** Called after the socket took `n` bytes. */
  consumed(n: number): void {
    this.start += n;
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
      if (this.buf.length > SHRINK_ABOVE_BYTES) {
        this.buf = new Uint8Array(INITIAL_BYTES);
        this.view = new DataView(this.buf.buffer);
      }
    }
  }

  bytes(src: Uint8Array, off: number, len: number): void {
    this.ensure(len);
    // Short: a loop. Longer: the native copy by offsets (src/store/bytes.ts copyNative), which
    // makes no view: a subarray per copy was one allocation per bulk reply over 64 bytes, and
    // a subarray of a small sorted set's short arena gave it its own ArrayBuffer object (~200
    // bytes) for good (docs/STORE.md).
    if (len <= COPY_LOOP_MAX) {
      const b = this.buf;
      let p = this.end;
      for (let i = 0; i < len; i++) b[p++] = src[off + i]!;
    } else if (len > 0) {
      copyNative(src, off, this.buf, this.end, len);
    }
    this.end += len;
  }

  byte(x: number): void {
    this.ensure(1);
    this.buf[this.end++] = x;
  }

  u32(x: number): void {
    this.ensure(4);
    this.view.setUint32(this.end, x);
    this.end += 4;
  }

  /** One byte per char (ASCII, or latin1 strings made from raw bytes). */
  ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.end;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.end = p;
  }

  /** Decimal digits of an integer-valued double; no allocation within the safe integer range. */
  int(x: number): void {
    if (x > Number.MAX_SAFE_INTEGER || x < -Number.MAX_SAFE_INTEGER) {
      // Beyond 2^53 the digit loop below would round; BigInt prints the double exactly.
      this.ascii(BigInt(x).toString());
      return;
    }
    this.ensure(21);
    this.end = writeDecimal(this.buf, this.end, x);
  }

  /** Decimal digits of a bigint (for 64-bit values beyond 2^53). */
  bigint(x: bigint): void {
    this.ascii(x.toString());
  }
}
