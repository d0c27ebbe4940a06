import { expect, test } from "bun:test";
import {
  addLongDouble,
  formatLongDoubleHuman,
  parseLongDouble,
} from "../../src/protocol/longdouble.ts";

const enc = new TextEncoder();
const parse = (s: string) => {
  const b = enc.encode(s);
  return parseLongDouble(b, 0, b.length);
};
const fmt = (s: string) => formatLongDoubleHuman(parse(s)!);
const add = (a: string, b: string) => {
  const r = addLongDouble(parse(a)!, parse(b)!);
  return r === null ? null : formatLongDoubleHuman(r);
};

test("parse and print like strtold + %.17Lf (values checked on redis-server 7.0)", () => {
  expect(fmt("1.5")).toBe("1.5");
  expect(fmt("0.1")).toBe("0.1");
  expect(fmt("3.0e3")).toBe("3000");
  expect(fmt("1e30")).toBe("1000000000000000000024696061952"); // 1e30 rounded to 64 bits
  expect(fmt("-0")).toBe("0");
  expect(fmt("1e-20")).toBe("0");
  expect(fmt("0x1p3")).toBe("8");
  expect(add("0.1", "0.2")).toBe("0.3");
  expect(add("1.5", "0.1")).toBe("1.6");
  expect(add("10.5", "-10.5")).toBe("0");
  expect(add("inf", "1")).toBe(null);
  expect(add("1e4932", "1e4932")).toBe(null); // overflows long double
});

test("refuses what Redis refuses", () => {
  for (const bad of [
    "",
    " 1",
    "1 ",
    "abc",
    "nan",
    "1e",
    ".",
    "-",
    "0x",
    "1e5000",
    "1e-5000",
    "1\0",
  ]) {
    expect(parse(bad), JSON.stringify(bad)).toBe(null);
  }
  for (const good of ["inf", "-Infinity", ".5", "5.", "+7", "0e-5000", "0x1.8p-2", "1e400"]) {
    expect(parse(good), good).not.toBe(null);
  }
  expect(parse("x".repeat(5120))).toBe(null); // MAX_LONG_DOUBLE_CHARS
});
