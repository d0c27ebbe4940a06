// Reply frame decoder for the binary protocol (both modes, see
// src/protocol/reply.ts and /work/shared/PROTOCOL-v1.md):
//
//   frame = u32 total (bytes after this field), u32 status, payload
//
// Untyped mode only uses statuses 0 (value), 1 (nil) and 2 (error), so one
// decoder reads both modes: an untyped reply is a typed reply that happens to
// use only the first three statuses.

export const STATUS_STRING = 0;
export const STATUS_NIL = 1;
export const STATUS_ERROR = 2;
export const STATUS_INT = 3;
export const STATUS_DOUBLE = 4;
export const STATUS_ARRAY = 5;
export const STATUS_MAP = 6;
export const STATUS_SET = 7;
export const STATUS_BOOL = 8;
export const STATUS_PUSH = 9;

/** A reply value. Strings stay bytes (binary safe); see toText() for text. */
export type Value =
  | Uint8Array
  | number
  | bigint
  | boolean
  | null
  | ReplyError
  | Value[]
  | Map<MapKey, Value>;
/** Map keys that are byte strings are decoded as UTF-8 text so lookups work. */
export type MapKey = string | number | bigint | boolean | null;

/** The server answered with an error reply (status 2), e.g. "ERR syntax error". */
export class ReplyError extends Error {
  /** The first word of the message: ERR, WRONGTYPE, NOAUTH ... */
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = "ReplyError";
    const sp = message.indexOf(" ");
    this.code = sp > 0 ? message.slice(0, sp) : message;
  }
}

/** The frame is malformed (unknown status, lengths that do not add up). */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/** Push frames are marked so a caller can tell them from arrays. */
export const PUSH = Symbol("imds.push");
export type PushValue = Value[] & { [PUSH]?: true };

// Aggregates in a reply nest a few levels at most (the server bounds it at 32).
const MAX_DEPTH = 64;
const utf8 = new TextDecoder();

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * Bytes needed for the complete top-level frame starting at `pos`, or -1 if
 * even its length field has not arrived yet.
 */
export function frameSize(buf: Uint8Array, pos: number, end: number): number {
  if (end - pos < 4) return -1;
  return 4 + u32(buf, pos);
}

/**
 * Decode the complete frame in buf[pos, pos + frameSize). Byte strings are
 * copied, so `buf` may be reused afterwards.
 */
export function decodeFrame(buf: Uint8Array, pos: number): Value {
  return whole(buf, pos, frame);
}

/** Decode the one top-level frame at `pos` with `read`; it must fill its length exactly. */
function whole<T>(
  buf: Uint8Array,
  pos: number,
  read: (b: Uint8Array, st: Cursor, limit: number, depth: number) => T,
): T {
  const end = pos + 4 + u32(buf, pos);
  const st: Cursor = { at: pos, bodyAt: 0, bodyEnd: 0 };
  const v = read(buf, st, end, 0);
  if (st.at !== end) throw new ProtocolError(`frame has ${end - st.at} trailing bytes`);
  return v;
}

/**
 * A decode position, caller-owned: `at` is the next frame; bodyAt/bodyEnd are the body bounds
 * of the frame frameHeader read last (callers copy them to locals before recursing).
 */
interface Cursor {
  at: number;
  bodyAt: number;
  bodyEnd: number;
}

/** Check the frame header at st.at within `limit`, move st.at past the frame; its status. */
function frameHeader(b: Uint8Array, st: Cursor, limit: number): number {
  const at = st.at;
  if (limit - at < 8) throw new ProtocolError("truncated frame header");
  const total = u32(b, at);
  const end = at + 4 + total;
  if (total < 4 || end > limit) throw new ProtocolError(`bad frame length ${total}`);
  st.bodyAt = at + 8;
  st.bodyEnd = end;
  st.at = end;
  return u32(b, at + 4);
}

/**
 * Check an aggregate body at [p, end) (depth, count, room for its elements) and move st.at to
 * its first element; its count (pairs, for a map).
 */
function aggregateCount(
  b: Uint8Array,
  st: Cursor,
  status: number,
  p: number,
  end: number,
  depth: number,
): number {
  if (depth >= MAX_DEPTH) throw new ProtocolError("reply nested too deeply");
  if (end - p < 4) throw new ProtocolError("aggregate frame without a count");
  const n = u32(b, p);
  st.at = p + 4;
  // Each element takes at least 8 bytes: reject counts the frame cannot hold.
  const elems = status === STATUS_MAP ? n * 2 : n;
  if (elems * 8 > end - st.at) throw new ProtocolError(`bad element count ${n}`);
  return n;
}

function aggregateEnd(st: Cursor, end: number): void {
  if (st.at !== end) throw new ProtocolError("aggregate length does not match its elements");
}

/** The status of the frame at `pos` (to route push frames). */
export function frameStatus(buf: Uint8Array, pos: number): number {
  return u32(buf, pos + 4);
}

