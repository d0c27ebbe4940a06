// Replies between the command layer and scripts, both directions:
//
// - decodeReply: a command run by redis.call writes its reply through an ordinary `Reply` into
//   the script context's own OutBuf (RESP2 or RESP3, as the script chose with redis.setresp);
//   this decodes those bytes into a ReplyValue for the engine. A capturing Reply subclass
//   would skip the bytes, but it would make every handler's `c.reply.x()` call site
//   polymorphic for the JIT on the main path; decoding a few bytes per call costs less than
//   that (docs/SCRIPTING.md, "Execution model").
// - writeReplyValue: a script's result -> the caller's Reply, in the caller's protocol (RESP2,
//   RESP3 or v1), as Redis's luaReplyToRedisReply writes it with addReply*.

import { assert } from "../assert.ts";
import type { Reply } from "../protocol/reply.ts";
import type { ReplyValue } from "./values.ts";

const dec = new TextDecoder("latin1");

/** Cursor of one decode (caller-owned, so nested use cannot clash). */
export class ReplyCursor {
  pos = 0;
}

function line(buf: Uint8Array, cur: ReplyCursor, end: number): string {
  const start = cur.pos;
  let p = start;
  while (p < end && buf[p] !== 13) p++;
  assert(p + 1 < end, "captured reply: line without CRLF");
  cur.pos = p + 2;
  if (p - start > 32) return dec.decode(buf.subarray(start, p));
  let out = ""; // short lines (OK, QUEUED, error texts' starts): no view, no decoder call
  for (let i = start; i < p; i++) out += String.fromCharCode(buf[i]!);
  return out;
}

function lineInt(buf: Uint8Array, cur: ReplyCursor, end: number): number {
  let p = cur.pos;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  }
  let n = 0;
  while (p < end && buf[p] !== 13) n = n * 10 + (buf[p++]! - 48);
  assert(p + 1 < end, "captured reply: number without CRLF");
  cur.pos = p + 2;
  return neg ? -n : n;
}

/** Decode one RESP2/RESP3 reply written by our own Reply (trusted bytes) at cur.pos. */
export function decodeReply(buf: Uint8Array, cur: ReplyCursor, end: number): ReplyValue {
  const t = buf[cur.pos++];
  switch (t) {
    case 43: // +
      return { type: "status", value: line(buf, cur, end) };
    case 45: // -
      return { type: "error", value: line(buf, cur, end) };
    case 58: {
      // :  (15 chars, sign included, cannot pass 2^53: parsed in place)
      let p = cur.pos;
      while (p < end && buf[p] !== 13) p++;
      if (p - cur.pos <= 15) return { type: "int", value: lineInt(buf, cur, end) };
      const s = line(buf, cur, end);
      const n = Number(s);
      return { type: "int", value: Number.isSafeInteger(n) ? n : BigInt(s) };
    }
    case 36: {
      // $
      const n = lineInt(buf, cur, end);
      if (n < 0) return { type: "null" };
      const v = buf.slice(cur.pos, cur.pos + n);
      cur.pos += n + 2;
      return { type: "bulk", value: v };
    }
    case 61: {
      // = verbatim: the text without its "txt:" format prefix
      const n = lineInt(buf, cur, end);
      const v = buf.slice(cur.pos + 4, cur.pos + n);
      cur.pos += n + 2;
      return { type: "bulk", value: v };
    }
    case 42: // *
    case 126: // ~
    case 62: {
      // > (push; not produced inside scripts)
      const n = lineInt(buf, cur, end);
      if (n < 0) return { type: "null" };
      const out: ReplyValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = decodeReply(buf, cur, end);
      return t === 126 ? { type: "set", value: out } : { type: "array", value: out };
    }
    case 37: {
      // %
      const n = lineInt(buf, cur, end);
      const out: [ReplyValue, ReplyValue][] = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = decodeReply(buf, cur, end);
        out[i] = [k, decodeReply(buf, cur, end)];
      }
      return { type: "map", value: out };
    }
    case 95: // _
      cur.pos += 2;
      return { type: "null" };
    case 44: {
      // ,
      const s = line(buf, cur, end);
      const d = s === "inf" ? Infinity : s === "-inf" ? -Infinity : s === "nan" ? NaN : Number(s);
      return { type: "double", value: d };
    }
    case 35: {
      // #
      const b = buf[cur.pos] === 116;
      cur.pos += 3;
      return { type: "bool", value: b };
    }
    case 40: // (
      return { type: "bignum", value: line(buf, cur, end) };
    default:
      assert(false, `captured reply: unexpected type byte ${t}`);
      return { type: "null" };
  }
}

/** A script's result to the caller (luaReplyToRedisReply's addReply* calls). */
export function writeReplyValue(r: Reply, v: ReplyValue): void {
  switch (v.type) {
    case "status":
      return r.status(v.value);
    case "error":
      return r.error(v.value);
    case "int":
      if (typeof v.value === "bigint") return r.intBig(v.value);
      return r.int(v.value);
    case "bulk":
      return r.bulk(v.value, 0, v.value.length);
    case "null":
      return r.nil();
    case "array":
      r.array(v.value.length);
      for (const e of v.value) writeReplyValue(r, e);
      return;
    case "set":
      r.set(v.value.length);
      for (const e of v.value) writeReplyValue(r, e);
      return;
    case "map":
      r.map(v.value.length);
      for (const [k, e] of v.value) {
        writeReplyValue(r, k);
        writeReplyValue(r, e);
      }
      return;
    case "double":
      return r.double(v.value);
    case "bool":
      return r.bool(v.value);
    case "bignum":
      // RESP3 big number; RESP2/v1 get its digits as a bulk string, as addReplyBigNum
      if (r.mode === 3) {
        r.out.ascii(`(${v.value}\r\n`);
        return;
      }
      return r.bulkStr(v.value);
  }
}
