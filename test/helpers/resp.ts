// A tiny RESP client for tests: encodes commands, and splits the reply stream into raw reply
// byte strings (for byte-exact comparison) and parsed values (for readable assertions). Speaks
// RESP2 and RESP3 replies. Every wait is bounded. (resp-conn.ts: a raw connection on the same
// encoder and framing, for split writes and closes.)

import { concatBytes } from "../../src/store/bytes.ts";
import { RawConn } from "./raw.ts";

export type Arg = string | Uint8Array | number;

/** A parsed reply. Errors come back as RespError values, not thrown. */
export type RespValue =
  | string // simple string / bulk (as latin1-safe UTF-8 text); see `bytes` option
  | number
  | bigint
  | null
  | boolean
  | RespError
  | RespValue[]
  | Map<RespValue, RespValue>
  | { double: number }
  | { verbatim: string };

export class RespError {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function argBytes(a: Arg): Uint8Array {
  if (typeof a === "string") return encoder.encode(a);
  if (typeof a === "number") return encoder.encode(String(a));
  return a;
}

/** Encode one command as a RESP multibulk. */
export function encodeCommand(args: readonly Arg[]): Uint8Array {
  const parts = args.map(argBytes);
  let size = 16;
  for (const p of parts) size += p.length + 16;
  const out = new Uint8Array(size);
  let at = 0;
  const ascii = (s: string) => {
    for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
  };
  ascii(`*${parts.length}\r\n`);
  for (const p of parts) {
    ascii(`$${p.length}\r\n`);
    out.set(p, at);
    at += p.length;
    ascii("\r\n");
  }
  return out.subarray(0, at);
}

function lineEnd(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i;
  return -1;
}

function asciiSlice(buf: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

/**
 * Parse one reply at buf[pos]. Returns [value, end] or null if incomplete.
 * Bulk strings decode as UTF-8 text unless `raw` (then latin1: one char per byte).
 */
export function parseReply(buf: Uint8Array, pos: number, raw = false): [RespValue, number] | null {
  if (pos >= buf.length) return null;
  const nl = lineEnd(buf, pos + 1);
  if (nl < 0) return null;
  const type = buf[pos]!;
  const line = asciiSlice(buf, pos + 1, nl);
  const next = nl + 2;
  switch (type) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new RespError(line), next];
    case 33: {
      // ! blob error
      const len = Number(line);
      if (buf.length < next + len + 2) return null;
      return [new RespError(asciiSlice(buf, next, next + len)), next + len + 2];
    }
    case 58: {
      // :
      const n = BigInt(line);
      return [n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n, next];
    }
    case 36: // $
    case 61: {
      // = verbatim
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return null;
      const body = buf.subarray(next, next + len);
      const text = raw ? asciiSlice(body, 0, body.length) : decoder.decode(body);
      return [type === 61 ? { verbatim: text } : text, next + len + 2];
    }
    case 42: // *
    case 126: // ~ set
    case 62: {
      // > push
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: RespValue[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p, raw);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    case 37: {
      // % map
      const n = Number(line);
      const m = new Map<RespValue, RespValue>();
      let p = next;
      for (let i = 0; i < n; i++) {
        const k = parseReply(buf, p, raw);
        if (k === null) return null;
        const v = parseReply(buf, k[1], raw);
        if (v === null) return null;
        m.set(k[0], v[0]);
        p = v[1];
      }
      return [m, p];
    }
    case 95: // _ null
      return [null, next];
    case 35: // # bool
      return [line === "t", next];
    case 44: // , double
      return [{ double: Number(line.replace("inf", "Infinity")) }, next];
    case 40: // ( big number
      return [BigInt(line), next];
    default:
      throw new Error(`bad RESP reply type byte ${type} at ${pos}: ${asciiSlice(buf, pos, nl)}`);
  }
}

/** End offset of the whole reply starting at buf[pos], or -1 if it is incomplete. */
export function replyEnd(buf: Uint8Array, pos: number): number {
  const r = parseReply(buf, pos, true);
  return r === null ? -1 : r[1];
}

export interface RawReply {
  bytes: Uint8Array;
  value: RespValue;
}

export class RespConn {
  private buf = new Uint8Array(0);

  private constructor(readonly conn: RawConn) {}

  static async open(port: number, host = "127.0.0.1"): Promise<RespConn> {
    return new RespConn(await RawConn.open(port, host));
  }

  /** Send commands back to back, then read exactly one reply per command. */
  async pipeline(cmds: readonly (readonly Arg[])[], timeoutMs = 20000): Promise<RawReply[]> {
    await this.conn.send(concatBytes(cmds.map(encodeCommand)));
    const out: RawReply[] = [];
    const deadline = Date.now() + timeoutMs;
    let pos = 0;
    while (out.length < cmds.length) {
      const r = parseReply(this.buf, pos, true);
      if (r !== null) {
        out.push({ bytes: this.buf.slice(pos, r[1]), value: r[0] });
        pos = r[1];
        continue;
      }
      // need more bytes
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${cmds.length - out.length} replies`);
      const more = await this.conn.read(Math.max(1, Math.min(this.conn.available, 1 << 20)), left);
      const merged = new Uint8Array(this.buf.length - pos + more.length);
      merged.set(this.buf.subarray(pos), 0);
      merged.set(more, this.buf.length - pos);
      this.buf = merged;
      pos = 0;
    }
    this.buf = this.buf.slice(pos);
    return out;
  }

  /** One command; its parsed reply (bulk strings as UTF-8 text). */
  async call(...args: Arg[]): Promise<RespValue> {
    const [r] = await this.pipeline([args]);
    return parseReply(r!.bytes, 0, false)![0];
  }

  /** Pipelined commands; their parsed replies (bulk strings as latin1 text, one char a byte). */
  async values(cmds: readonly (readonly Arg[])[], timeoutMs?: number): Promise<RespValue[]> {
    return (await this.pipeline(cmds, timeoutMs)).map((r) => r.value);
  }

  /** Pipelined commands; their raw reply bytes as latin1 strings. */
  async raws(cmds: readonly (readonly Arg[])[], timeoutMs?: number): Promise<string[]> {
    return (await this.pipeline(cmds, timeoutMs)).map((r) =>
      asciiSlice(r.bytes, 0, r.bytes.length),
    );
  }

  /** One command; its raw reply bytes as a latin1 string (easy to compare and print). */
  async raw(...args: Arg[]): Promise<string> {
    const [r] = await this.pipeline([args]);
    return asciiSlice(r!.bytes, 0, r!.bytes.length);
  }

  close(): void {
    this.conn.close();
  }
}

/** Printable form of raw reply bytes (CRLF and non-ASCII escaped). */
export function showBytes(b: Uint8Array | string): string {
  const s = typeof b === "string" ? b : asciiSlice(b, 0, b.length);
  return JSON.stringify(s);
}

/** INFO text -> field map. */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}
