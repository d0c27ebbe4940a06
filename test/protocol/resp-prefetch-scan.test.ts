// scanRequestKeys (src/protocol/resp.ts): the batch key scan Client.prefetchKeys feeds to
// Table.prefetch. It is only a hint, but a wrong offset would prefetch the wrong bytes and a
// scan past a partial request would read garbage: check what it records and where it stops.

import { describe, expect, test } from "bun:test";
import { scanRequestKeys } from "../../src/protocol/resp.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function req(...argv: string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${enc.encode(a).length}\r\n${a}\r\n`;
  return s;
}

function scan(text: string, max = 32, from = 0): string[] {
  const buf = enc.encode(text);
  const offs = new Int32Array(max);
  const lens = new Int32Array(max);
  const n = scanRequestKeys(buf, from, buf.length, offs, lens, max);
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(dec.decode(buf.subarray(offs[i]!, offs[i]! + lens[i]!)));
  return keys;
}

describe("scanRequestKeys", () => {
  test("argument 1 of each complete request, in order", () => {
    const t = req("SET", "key:1", "xxx") + req("GET", "key:22") + req("HSET", "h", "f", "v");
    expect(scan(t)).toEqual(["key:1", "key:22", "h"]);
  });

  test("starts at pos, not at 0", () => {
    const a = req("GET", "first");
    expect(scan(a + req("GET", "second"), 32, a.length)).toEqual(["second"]);
  });

  test("a key repeated back to back ends the scan (a hot-key pipeline); a later repeat does not", () => {
    const t = req("LPUSH", "l", "a") + req("LPUSH", "l", "b") + req("GET", "k") + req("GET", "l");
    expect(scan(t)).toEqual(["l"]);
    const u =
      req("GET", "a") + req("GET", "b") + req("GET", "a") + req("GET", "c") + req("GET", "c");
    expect(scan(u)).toEqual(["a", "b", "a", "c"]);
  });

  test("stops at a partial request, inline, *1, *10 and more, a long key", () => {
    const full = req("GET", "a");
    const next = req("GET", "b");
    expect(scan(full + next.slice(0, next.length - 3))).toEqual(["a"]);
    expect(scan(`${full}PING\r\n${next}`)).toEqual(["a"]);
    expect(scan(full + req("PING") + next)).toEqual(["a"]);
    const mset: string[] = ["MSET"];
    for (let i = 0; i < 5; i++) mset.push(`k${i}`, "v");
    expect(scan(full + req(...mset) + next)).toEqual(["a"]);
    expect(scan(full + req("GET", "x".repeat(257)) + next)).toEqual(["a"]);
    expect(scan(full + req("GET", "x".repeat(256)))).toEqual(["a", "x".repeat(256)]);
  });

  test("binary keys, the empty key, values with CRLF inside", () => {
    const t = req("SET", "", "a\r\nb") + req("SET", "k\r\n", "$3\r\n") + req("GET", "z");
    expect(scan(t)).toEqual(["", "k\r\n", "z"]);
  });

  test("at most `max` requests", () => {
    let t = "";
    for (let i = 0; i < 40; i++) t += req("GET", `key:${i}`);
    expect(scan(t, 32).length).toBe(32);
    expect(scan(t, 32)[31]).toBe("key:31");
  });
});
