// Redis ziplist (redis/src/ziplist.c), read only: RDBs from Redis < 7.0 store small hashes,
// zsets and list nodes in it, and 7.0 still loads them (converting to listpack).
//
//   <zlbytes u32le> <zltail u32le> <zllen u16le, 65535 = unknown> <entry>* <0xFF>
//   entry = <prevlen: 1 byte, or 0xFE + u32le> <encoding> <data>
// Encodings: 00pppppp 6-bit string length | 01pppppp qqqqqqqq 14-bit length (big endian) |
// 0x80 + u32be length | 0xC0 int16 | 0xD0 int32 | 0xE0 int64 | 0xF0 int24 | 0xFE int8 |
// 0xF1..0xFD immediate 0..12.

import { intBytes, readIntLE } from "./bytes.ts";

const ZL_HEADER_SIZE = 10;
const ZL_END = 0xff;

/** All entries of a ziplist as bytes (integers as decimal text). */
export function ziplistEntries(buf: Uint8Array): Uint8Array[] {
  if (buf.length < ZL_HEADER_SIZE + 1) throw new Error("ziplist: shorter than its header");
  const total = (buf[0]! | (buf[1]! << 8) | (buf[2]! << 16) | (buf[3]! << 24)) >>> 0;
  if (total !== buf.length)
    throw new Error(`ziplist: header says ${total} bytes, blob has ${buf.length}`);
  if (buf[buf.length - 1] !== ZL_END) throw new Error("ziplist: missing end byte");
  const count = buf[8]! | (buf[9]! << 8);
  const end = buf.length - 1;
  const out: Uint8Array[] = [];
  let p = ZL_HEADER_SIZE;
  const need = (n: number) => {
    if (p + n > end) throw new Error("ziplist: entry runs past the end");
  };
  while (p < end) {
    need(1);
    p += buf[p] === 0xfe ? 5 : 1; // prevlen
    need(1);
    const c = buf[p]!;
    const kind = c >>> 6;
    if (kind === 0) {
      const n = c & 0x3f;
      need(1 + n);
      out.push(buf.slice(p + 1, p + 1 + n));
      p += 1 + n;
    } else if (kind === 1) {
      need(2);
      const n = ((c & 0x3f) << 8) | buf[p + 1]!;
      need(2 + n);
      out.push(buf.slice(p + 2, p + 2 + n));
      p += 2 + n;
    } else if (kind === 2) {
      if (c !== 0x80) throw new Error(`ziplist: bad string encoding 0x${c.toString(16)} at ${p}`);
      need(5);
      const n =
        ((buf[p + 1]! << 24) | (buf[p + 2]! << 16) | (buf[p + 3]! << 8) | buf[p + 4]!) >>> 0;
      need(5 + n);
      out.push(buf.slice(p + 5, p + 5 + n));
      p += 5 + n;
    } else {
      let size: number;
      if (c === 0xc0) size = 2;
      else if (c === 0xd0) size = 4;
      else if (c === 0xe0) size = 8;
      else if (c === 0xf0) size = 3;
      else if (c === 0xfe) size = 1;
      else if (c >= 0xf1 && c <= 0xfd) size = 0;
      else throw new Error(`ziplist: bad entry encoding 0x${c.toString(16)} at ${p}`);
      need(1 + size);
      out.push(intBytes(size === 0 ? (c & 0x0f) - 1 : readIntLE(buf, p + 1, size)));
      p += 1 + size;
    }
  }
  if (p !== end) throw new Error("ziplist: entry runs past the end");
  if (count !== 65535 && count !== out.length) {
    throw new Error(`ziplist: header says ${count} entries, found ${out.length}`);
  }
  return out;
}
