// Redis listpack (redis/src/listpack.c), the compact encoding RDB v10 stores small hashes,
// zsets, list nodes and stream nodes in.
//
//   <total-bytes u32le> <num-elements u16le, 65535 = unknown> <entry>* <0xFF>
//   entry = <encoding+data> <backlen: length of encoding+data, 1..5 bytes>
//
// Encodings: 0xxxxxxx 7-bit uint | 10xxxxxx 6-bit string length | 110xxxxx +1 13-bit int |
// 1110xxxx +1 12-bit string length | 0xF0 + u32le string length | 0xF1/F2/F3/F4 int16/24/32/64.
// Strings that are canonical integers are stored as integers (lpStringToInt64), as Redis does.

import { parseInt64, parseInt64Big } from "../../protocol/number.ts";
import {
  ByteBuilder,
  canonicalInt,
  intBytes,
  intTextLen,
  readIntLE,
  writeIntText,
} from "./bytes.ts";

export const LP_HEADER_SIZE = 6;
export const LP_EOF = 0xff;
const LP_COUNT_UNKNOWN = 65535;

/** Bytes taken by an entry's backlen for an encoding+data length l (lpEncodeBacklen). */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function writeBacklen(b: ByteBuilder, l: number): void {
  const n = backlenSize(l);
  b.reserve(n);
  const o = b.buf;
  let p = b.pos;
  if (n === 1) o[p++] = l;
  else {
    // the first byte holds the highest 7 bits; later bytes have the high bit set
    for (let i = n - 1; i >= 0; i--) {
      const part = Math.floor(l / 2 ** (7 * i)) & 127;
      o[p++] = i === n - 1 ? part : part | 128;
    }
  }
  b.pos = p;
}

/**
 * Forward cursor over a listpack. After next() returns true, the entry is either an integer
 * (isInt, int / bigInt()) or a string at buf[strOff, strOff+strLen).
 */
export class ListpackReader {
  isInt = false;
  int: number | bigint = 0;
  strOff = 0;
  strLen = 0;
  /** Elements the header announces (-1: unknown, 65535 in the header). */
  count = -1;
  buf: Uint8Array;
  private p = LP_HEADER_SIZE;
  private seen = 0;
  /** Offset of the listpack's end byte in buf. */
  private end = 0;
  /** Offset of the listpack in buf (a reader may be reset onto a range of a larger buffer). */
  private start = 0;

  constructor(buf: Uint8Array, off = 0, len = buf.length) {
    this.buf = buf;
    this.reset(buf, off, len);
  }

