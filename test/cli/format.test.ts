// Reply formatting; the expected texts were captured from redis-cli 7.0.15
// (on a terminal, RESP3) for the same replies.

import { expect, test } from "bun:test";
import { formatRaw, formatTTY, repr } from "../../src/cli/format.ts";
import type { Tagged } from "../../src/client/index.ts";

const te = new TextEncoder();
const str = (s: string): Tagged => ({ type: "string", value: te.encode(s) });
const int = (n: number): Tagged => ({ type: "int", value: n });
const arr = (...xs: Tagged[]): Tagged => ({ type: "array", value: xs });

test("repr escapes like sdscatrepr", () => {
  expect(repr(new Uint8Array([97, 1, 98, 34, 99, 92, 100, 10, 13, 9, 7, 8, 0, 255]))).toBe(
    '"a\\x01b\\"c\\\\d\\n\\r\\t\\a\\b\\x00\\xff"',
  );
  expect(repr(te.encode("é"))).toBe('"\\xc3\\xa9"');
});

test("scalars", () => {
  expect(formatTTY(str("OK"), "set")).toBe("OK\n");
  expect(formatTTY(str("PONG"), "ping")).toBe("PONG\n");
  expect(formatTTY(str("OK"), "get")).toBe('"OK"\n'); // stored data stays quoted
  expect(formatTTY(str("OK"), "echo")).toBe('"OK"\n');
  expect(formatTTY(str("list"), "type")).toBe("list\n");
  expect(formatTTY(str("v"), "get")).toBe('"v"\n');
  expect(formatTTY({ type: "nil" })).toBe("(nil)\n");
  expect(formatTTY({ type: "error", value: "ERR unknown command 'foo'" })).toBe(
    "(error) ERR unknown command 'foo'\n",
  );
  expect(formatTTY(int(2))).toBe("(integer) 2\n");
  expect(formatTTY({ type: "int", value: 2n ** 62n })).toBe("(integer) 4611686018427387904\n");
  expect(formatTTY({ type: "double", value: 1 })).toBe("(double) 1\n");
  expect(formatTTY({ type: "double", value: 1.5 })).toBe("(double) 1.5\n");
  expect(formatTTY({ type: "bool", value: true })).toBe("(true)\n");
});

test("lists: right-aligned indexes, nesting, empties, maps, sets", () => {
  const eleven = arr(...Array.from({ length: 11 }, (_, i) => str(String(i + 1))));
  expect(formatTTY(eleven, "lrange")).toBe(
    ' 1) "1"\n 2) "2"\n 3) "3"\n 4) "4"\n 5) "5"\n 6) "6"\n 7) "7"\n 8) "8"\n 9) "9"\n10) "10"\n11) "11"\n',
  );
  const withScores = arr(
    arr(str("a"), { type: "double", value: 1 }),
    arr(str("b"), { type: "double", value: 2 }),
  );
  expect(formatTTY(withScores, "zrange")).toBe(
    '1) 1) "a"\n   2) (double) 1\n2) 1) "b"\n   2) (double) 2\n',
  );
  expect(formatTTY(arr())).toBe("(empty array)\n");
  expect(formatTTY({ type: "map", value: [] })).toBe("(empty hash)\n");
  expect(formatTTY({ type: "set", value: [] })).toBe("(empty set)\n");
  const hello: Tagged = {
    type: "map",
    value: [str("server"), str("redis"), str("proto"), int(3), str("modules"), arr()],
  };
  expect(formatTTY(hello, "hello")).toBe(
    '1# "server" => "redis"\n2# "proto" => (integer) 3\n3# "modules" => (empty array)\n',
  );
  expect(formatTTY({ type: "set", value: [str("x"), str("y")] })).toBe('1~ "x"\n2~ "y"\n');
});

test("raw output: bare values, one per line", () => {
  const td = new TextDecoder();
  const raw = (t: Tagged) => {
    const r = formatRaw(t);
    return typeof r === "string" ? r : td.decode(r);
  };
  expect(raw(str("a b"))).toBe("a b");
  expect(formatRaw(str("\x00"))).toEqual(new Uint8Array([0]));
  expect(raw({ type: "nil" })).toBe("");
  expect(raw(int(5))).toBe("5");
  expect(raw({ type: "error", value: "ERR x" })).toBe("ERR x");
  expect(raw(arr(str("a"), str("b"), str("c d")))).toBe("a\nb\nc d");
  expect(raw({ type: "map", value: [str("server"), str("imds"), str("proto"), int(3)] })).toBe(
    "server imds\nproto 3",
  );
});
