// The RESP request decoder on its own: every split point, random chunking
// with the connection's carry logic, limits at and past their bounds, garbage.
// The error texts are Redis 7.0.15's (the same bytes are replayed against the
// real redis-server in test/integration/resp-protocol.test.ts).

import { describe, expect, test } from "bun:test";
import { Args } from "../../src/protocol/args.ts";
import {
  type DecodeLimits,
  decodeStatus,
  NEED_MORE,
  PROTOCOL_ERROR,
} from "../../src/protocol/framing.ts";
import { decodeResp } from "../../src/protocol/resp.ts";
import { Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();
const LIMITS: DecodeLimits = {
  maxArgs: 1024,
  maxBulkLen: 512 * 1024 * 1024,
  maxInlineLen: 64 * 1024,
  unauthenticated: false,
};

function bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === "string" ? enc.encode(s) : s;
}

function latin(b: Uint8Array): string {
  return Buffer.from(b).toString("latin1");
}

/** Multibulk encoding of a request. */
function mb(...parts: (string | Uint8Array)[]): Uint8Array {
  const chunks: Uint8Array[] = [enc.encode(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = bytes(p);
    chunks.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return Buffer.concat(chunks);
}

type Result = { args: string[] } | { error: string } | "need";

/** Decode one request at the start of `input`. */
function decode1(
  input: string | Uint8Array,
  limits = LIMITS,
): { r: Result; next: number; need: number } {
  const buf = bytes(input);
  const a = new Args(4);
  const next = decodeResp(buf, 0, buf.length, a, limits);
  if (next === NEED_MORE) return { r: "need", next, need: decodeStatus.need };
  if (next === PROTOCOL_ERROR) return { r: { error: decodeStatus.error }, next, need: 0 };
  const args: string[] = [];
  for (let i = 0; i < a.count; i++) args.push(latin(a.bytes(i)));
  return { r: { args }, next, need: 0 };
}

/**
 * Feed `stream` in the given chunks the way Client does (decode in place,
 * carry the incomplete tail, honour the need hint), collecting requests.
 * Empty requests are dropped like the server does.
 */
function stream(input: Uint8Array, cuts: number[], limits = LIMITS): Result[] {
  const out: Result[] = [];
  const a = new Args(2);
  let carry: Uint8Array = new Uint8Array(0);
  let needBytes = 0;
  let prev = 0;
  for (const cut of [...cuts, input.length]) {
    // A fresh buffer per chunk, as Bun gives, at a random-ish offset inside it.
    const chunk = new Uint8Array(cut - prev + 7).subarray(7);
    chunk.set(input.subarray(prev, cut));
    prev = cut;
    let buf: Uint8Array;
    if (carry.length === 0) buf = chunk;
    else {
      buf = Buffer.concat([carry, chunk]);
      if (buf.length < needBytes) {
        carry = buf;
        continue;
      }
    }
    let pos = 0;
    for (;;) {
      if (pos === buf.length) {
        carry = new Uint8Array(0);
        break;
      }
      const next = decodeResp(buf, pos, buf.length, a, limits);
      if (next === NEED_MORE) {
        const rest = buf.length - pos;
        needBytes = Math.max(rest + 1, decodeStatus.need);
        carry = buf.slice(pos);
        break;
      }
      if (next === PROTOCOL_ERROR) {
        out.push({ error: decodeStatus.error });
        return out;
      }
      expect(next).toBeGreaterThan(pos);
      pos = next;
      if (a.count > 0) {
        const args: string[] = [];
        for (let i = 0; i < a.count; i++) args.push(latin(a.bytes(i)));
        out.push({ args });
      }
    }
  }
  if (carry.length > 0) out.push("need");
  return out;
}

describe("multibulk", () => {
  test("one request, zero-copy views into the buffer", () => {
    const buf = mb("SET", "key", "value");
    const a = new Args(1);
    expect(decodeResp(buf, 0, buf.length, a, LIMITS)).toBe(buf.length);
    expect(a.count).toBe(3);
    expect(a.buf).toBe(buf);
    expect(a.str(0)).toBe("SET");
    expect(a.off(2)).toBe(buf.length - 7);
    expect(a.str(2)).toBe("value");
  });

  test("binary payloads with CR, LF, NUL and '*' inside", () => {
    const v = new Uint8Array([0, 13, 10, 42, 36, 255, 13, 10]);
    const { r } = decode1(mb("SET", v, ""));
    expect(r).toEqual({ args: ["SET", latin(v), ""] });
  });

  test("*0 and *-N are empty requests; the next request follows", () => {
    expect(decode1("*0\r\n")).toMatchObject({ r: { args: [] }, next: 4 });
    expect(decode1("*-1\r\n")).toMatchObject({ r: { args: [] }, next: 5 });
    expect(decode1("*-5\r\nPING\r\n")).toMatchObject({ r: { args: [] }, next: 5 });
  });

  test("Redis does not check the LF after a CR, nor the two bytes after a payload", () => {
    expect(decode1("*1\rX$4\rYPINGxx").r).toEqual({ args: ["PING"] });
  });

  test("counts and lengths parse like string2ll", () => {
    for (const bad of ["*\r\n", "*abc\r\n", "*01\r\n", "*+1\r\n", "*1 \r\n", "*2147483648\r\n"]) {
      expect(decode1(bad).r).toEqual({ error: "ERR Protocol error: invalid multibulk length" });
    }
    for (const bad of ["$\r\n", "$-1\r\n", "$+3\r\n", "$03\r\n", "$3x\r\n", "$-0\r\n"]) {
      expect(decode1(`*1\r\n${bad}foo\r\n`).r).toEqual({
        error: "ERR Protocol error: invalid bulk length",
      });
    }
    // INT_MAX itself is a valid count (argv grows as arguments arrive).
    expect(decode1("*2147483647\r\n").r).toBe("need");
  });

  test("expected '$'", () => {
    expect(decode1("*1\r\nx3\r\n").r).toEqual({
      error: "ERR Protocol error: expected '$', got 'x'",
    });
    expect(decode1("*1\r\n\r\n").r).toEqual({ error: "ERR Protocol error: expected '$', got ' '" });
    expect(decode1("*2\r\n$1\r\na\r\n:1\r\n").r).toEqual({
      error: "ERR Protocol error: expected '$', got ':'",
    });
    // Redis waits for the CR before looking at the type byte.
    expect(decode1("*1\r\nx3").r).toBe("need");
  });

  test("proto-max-bulk-len: at the bound waits for the payload, past it fails", () => {
    const limits = { ...LIMITS, maxBulkLen: 1024 * 1024 };
    const at = decode1("*1\r\n$1048576\r\n", limits);
    expect(at.r).toBe("need");
    expect(at.need).toBe(14 + 1048576 + 2);
    expect(decode1("*1\r\n$1048577\r\n", limits).r).toEqual({
      error: "ERR Protocol error: invalid bulk length",
    });
    expect(decode1("*1\r\n$536870912\r\n").r).toBe("need");
    expect(decode1("*1\r\n$536870913\r\n").r).toEqual({
      error: "ERR Protocol error: invalid bulk length",
    });
  });

  test("header lines without CR: 64 KiB waits, one byte more fails", () => {
    const digits = (n: number) => "1".repeat(n);
    expect(decode1(`*${digits(65535)}`).r).toBe("need");
    expect(decode1(`*${digits(65536)}`).r).toEqual({
      error: "ERR Protocol error: too big mbulk count string",
    });
    expect(decode1(`*1\r\n$${digits(65535)}`).r).toBe("need");
    expect(decode1(`*1\r\n$${digits(65536)}`).r).toEqual({
      error: "ERR Protocol error: too big bulk count string",
    });
  });

  test("before AUTH: at most 10 arguments of 16 KiB", () => {
    const unauth = { ...LIMITS, unauthenticated: true };
    expect(decode1("*10\r\n", unauth).r).toBe("need");
    expect(decode1("*11\r\n", unauth).r).toEqual({
      error: "ERR Protocol error: unauthenticated multibulk length",
    });
    expect(decode1("*1\r\n$16384\r\n", unauth).r).toBe("need");
    expect(decode1("*1\r\n$16385\r\n", unauth).r).toEqual({
      error: "ERR Protocol error: unauthenticated bulk length",
    });
    expect(decode1("*11\r\n").r).toBe("need");
  });

  test("need hint: the end of the declared payload (never more: it sizes the carry buffer)", () => {
    const { r, need } = decode1("*3\r\n$3\r\nSET\r\n$100\r\n");
    expect(r).toBe("need");
    // header 4 + SET 9 + "$100\r\n" 6 + 100 + 2.
    expect(need).toBe(4 + 9 + 6 + 102);
    // A huge count with small arguments does not inflate the hint.
    const huge = decode1("*2147483647\r\n$1\r\nx\r\n$1\r\n");
    expect(huge.r).toBe("need");
    expect(huge.need).toBe(13 + 7 + 4 + 3);
  });

  test("a partial request resumes after the carry moved, offsets rebased", () => {
    const req = mb("MSET", "a", "1", "bb", "22", "ccc", "333");
    const a = new Args(2); // forces argv growth while resuming
    for (let cut = 1; cut < req.length; cut++) {
      const first = new Uint8Array(cut + 100);
      first.set(req.subarray(0, cut), 100);
      expect(decodeResp(first, 100, 100 + cut, a, LIMITS)).toBe(NEED_MORE);
      const second = Buffer.concat([req, mb("PING")]);
      expect(decodeResp(second, 0, second.length, a, LIMITS)).toBe(req.length);
      expect(a.toStrings()).toEqual(["MSET", "a", "1", "bb", "22", "ccc", "333"]);
    }
  });

  test("a stale resume point of another request is ignored", () => {
    const a = new Args(2);
    const x = mb("SET", "k", "v");
    expect(decodeResp(x, 0, 12, a, LIMITS)).toBe(NEED_MORE);
    // Same count, different bytes from another connection's point of view: the
    // slot is keyed by Args; a fresh Args parses from scratch.
    const y = mb("GET", "key", "zz");
    const b = new Args(2);
    expect(decodeResp(y, 0, y.length, b, LIMITS)).toBe(y.length);
    expect(b.toStrings()).toEqual(["GET", "key", "zz"]);
  });

  test("a million small arguments arriving in 64 KiB chunks decode in linear time", () => {
    const n = 1_000_000;
    const parts: string[] = [`*${n}\r\n`];
    for (let i = 0; i < n; i++) parts.push("$1\r\nx\r\n");
    const req = enc.encode(parts.join(""));
    const cuts: number[] = [];
    for (let c = 65536; c < req.length; c += 65536) cuts.push(c);
    const t0 = performance.now();
    const out = stream(req, cuts);
    const ms = performance.now() - t0;
    expect(out.length).toBe(1);
    expect((out[0] as { args: string[] }).args.length).toBe(n);
    // Quadratic re-parsing would take minutes; generous bound for a busy 2-core box.
    expect(ms).toBeLessThan(20000);
  });
});

describe("inline", () => {
  const cases: [string, Result][] = [
    ["PING\r\n", { args: ["PING"] }],
    ["PING\n", { args: ["PING"] }],
    ["  SET   k\tv  \r\n", { args: ["SET", "k", "v"] }],
    ["\r\n", { args: [] }],
    ["   \n", { args: [] }],
    ["a\vb c\n", { args: ["a\vb", "c"] }], // \v and \f end words only between words
    ['ECHO "a\\x41b\\n\\r\\t\\b\\a\\q\\\\\\""\n', { args: ["ECHO", 'aAb\n\r\t\b\x07q\\"'] }],
    ['ECHO "\\x4"\n', { args: ["ECHO", "x4"] }],
    ["ECHO 'it\\'s' '\\n'\n", { args: ["ECHO", "it's", "\\n"] }],
    ['ECHO foo"bar baz"\n', { args: ["ECHO", "foobar baz"] }],
    ["ECHO foo'x y'\n", { args: ["ECHO", "foox y"] }],
    ["ECHO \"\" ''\n", { args: ["ECHO", "", ""] }],
    ['ECHO "x"\tPING\n', { args: ["ECHO", "x", "PING"] }],
    ['ECHO "x"\r\n', { args: ["ECHO", "x"] }],
    ["A\x00B C\n", "need"], // Redis's strchr stops at the NUL: the line never ends
    ['ECHO "a"b\r\n', { error: "ERR Protocol error: unbalanced quotes in request" }],
    ['ECHO "abc\r\n', { error: "ERR Protocol error: unbalanced quotes in request" }],
    ["ECHO 'abc\n", { error: "ERR Protocol error: unbalanced quotes in request" }],
    ["ECHO 'a'b\n", { error: "ERR Protocol error: unbalanced quotes in request" }],
    ['ECHO a"b c"d\n', { error: "ERR Protocol error: unbalanced quotes in request" }],
    ['ECHO "abc\\"\n', { error: "ERR Protocol error: unbalanced quotes in request" }],
    ["PING", "need"],
    ["PING\r", "need"],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => {
      expect(decode1(input).r).toEqual(want);
    });
  }

  test("a quoted line is unescaped into scratch; a plain line is a view", () => {
    const plain = enc.encode("SET k v\r\n");
    const a = new Args(1);
    decodeResp(plain, 0, plain.length, a, LIMITS);
    expect(a.buf).toBe(plain);
    const quoted = enc.encode('SET k "v w"\r\n');
    decodeResp(quoted, 0, quoted.length, a, LIMITS);
    expect(a.buf).not.toBe(quoted);
    expect(a.toStrings()).toEqual(["SET", "k", "v w"]);
  });

  test("a quoted line longer than the kept scratch buffer", () => {
    const v = "y".repeat(200_000);
    const { r } = decode1(`SET k "${v}"\n`);
    expect(r).toEqual({ args: ["SET", "k", v] });
  });

  test("a NUL before the end of a line: waits, then too big past 64 KiB (Redis's strchr)", () => {
    expect(decode1(`PING\0${"x".repeat(65500)}\r\n`).r).toBe("need");
    expect(decode1(`PING\0${"x".repeat(65540)}\r\n`).r).toEqual({
      error: "ERR Protocol error: too big inline request",
    });
    expect(decode1("*1\r\n\0x\r\n").r).toBe("need");
    expect(decode1("*1\0\r\n").r).toBe("need");
    expect(decode1(`*1\r\n$\0${"1".repeat(65540)}\r\n`).r).toEqual({
      error: "ERR Protocol error: too big bulk count string",
    });
    // NUL inside a payload is just a byte.
    expect(decode1("*1\r\n$3\r\n\0\0\0\r\n").r).toEqual({ args: ["\0\0\0"] });
  });

  test("unterminated line: 64 KiB waits, one byte more fails", () => {
    expect(decode1("x".repeat(65536)).r).toBe("need");
    expect(decode1("x".repeat(65537)).r).toEqual({
      error: "ERR Protocol error: too big inline request",
    });
    // A longer line that is already complete is accepted, as in Redis when it arrives at once.
    expect(decode1(`ECHO ${"x".repeat(100_000)}\n`).r).toEqual({
      args: ["ECHO", "x".repeat(100_000)],
    });
  });
});

describe("streams", () => {
  const reqs: { bytes: Uint8Array; want: Result | null }[] = [
    { bytes: mb("SET", "k", "v"), want: { args: ["SET", "k", "v"] } },
    { bytes: enc.encode("PING\r\n"), want: { args: ["PING"] } },
    { bytes: mb("GET", new Uint8Array([13, 10, 0, 42])), want: { args: ["GET", "\r\n\0*"] } },
    { bytes: enc.encode("*0\r\n"), want: null },
    { bytes: enc.encode('ECHO "a b"\n'), want: { args: ["ECHO", "a b"] } },
    { bytes: enc.encode("\r\n"), want: null },
    { bytes: mb(""), want: { args: [""] } },
    { bytes: mb("DEL", ...Array.from({ length: 40 }, (_, i) => `key:${i}`)), want: null },
    { bytes: enc.encode("get  x\n"), want: { args: ["get", "x"] } },
  ];
  reqs[7]!.want = { args: ["DEL", ...Array.from({ length: 40 }, (_, i) => `key:${i}`)] };
  const all = Buffer.concat(reqs.map((r) => r.bytes));
  const expected = reqs.flatMap((r) => (r.want ? [r.want] : []));

  test("every single split point", () => {
    for (let cut = 0; cut <= all.length; cut++) {
      expect(stream(all, cut === 0 || cut === all.length ? [] : [cut])).toEqual(expected);
    }
  });

  test("every prefix alone is either whole requests or NEED_MORE, never wrong", () => {
    for (let cut = 1; cut < all.length; cut++) {
      const got = stream(all.subarray(0, cut), []);
      const done: Result[] = got.filter((g) => g !== "need");
      expect(done).toEqual(expected.slice(0, done.length));
    }
  });

  test("random chunkings (seeded)", () => {
    const rng = new Prng(5);
    for (let round = 0; round < 300; round++) {
      const cuts: number[] = [];
      let at = 0;
      for (;;) {
        at += 1 + rng.int(round % 2 === 0 ? 8 : 64);
        if (at >= all.length) break;
        cuts.push(at);
      }
      expect(stream(all, cuts)).toEqual(expected);
    }
  });

  test("a protocol error after good requests: those run, then the error", () => {
    const bad = Buffer.concat([mb("PING"), enc.encode("*1\r\n$x\r\n"), mb("PING")]);
    expect(stream(bad, [])).toEqual([
      { args: ["PING"] },
      { error: "ERR Protocol error: invalid bulk length" },
    ]);
  });

  test("random garbage never throws, never loops, never reads past end", () => {
    const rng = new Prng(99);
    const alphabet = enc.encode("*$\r\n0123456789-+ \"'\\xaZ\0");
    for (let round = 0; round < 3000; round++) {
      const len = 1 + rng.int(40);
      const buf = new Uint8Array(len);
      for (let i = 0; i < len; i++) buf[i] = alphabet[rng.int(alphabet.length)]!;
      const a = new Args(1);
      let pos = 0;
      for (let steps = 0; steps < 100 && pos < len; steps++) {
        const next = decodeResp(buf, pos, len, a, LIMITS);
        if (next < 0) break;
        expect(next).toBeGreaterThan(pos);
        expect(next).toBeLessThanOrEqual(len);
        for (let i = 0; i < a.count; i++) {
          expect(a.off(i) + a.len(i)).toBeLessThanOrEqual(a.buf.length);
        }
        pos = next;
      }
    }
  });
});