  /** Start over on the listpack at buf[off, off + len) (one reader reused over many blobs). */
  reset(buf: Uint8Array, off: number, len: number): void {
    if (len < LP_HEADER_SIZE + 1) throw new Error("listpack: shorter than its header");
    const total =
      (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
    if (total !== len) {
      throw new Error(`listpack: header says ${total} bytes, blob has ${len}`);
    }
    if (buf[off + len - 1] !== LP_EOF) throw new Error("listpack: missing end byte");
    const n = buf[off + 4]! | (buf[off + 5]! << 8);
    this.buf = buf;
    this.count = n === LP_COUNT_UNKNOWN ? -1 : n;
    this.start = off;
    this.end = off + len - 1;
    this.p = off + LP_HEADER_SIZE;
    this.seen = 0;
  }

  /** Go back to the first entry of the same listpack. */
  rewind(): void {
    this.p = this.start + LP_HEADER_SIZE;
    this.seen = 0;
  }

  /** Advance to the next entry; false at the end byte (after checking the count). */
  next(): boolean {
    const b = this.buf;
    const end = this.end;
    const p = this.p;
    if (p >= end) {
      if (p !== end) throw new Error("listpack: entry runs past the end");
      if (this.count >= 0 && this.seen !== this.count) {
        throw new Error(`listpack: header says ${this.count} entries, found ${this.seen}`);
      }
      return false;
    }
    const c = b[p]!;
    let encLen: number; // encoding + data
    if (c < 0x80) {
      this.isInt = true;
      this.int = c;
      encLen = 1;
    } else if (c < 0xc0) {
      this.isInt = false;
      this.strOff = p + 1;
      this.strLen = c & 0x3f;
      encLen = 1 + this.strLen;
    } else if (c < 0xe0) {
      this.need(p, 2);
      this.isInt = true;
      const u = ((c & 0x1f) << 8) | b[p + 1]!;
      this.int = u >= 4096 ? u - 8192 : u;
      encLen = 2;
    } else if (c < 0xf0) {
      this.need(p, 2);
      this.isInt = false;
      this.strOff = p + 2;
      this.strLen = ((c & 0x0f) << 8) | b[p + 1]!;
      encLen = 2 + this.strLen;
    } else if (c === 0xf0) {
      this.need(p, 5);
      this.isInt = false;
      this.strOff = p + 5;
      this.strLen = (b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16) | (b[p + 4]! << 24)) >>> 0;
      encLen = 5 + this.strLen;
    } else if (c >= 0xf1 && c <= 0xf4) {
      const size = c === 0xf1 ? 2 : c === 0xf2 ? 3 : c === 0xf3 ? 4 : 8;
      this.need(p, 1 + size);
      this.isInt = true;
      this.int = readIntLE(b, p + 1, size);
      encLen = 1 + size;
    } else {
      throw new Error(`listpack: bad entry encoding 0x${c.toString(16)} at ${p - this.start}`);
    }
    const next = p + encLen + backlenSize(encLen);
    if (next > end) throw new Error("listpack: entry runs past the end");
    this.p = next;
    this.seen++;
    return true;
  }

  private need(p: number, n: number): void {
    if (p + n > this.end) throw new Error("listpack: entry runs past the end");
  }

  /** Length of the current entry as bytes (an integer: its decimal text). */
  textLen(): number {
    return this.isInt ? intTextLen(this.int) : this.strLen;
  }

  /** Write the current entry as bytes (integers as decimal text) at out[at]; returns the end. */
  writeText(out: Uint8Array, at: number): number {
    if (this.isInt) return writeIntText(out, at, this.int);
    const b = this.buf;
    const s = this.strOff;
    const n = this.strLen;
    for (let i = 0; i < n; i++) out[at + i] = b[s + i]!;
    return at + n;
  }

  /** The current entry as bytes (a copy; integers as decimal text). */
  bytes(): Uint8Array {
    if (this.isInt) return intBytes(this.int);
    return this.buf.slice(this.strOff, this.strOff + this.strLen);
  }

  /** The current entry as an integer (strings must be canonical decimal integers). */
  bigInt(): bigint {
    if (this.isInt) return BigInt(this.int);
    const v = canonicalInt(this.buf.subarray(this.strOff, this.strOff + this.strLen));
    if (v === null) throw new Error("listpack: expected an integer entry");
    return BigInt(v);
  }

  /** The current entry as a safe integer number. */
  number(): number {
    if (this.isInt && typeof this.int === "number") return this.int;
    const v = this.bigInt();
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error("listpack: integer out of range");
    return n;
  }
}

/** All entries of a listpack as bytes. */
export function listpackEntries(buf: Uint8Array): Uint8Array[] {
  const r = new ListpackReader(buf);
  const out: Uint8Array[] = [];
  while (r.next()) out.push(r.bytes());
  return out;
}

/** Builds a listpack entry by entry. */
export class ListpackWriter {
  private readonly b: ByteBuilder;
  count = 0;

  constructor(initial = 64, maxBytes = 0xffffffff) {
    this.b = new ByteBuilder(Math.max(initial, 16), Math.min(maxBytes, 0x7fffffff));
    this.b.pos = LP_HEADER_SIZE;
  }

  /** Bytes the listpack would take if finished now. */
  get size(): number {
    return this.b.pos + 1;
  }

  /** Append a string, stored as an integer when it is a canonical one (as Redis does). */
  append(s: Uint8Array): void {
    const v = canonicalInt(s);
    if (v !== null) this.appendInt(v);
    else this.appendString(s);
  }

