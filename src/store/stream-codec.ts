// Byte codecs for stream nodes: LEB128 varints over (hi, lo) uint32 halves, u64 add/sub on
// halves, and the sizes Redis's listpack would give the same data (to split nodes exactly where
// redis-server splits them; see stream.ts).

import { TWO32 } from "./stream-id.ts";

/**
 * Decoded (hi, lo) of the last getVar. Shared by all streams: written and read within one
 * decode step (single-threaded), like ranktree.ts's path arrays.
 */
export const dec = new Float64Array(2);

/** Append hi*2^32+lo as a LEB128 varint at p; returns the new offset (<= 10 bytes). */
export function putVar(buf: Uint8Array, p: number, hi: number, lo: number): number {
  while (hi !== 0 || lo > 127) {
    buf[p++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | ((hi & 127) << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[p++] = lo;
  return p;
}

/** A small (< 2^32) varint. */
export function putVar32(buf: Uint8Array, p: number, v: number): number {
  while (v > 127) {
    buf[p++] = (v & 127) | 128;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

export function varSize(hi: number, lo: number): number {
  let n = 1;
  while (hi !== 0 || lo > 127) {
    lo = ((lo >>> 7) | ((hi & 127) << 25)) >>> 0;
    hi >>>= 7;
    n++;
  }
  return n;
}

export function varSize32(v: number): number {
  return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : v < 268435456 ? 4 : 5;
}

/** Read a varint at p into dec[0] (hi), dec[1] (lo); returns the new offset. */
export function getVar(buf: Uint8Array, p: number): number {
  let b = buf[p++]!;
  if (b < 128) {
    dec[0] = 0;
    dec[1] = b;
    return p;
  }
  let lo = b & 127;
  let hi = 0;
  let shift = 7;
  do {
    b = buf[p++]!;
    const v = b & 127;
    if (shift < 28) lo += v * 2 ** shift;
    else if (shift === 28) {
      lo += (v & 15) * 268435456;
      hi += v >>> 4;
    } else hi += v * 2 ** (shift - 32);
    shift += 7;
  } while (b >= 128);
  dec[0] = hi;
  dec[1] = lo;
  return p;
}

/** Read a varint known to be < 2^32 (lengths, counts). */
export function getVar32(buf: Uint8Array, p: number): number {
  let b = buf[p]!;
  if (b < 128) {
    dec[1] = b;
    return p + 1;
  }
  let v = b & 127;
  let mul = 128;
  p++;
  do {
    b = buf[p++]!;
    v += (b & 127) * mul;
    mul *= 128;
  } while (b >= 128);
  dec[1] = v;
  return p;
}

// ---- Redis listpack sizes (listpack.c) ----

/** Bytes of a listpack element whose encoding+data take `enc` bytes (adds the backlen). */
function withBacklen(enc: number): number {
  return enc + (enc < 128 ? 1 : enc < 16384 ? 2 : enc < 2097152 ? 3 : enc < 268435456 ? 4 : 5);
}

/** Element bytes of a signed 64-bit integer given as the two's complement (hi, lo) halves. */
export function lpIntSizeU64(hi: number, lo: number): number {
  if (hi === 0) {
    if (lo <= 127) return 2;
    if (lo <= 4095) return 3;
    if (lo <= 32767) return 4;
    if (lo <= 8388607) return 5;
    if (lo <= 0x7fffffff) return 6;
    return 10;
  }
  if (hi === 0xffffffff && lo !== 0) {
    const m = TWO32 - lo; // magnitude of the negative value
    if (m <= 4096) return 3;
    if (m <= 32768) return 4;
    if (m <= 8388608) return 5;
    if (m <= 0x80000000) return 6;
  }
  return 10;
}

/** Element bytes of a small non-negative integer (counts, lp-count). */
export function lpIntSize(v: number): number {
  return v <= 0x7fffffff ? lpIntSizeU64(0, v) : 10;
}

const INT64_MAX_DIGITS = "9223372036854775807";

/**
 * Element bytes of a string appended with lpAppend: an integer when lpStringToInt64 accepts it
 * (string2ll's strict form, <= 20 bytes), else a string with a 1/2/5-byte header.
 */
export function lpStrSize(buf: Uint8Array, off: number, len: number): number {
  if (len > 0 && len <= 20) {
    let i = off;
    const end = off + len;
    let neg = false;
    if (buf[i] === 45) {
      neg = true;
      i++;
    }
    const digits = end - i;
    let ok = false;
    if (len === 1 && buf[off] === 48) ok = true;
    else if (digits > 0 && buf[i]! >= 49 && buf[i]! <= 57) {
      ok = true;
      for (let j = i + 1; j < end; j++) {
        if (buf[j]! < 48 || buf[j]! > 57) {
          ok = false;
          break;
        }
      }
      if (ok && digits === 19) ok = fitsInt64(buf, i, neg);
      if (digits > 19) ok = false;
    }
    if (ok) {
      if (digits >= 11) return 10; // beyond int32; 10 digits and fewer are exact doubles
      let v = 0;
      for (let j = i; j < end; j++) v = v * 10 + (buf[j]! - 48);
      if (neg) {
        if (v === 0) return 2;
        return v <= 4096 ? 3 : v <= 32768 ? 4 : v <= 8388608 ? 5 : v <= 0x80000000 ? 6 : 10;
      }
      return lpIntSize(v);
    }
  }
  return withBacklen(len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len);
}

/** 19 digits at i within int64 (<= 9223372036854775807, or ...808 when negative). */
function fitsInt64(buf: Uint8Array, i: number, neg: boolean): boolean {
  for (let j = 0; j < 19; j++) {
    const d = buf[i + j]! - INT64_MAX_DIGITS.charCodeAt(j);
    if (d < 0) return true;
    if (d > 0) return neg && j === 18 && d === 1;
  }
  return true;
}
