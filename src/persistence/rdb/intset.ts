// Redis intset (redis/src/intset.c): a sorted array of integers, all of one width.
//
//   <encoding u32le: 2, 4 or 8> <length u32le> <length integers, little endian, ascending>
// RDB type SET_INTSET (11) stores a set of canonical integers in it while the set has at most
// set-max-intset-entries (512) members.

import { ByteBuilder, canonicalInt, intBytes, readIntLE } from "./bytes.ts";

/** Members of an intset as decimal bytes, in its (ascending) order. */
export function intsetEntries(buf: Uint8Array): Uint8Array[] {
  if (buf.length < 8) throw new Error("intset: shorter than its header");
  const width = (buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24)) >>> 0;
  const n = (buf[4]! | (buf[5]! << 8) | (buf[6]! << 16) | (buf[7]! << 24)) >>> 0;
  if (width !== 2 && width !== 4 && width !== 8) throw new Error(`intset: bad encoding ${width}`);
  if (buf.length !== 8 + n * width) {
    throw new Error(`intset: ${n} members of ${width} bytes do not fill ${buf.length - 8} bytes`);
  }
  const out: Uint8Array[] = new Array(n);
  let prev: number | bigint | null = null;
  for (let i = 0; i < n; i++) {
    const v = readIntLE(buf, 8 + i * width, width);
    if (prev !== null && !(v > prev)) throw new Error("intset: members not strictly ascending");
    prev = v;
    out[i] = intBytes(v);
  }
  return out;
}

/**
 * The intset of these members, or null when one is not a canonical integer (the set then
 * needs the plain encoding). Duplicates are the caller's bug and are refused.
 */
export function encodeIntset(members: Iterable<Uint8Array>): Uint8Array | null {
  const vals: bigint[] = [];
  let width = 2;
  for (const m of members) {
    const v = canonicalInt(m);
    if (v === null) return null;
    const b = BigInt(v);
    if (b < -32768n || b > 32767n)
      width = Math.max(width, b < -2147483648n || b > 2147483647n ? 8 : 4);
    vals.push(b);
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < vals.length; i++) {
    if (vals[i] === vals[i - 1]) throw new Error("intset: duplicate member");
  }
  const b = new ByteBuilder(8 + vals.length * width);
  b.u32le(width);
  b.u32le(vals.length);
  for (const v of vals) b.intLE(width === 8 ? v : Number(v), width);
  return b.result();
}