  appendString(s: Uint8Array): void {
    const b = this.b;
    const n = s.length;
    let encLen: number;
    if (n < 64) {
      b.byte(0x80 | n);
      encLen = 1 + n;
    } else if (n < 4096) {
      b.byte(0xe0 | (n >>> 8));
      b.byte(n & 0xff);
      encLen = 2 + n;
    } else {
      b.byte(0xf0);
      b.u32le(n);
      encLen = 5 + n;
    }
    b.bytes(s);
    writeBacklen(b, encLen);
    this.count++;
  }

  appendInt(v: number | bigint): void {
    const b = this.b;
    let encLen: number;
    if (typeof v === "bigint" && v >= -(2n ** 53n) && v <= 2n ** 53n) v = Number(v);
    if (typeof v === "number" && v >= 0 && v <= 127) {
      b.byte(v);
      encLen = 1;
    } else if (typeof v === "number" && v >= -4096 && v <= 4095) {
      const u = v < 0 ? v + 8192 : v;
      b.byte(0xc0 | (u >>> 8));
      b.byte(u & 0xff);
      encLen = 2;
    } else {
      const size =
        typeof v === "bigint"
          ? 8
          : v >= -32768 && v <= 32767
            ? 2
            : v >= -8388608 && v <= 8388607
              ? 3
              : v >= -2147483648 && v <= 2147483647
                ? 4
                : 8;
      b.byte(size === 2 ? 0xf1 : size === 3 ? 0xf2 : size === 4 ? 0xf3 : 0xf4);
      b.intLE(v, size);
      encLen = 1 + size;
    }
    writeBacklen(b, encLen);
    this.count++;
  }

  /** Start over, keeping the grown buffer (a reused scratch writer allocates nothing per blob). */
  reset(): void {
    this.b.pos = LP_HEADER_SIZE;
    this.count = 0;
  }

  /** append() of s[off, off + len) without making a view of it. */
  appendRange(s: Uint8Array, off: number, len: number): void {
    if (len > 0 && len <= 20) {
      const v = parseInt64(s, off, len);
      if (!Number.isNaN(v)) return this.appendInt(v);
      if (len >= 16) {
        const big = parseInt64Big(s, off, len);
        if (big !== null) return this.appendInt(big);
      }
    }
    const b = this.b;
    let encLen: number;
    if (len < 64) {
      b.byte(0x80 | len);
      encLen = 1 + len;
    } else if (len < 4096) {
      b.byte(0xe0 | (len >>> 8));
      b.byte(len & 0xff);
      encLen = 2 + len;
    } else {
      b.byte(0xf0);
      b.u32le(len);
      encLen = 5 + len;
    }
    b.reserve(len);
    const buf = b.buf;
    let p = b.pos;
    for (let i = 0; i < len; i++) buf[p++] = s[off + i]!;
    b.pos = p;
    writeBacklen(b, encLen);
    this.count++;
  }

  /**
   * finish() without the copy: the listpack is buf()[0, returned length), valid until the next
   * reset() or append.
   */
  finishInPlace(): number {
    this.finish0();
    return this.b.pos;
  }

  /** The internal buffer (see finishInPlace). */
  get buf(): Uint8Array {
    return this.b.buf;
  }

  /** The finished listpack (header filled in, end byte appended). */
  finish(): Uint8Array {
    this.finish0();
    return this.b.result();
  }

  private finish0(): void {
    const b = this.b;
    b.byte(LP_EOF);
    const total = b.pos;
    const o = b.buf;
    o[0] = total & 0xff;
    o[1] = (total >>> 8) & 0xff;
    o[2] = (total >>> 16) & 0xff;
    o[3] = (total >>> 24) & 0xff;
    const n = Math.min(this.count, LP_COUNT_UNKNOWN);
    o[4] = n & 0xff;
    o[5] = n >>> 8;
  }
}

/** A listpack of the given strings. */
export function encodeListpack(items: Iterable<Uint8Array>): Uint8Array {
  const w = new ListpackWriter();
  for (const s of items) w.append(s);
  return w.finish();
}
