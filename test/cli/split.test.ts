// imds-cli's argument splitter follows redis-cli's sdssplitargs.

import { expect, test } from "bun:test";
import { splitArgs } from "../../src/cli/split.ts";

const td = new TextDecoder();
const split = (s: string) => splitArgs(s)?.map((a) => td.decode(a)) ?? null;

test("whitespace separates; runs of spaces and tabs; empty line", () => {
  expect(split("set k v")).toEqual(["set", "k", "v"]);
  expect(split("  set \t k   v  ")).toEqual(["set", "k", "v"]);
  expect(split("")).toEqual([]);
  expect(split("   ")).toEqual([]);
});

test("double quotes: spaces, escapes, hex bytes, empty string", () => {
  expect(split('set k "a b"')).toEqual(["set", "k", "a b"]);
  expect(split('"" x')).toEqual(["", "x"]);
  expect(split('"a\\nb\\r\\t\\b\\a"')).toEqual(["a\nb\r\t\b\x07"]);
  expect(split('"q\\"q" "back\\\\slash" "\\z"')).toEqual(['q"q', "back\\slash", "z"]);
  expect(splitArgs('"\\x00\\xff\\x41\\xZZ"')![0]).toEqual(
    new Uint8Array([0, 255, 65, 120, 90, 90]), // \xZZ is not hex: "x" then "ZZ"
  );
  expect(split('"h\u00e9"')).toEqual(["h\u00e9"]); // UTF-8 passes through as bytes
});

test("single quotes: only \\' is special", () => {
  expect(split("'a b' 'it\\'s' '\\n'")).toEqual(["a b", "it's", "\\n"]);
});

test("quotes may start inside a word; a closing quote must end the word", () => {
  expect(split('a"b c"')).toEqual(["ab c"]);
  expect(split('"a"b')).toBeNull();
  expect(split("'a'b")).toBeNull();
  expect(split('"unterminated')).toBeNull();
  expect(split("'unterminated")).toBeNull();
  expect(split('"ends with backslash\\')).toBeNull();
});

test("inside a word only space, tab, CR, LF end it (\\v and \\f do not), as in sdssplitargs", () => {
  expect(split("a\vb\fc d")).toEqual(["a\vb\fc", "d"]);
  expect(split("\v\fa")).toEqual(["a"]); // leading: any isspace() is skipped
});
