// RdbInput: the byte source under the RDB reader. Either a whole buffer in memory or a file
// descriptor read through a window of `chunkBytes` (it grows only for one string longer than
// the window). It tracks the absolute offset for error messages and runs the CRC-64 over the
// bytes consumed so far, so the footer can be checked without holding the file.

import { readSync } from "node:fs";
import { Crc64 } from "./crc64.ts";

/** A malformed, truncated or unsupported RDB; `offset` is where in the input it was found. */
export class RdbError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`RDB: ${message} (at byte offset ${offset})`);
    this.name = "RdbError";
  }
}

export class RdbInput {
  private buf: Uint8Array;
  private pos = 0;
  private end: number;
  /** Absolute offset of buf[0]. */
  private base = 0;
  private readonly crc = new Crc64();
  /** buf[0, crcPos) has been fed to the CRC. */
  private crcPos = 0;
  private eof: boolean;

  private constructor(
    buf: Uint8Array,
    end: number,
    private readonly fd: number | null,
    /** Total input size when known (file size), for early rejection of absurd lengths. */
    readonly size: number,
    private readonly chunkBytes: number,
  ) {
    this.buf = buf;
    this.end = end;
    this.eof = fd === null;
  }

  static fromBytes(b: Uint8Array): RdbInput {
    return new RdbInput(b, b.length, null, b.length, b.length);
  }

  static fromFd(fd: number, size: number, chunkBytes = 1 << 20): RdbInput {
    return new RdbInput(new Uint8Array(chunkBytes), 0, fd, size, chunkBytes);
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes left in the input (exact for both kinds of input). */
  get remaining(): number {
    return this.size - this.offset;
  }

  fail(msg: string, at = this.offset): never {
    throw new RdbError(msg, at);
  }

  /** Make n bytes available at pos, or fail as truncated. */
  need(n: number): void {
    if (this.end - this.pos >= n) return;
    if (n > this.remaining || this.eof) {
      this.fail(`unexpected end of file: ${n} bytes needed, ${Math.max(0, this.remaining)} left`);
    }
    this.crc.update(this.buf, this.crcPos, this.pos);
    const keep = this.end - this.pos;
    let target = this.buf;
    if (n > this.buf.length) target = new Uint8Array(Math.max(n, this.chunkBytes));
    if (target === this.buf) this.buf.copyWithin(0, this.pos, this.end);
    else target.set(this.buf.subarray(this.pos, this.end), 0);
    this.buf = target;
    this.base += this.pos;
    this.pos = 0;
    this.end = keep;
    this.crcPos = 0;
    while (this.end < n) {
      const got = readSync(this.fd!, this.buf, this.end, this.buf.length - this.end, null);
      if (got === 0) {
        this.eof = true;
        this.fail(`unexpected end of file: ${n} bytes needed, ${this.end} left`);
      }
      this.end += got;
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A copy of the next n bytes. */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * Consume the next n bytes in place: they are windowBuf[returned offset, + n), valid until
   * the next read (no copy, no view object).
   */
  window(n: number): number {
    this.need(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** The buffer window() offsets point into (replaced when the window grows). */
  get windowBuf(): Uint8Array {
    return this.buf;
  }

  /** Un-read the byte u8() just returned (it is still in the window). */
  rewindOne(): void {
    if (this.pos === 0 || this.pos <= this.crcPos) throw new Error("rdb input: nothing to rewind");
    this.pos--;
  }

  /** A view of the next n bytes, valid until the next read. */
  view(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u32le(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
  }

  u32be(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** Signed 64-bit little endian as a number (times: must be a safe integer). */
  i64le(): number {
    const lo = this.u32le();
    const hi = this.u32le() | 0;
    const v = hi * 4294967296 + lo;
    if (!Number.isSafeInteger(v)) this.fail("64-bit time out of range", this.offset - 8);
    return v;
  }

  /** CRC-64 of everything consumed so far. */
  crcSoFar(): Crc64 {
    this.crc.update(this.buf, this.crcPos, this.pos);
    this.crcPos = this.pos;
    return this.crc;
  }
}
