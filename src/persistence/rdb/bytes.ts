// Small byte helpers shared by the RDB encodings: decimal text of integers, and a growable
// output buffer with a hard bound.

import { parseInt64, parseInt64Big } from "../../protocol/number.ts";

/** Decimal ASCII of an integer (how Redis hands an int-encoded element back as a string). */
export function intBytes(v: number | bigint): Uint8Array {
  const out = new Uint8Array(intTextLen(v));
  writeIntText(out, 0, v);
  return out;
}

/** Bytes of v in decimal (what intBytes(v) would hold), without making them. */
export function intTextLen(v: number | bigint): number {
  if (typeof v === "bigint") return String(v).length;
  let n = v < 0 ? 2 : 1;
  let m = v < 0 ? -v : v;
  while (m >= 10) {
    m = Math.floor(m / 10);
    n++;
  }
  return n;
}

/** Write v in decimal at out[at] (no TextEncoder, no string for a safe integer); returns the end. */
export function writeIntText(out: Uint8Array, at: number, v: number | bigint): number {
  if (typeof v === "bigint") {
    const s = String(v);
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
    return at + s.length;
  }
  const end = at + intTextLen(v);
  let m = v < 0 ? -v : v;
  let p = end;
  do {
    const q = Math.floor(m / 10);
    out[--p] = 48 + (m - q * 10);
    m = q;
  } while (m > 0);
  if (v < 0) out[at] = 45;
  return end;
}

/**
 * The integer a string would be stored as by string2ll/lpStringToInt64 (canonical decimal in
 * int64: no '+', no leading zeros, no "-0", at most 20 chars), or null when it is not one.
 * Numbers are returned when exact, bigints beyond 2^53.
 */
export function canonicalInt(b: Uint8Array): number | bigint | null {
  const len = b.length;
  if (len === 0 || len > 20) return null;
  const n = parseInt64(b, 0, len);
  if (!Number.isNaN(n)) return n;
  if (len < 16) return null;
  return parseInt64Big(b, 0, len);
}

/** Growable byte buffer for building one encoded blob (listpack, intset...). */
export class ByteBuilder {
  buf: Uint8Array;
  pos = 0;

  constructor(
    initial = 256,
    readonly maxBytes = 0x7fffffff,
  ) {
    this.buf = new Uint8Array(initial);
  }

  /** Make room for n more bytes; throws a RangeError past maxBytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.maxBytes) throw new RangeError(`encoded value over ${this.maxBytes} bytes`);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(Math.min(cap, this.maxBytes));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  u16le(v: number): void {
    this.reserve(2);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
  }

  u32le(v: number): void {
    this.reserve(4);
    const b = this.buf;
    b[this.pos++] = v & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 24) & 0xff;
  }

  /** Little-endian two's complement integer of `size` bytes (1..8). */
  intLE(v: number | bigint, size: number): void {
    this.reserve(size);
    writeIntLE(this.buf, this.pos, v, size);
    this.pos += size;
  }

  /** A copy of what was built. */
  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Write v as a little-endian two's complement integer of `size` bytes at out[at]. */
export function writeIntLE(out: Uint8Array, at: number, v: number | bigint, size: number): void {
  if (typeof v === "number" && size <= 4) {
    for (let i = 0; i < size; i++) out[at + i] = (v >> (8 * i)) & 0xff;
    return;
  }
  let b = BigInt.asUintN(64, BigInt(v));
  for (let i = 0; i < size; i++) {
    out[at + i] = Number(b & 0xffn);
    b >>= 8n;
  }
}

/** Read a little-endian two's complement integer of `size` bytes (1..8). */
export function readIntLE(b: Uint8Array, at: number, size: number): number | bigint {
  if (size <= 4) {
    let v = 0;
    for (let i = 0; i < size; i++) v |= b[at + i]! << (8 * i);
    const shift = 32 - 8 * size;
    return (v << shift) >> shift;
  }
  const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  let hi = 0;
  for (let i = 4; i < size; i++) hi |= b[at + i]! << (8 * (i - 4));
  const hshift = 32 - 8 * (size - 4);
  hi = (hi << hshift) >> hshift; // sign-extend
  const n = hi * 4294967296 + lo;
  if (Number.isSafeInteger(n)) return n;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
