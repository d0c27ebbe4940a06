import { expect, test } from "bun:test";
import { Args } from "../../src/protocol/args.ts";
import {
  type DecodeLimits,
  decodeStatus,
  NEED_MORE,
  PROTOCOL_ERROR,
} from "../../src/protocol/framing.ts";
import { decodeV1, encodeV1Request } from "../../src/protocol/v1.ts";
import { concatBytes } from "../../src/store/bytes.ts";
import { Prng } from "../helpers/prng.ts";

const limits: DecodeLimits = {
  maxArgs: 1024,
  maxBulkLen: 512 * 1024 * 1024,
  maxInlineLen: 65536,
  unauthenticated: false,
};

/** Decode everything in buf; returns the argument lists, or null if the last request is incomplete. */
function decodeAll(buf: Uint8Array): { reqs: string[][]; rest: number } {
  const args = new Args();
  const reqs: string[][] = [];
  let pos = 0;
  for (;;) {
    const next = decodeV1(buf, pos, buf.length, args, limits);
    if (next === NEED_MORE) return { reqs, rest: buf.length - pos };
    if (next < 0) throw new Error(decodeStatus.error);
    reqs.push(args.toStrings());
    pos = next;
    if (pos === buf.length) return { reqs, rest: 0 };
  }
}

test("a request split at every byte boundary decodes only when complete", () => {
  const reqs = [
    ["set", "foo", "bar"],
    ["get", ""],
    ["del", "k\u0000ey"],
  ];
  const wire = concatBytes(reqs.map((r) => encodeV1Request(r)));
  const ends: number[] = [];
  let at = 0;
  for (const r of reqs) {
    at += encodeV1Request(r).length;
    ends.push(at);
  }
  for (let split = 0; split <= wire.length; split++) {
    // Feed the first `split` bytes: exactly the requests that fit are decoded.
    const { reqs: got } = decodeAll(wire.subarray(0, split));
    const complete = ends.filter((e) => e <= split).length;
    expect(got).toEqual(reqs.slice(0, complete));
    // And the two halves in sequence (as the connection does with its carry) give all of them.
    const first = decodeAll(wire.subarray(0, split));
    const carry = wire.subarray(split - first.rest, split);
    const second = decodeAll(concatBytes([carry, wire.subarray(split)]));
    expect([...first.reqs, ...second.reqs]).toEqual(reqs);
    expect(second.rest).toBe(0);
  }
});

test("NEED_MORE reports how many bytes would complete a declared string", () => {
  const wire = encodeV1Request(["set", "k", "x".repeat(1000)]);
  expect(decodeV1(wire, 0, 30, new Args(), limits)).toBe(NEED_MORE);
  expect(decodeStatus.need).toBe(wire.length);
});

test("arguments are views into the input buffer (no copy)", () => {
  const wire = encodeV1Request(["set", "key", "value"]);
  const args = new Args();
  expect(decodeV1(wire, 0, wire.length, args, limits)).toBe(wire.length);
  expect(args.buf).toBe(wire);
  expect(args.bytes(2).buffer).toBe(wire.buffer);
});

test("thousands of requests in one chunk", () => {
  const r = new Prng(7);
  const reqs: string[][] = [];
  for (let i = 0; i < 5000; i++) reqs.push(["set", `k${r.int(100)}`, "v".repeat(r.int(50))]);
  const { reqs: got, rest } = decodeAll(concatBytes(reqs.map((q) => encodeV1Request(q))));
  expect(rest).toBe(0);
  expect(got).toEqual(reqs);
});

test("binary-safe arguments, empty arguments, zero strings", () => {
  const bin = new Uint8Array([0, 255, 13, 10, 0]);
  const wire = encodeV1Request(["set", bin, new Uint8Array(0)]);
  const args = new Args();
  expect(decodeV1(wire, 0, wire.length, args, limits)).toBe(wire.length);
  expect([...args.bytes(1)]).toEqual([...bin]);
  expect(args.len(2)).toBe(0);
  const empty = new Uint8Array(4);
  expect(decodeV1(empty, 0, 4, args, limits)).toBe(4);
  expect(args.count).toBe(0);
});

test("limits: at the bound accepted, past it a protocol error naming the limit", () => {
  const atLimit = encodeV1Request(Array.from({ length: 1024 }, () => "a"));
  const args = new Args();
  expect(decodeV1(atLimit, 0, atLimit.length, args, limits)).toBe(atLimit.length);
  expect(args.count).toBe(1024);
  const past = encodeV1Request(Array.from({ length: 1025 }, () => "a"));
  expect(decodeV1(past, 0, past.length, args, limits)).toBe(PROTOCOL_ERROR);
  expect(decodeStatus.error).toContain("v1-max-args 1024");

  const small: DecodeLimits = { ...limits, maxBulkLen: 10 };
  const ok = encodeV1Request(["set", "k", "x".repeat(10)]);
  expect(decodeV1(ok, 0, ok.length, args, small)).toBe(ok.length);
  const big = encodeV1Request(["set", "k", "x".repeat(11)]);
  expect(decodeV1(big, 0, big.length, args, small)).toBe(PROTOCOL_ERROR);
  expect(decodeStatus.error).toContain("proto-max-bulk-len 10");
  // The header alone is enough to refuse: no need to wait for the bytes.
  expect(decodeV1(big, 0, 4 + 4 + 3 + 4 + 1 + 4, args, small)).toBe(PROTOCOL_ERROR);
  // A huge nstr is refused from the first 4 bytes.
  expect(decodeV1(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0, 4, args, limits)).toBe(
    PROTOCOL_ERROR,
  );
});