function frame(b: Uint8Array, st: Cursor, limit: number, depth: number): Value {
  const status = frameHeader(b, st, limit);
  const p = st.bodyAt;
  const end = st.bodyEnd;
  switch (status) {
    case STATUS_STRING:
      return b.slice(p, end);
    case STATUS_NIL:
      return null;
    case STATUS_ERROR:
      return new ReplyError(utf8.decode(b.subarray(p, end)));
    case STATUS_INT:
      return int64(b, p, end);
    case STATUS_DOUBLE:
      return float64(b, p, end);
    case STATUS_BOOL:
      return bool(b, p, end);
    case STATUS_ARRAY:
    case STATUS_SET:
    case STATUS_PUSH:
    case STATUS_MAP: {
      const n = aggregateCount(b, st, status, p, end, depth);
      let out: Value;
      if (status === STATUS_MAP) {
        const m = new Map<MapKey, Value>();
        for (let i = 0; i < n; i++) {
          const k = frame(b, st, end, depth + 1);
          m.set(mapKey(k), frame(b, st, end, depth + 1));
        }
        out = m;
      } else {
        const arr: PushValue = new Array(n);
        for (let i = 0; i < n; i++) arr[i] = frame(b, st, end, depth + 1);
        if (status === STATUS_PUSH) arr[PUSH] = true;
        out = arr;
      }
      aggregateEnd(st, end);
      return out;
    }
    default:
      throw new ProtocolError(`unknown reply status ${status}`);
  }
}

function int64(b: Uint8Array, p: number, end: number): number | bigint {
  if (end - p !== 8) throw new ProtocolError("int frame must carry 8 bytes");
  const hi = (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
  const lo = u32(b, p + 4);
  // |hi| < 2^21 keeps the value within ±2^53: a plain number is exact.
  if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function float64(b: Uint8Array, p: number, end: number): number {
  if (end - p !== 8) throw new ProtocolError("double frame must carry 8 bytes");
  return new DataView(b.buffer, b.byteOffset + p, 8).getFloat64(0);
}

function bool(b: Uint8Array, p: number, end: number): boolean {
  if (end - p !== 1) throw new ProtocolError("bool frame must carry 1 byte");
  return b[p] !== 0;
}

/**
 * A reply that keeps its wire type (for tools such as imds-cli that print
 * `(integer)` and `(double)` differently). Maps are flat: key, value, key, ...
 */
export type Tagged =
  | { type: "string"; value: Uint8Array }
  | { type: "nil" }
  | { type: "error"; value: string }
  | { type: "int"; value: number | bigint }
  | { type: "double"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "array" | "set" | "push" | "map"; value: Tagged[] };

const AGGREGATE_NAMES = ["", "", "", "", "", "array", "map", "set", "", "push"] as const;

/** Like decodeFrame, but every node says its wire type. */
export function decodeTagged(buf: Uint8Array, pos: number): Tagged {
  return whole(buf, pos, tagged);
}

function tagged(b: Uint8Array, st: Cursor, limit: number, depth: number): Tagged {
  const status = frameHeader(b, st, limit);
  const p = st.bodyAt;
  const end = st.bodyEnd;
  switch (status) {
    case STATUS_STRING:
      return { type: "string", value: b.slice(p, end) };
    case STATUS_NIL:
      return { type: "nil" };
    case STATUS_ERROR:
      return { type: "error", value: utf8.decode(b.subarray(p, end)) };
    case STATUS_INT:
      return { type: "int", value: int64(b, p, end) };
    case STATUS_DOUBLE:
      return { type: "double", value: float64(b, p, end) };
    case STATUS_BOOL:
      return { type: "bool", value: bool(b, p, end) };
    case STATUS_ARRAY:
    case STATUS_SET:
    case STATUS_PUSH:
    case STATUS_MAP: {
      const n = aggregateCount(b, st, status, p, end, depth);
      const elems = status === STATUS_MAP ? n * 2 : n;
      const xs: Tagged[] = new Array(elems);
      for (let i = 0; i < elems; i++) xs[i] = tagged(b, st, end, depth + 1);
      aggregateEnd(st, end);
      return { type: AGGREGATE_NAMES[status] as "array", value: xs };
    }
    default:
      throw new ProtocolError(`unknown reply status ${status}`);
  }
}

function mapKey(k: Value): MapKey {
  if (k instanceof Uint8Array) return utf8.decode(k);
  if (k === null || typeof k !== "object") return k;
  return JSON.stringify(toText(k)); // aggregates as keys: rare; keep something printable
}

/** Deep copy of a value with every byte string decoded as UTF-8 text. */
export function toText(v: Value): unknown {
  if (v instanceof Uint8Array) return utf8.decode(v);
  if (Array.isArray(v)) return v.map(toText);
  if (v instanceof Map) {
    const m = new Map<MapKey, unknown>();
    for (const [k, x] of v) m.set(k, toText(x));
    return m;
  }
  return v;
}
