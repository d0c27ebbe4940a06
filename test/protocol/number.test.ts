// writeDecimal (INCR values, integer replies): the digits of every magnitude, both signs, both
// paths (32-bit and double), as String() prints them.
import { expect, test } from "bun:test";
import { writeDecimal } from "../../src/protocol/number.ts";

test("writeDecimal matches String() across magnitudes", () => {
  const b = new Uint8Array(32);
  const vals = [
    0,
    -0,
    1,
    9,
    10,
    99,
    100,
    2147483647,
    2147483648,
    -2147483648,
    -2147483649,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e15,
    4294967295,
    4294967296,
  ];
  for (let k = 1; k < 1e16; k *= 10) for (const d of [-1, 0, 1]) vals.push(k + d, -(k + d));
  for (let i = 0; i < 100000; i++)
    vals.push(Math.floor((Math.random() - 0.5) * 2 ** (Math.random() * 54)));
  for (const v of vals) {
    const end = writeDecimal(b, 3, v);
    expect(new TextDecoder().decode(b.subarray(3, end))).toBe(String(Object.is(v, -0) ? 0 : v));
  }
});
