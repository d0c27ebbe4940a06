// Streaming decoder for the original imds request frame (docs/PROTOCOL.md):
//
//   u32 nstr, then nstr times: u32 len, len bytes        (big-endian)
//
// See framing.ts for the decoder contract.

import type { Args } from "./args.ts";
import { type DecodeLimits, decodeStatus, NEED_MORE, PROTOCOL_ERROR } from "./framing.ts";

function u32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

export function decodeV1(
  buf: Uint8Array,
  pos: number,
  end: number,
  args: Args,
  limits: DecodeLimits,
): number {
  if (end - pos < 4) {
    decodeStatus.need = 4;
    return NEED_MORE;
  }
  const nstr = u32(buf, pos);
  if (nstr > limits.maxArgs) {
    decodeStatus.error = `ERR Protocol error: too many strings in request (${nstr} > v1-max-args ${limits.maxArgs})`;
    return PROTOCOL_ERROR;
  }
  if (nstr > args.offs.length) args.reserve(nstr);
  const offs = args.offs;
  const lens = args.lens;
  let p = pos + 4;
  for (let i = 0; i < nstr; i++) {
    if (end - p < 4) {
      decodeStatus.need = p + 4 - pos;
      return NEED_MORE;
    }
    const len = u32(buf, p);
    if (len > limits.maxBulkLen) {
      decodeStatus.error = `ERR Protocol error: string length ${len} exceeds proto-max-bulk-len ${limits.maxBulkLen}`;
      return PROTOCOL_ERROR;
    }
    p += 4;
    if (end - p < len) {
      decodeStatus.need = p + len - pos;
      return NEED_MORE;
    }
    offs[i] = p;
    lens[i] = len;
    p += len;
  }
  args.buf = buf;
  args.count = nstr;
  return p;
}

const encoder = new TextEncoder();

/** Encode one request frame (for clients and tests). */
export function encodeV1Request(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const bufs = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  let size = 4;
  for (const b of bufs) size += 4 + b.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, bufs.length);
  let at = 4;
  for (const b of bufs) {
    dv.setUint32(at, b.length);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}
