// The AOF loader on its own (every read size, so commands cross chunk boundaries) and the
// manifest format.

import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAofFile } from "../../../src/persistence/aof-loader.ts";
import {
  formatManifest,
  ManifestError,
  parseManifest,
} from "../../../src/persistence/aof-manifest.ts";
import { encodeCommand } from "../../helpers/resp.ts";
import { removeDir, tempDir } from "./helpers.ts";

const dir = tempDir("loader");
afterAll(() => removeDir(dir));

function record(path: string, last: boolean, chunkBytes?: number) {
  const got: string[][] = [];
  const warnings: string[] = [];
  const r = loadAofFile(
    path,
    "f.aof",
    {
      run: (a) => {
        got.push(a.toStrings());
        return null;
      },
    },
    { last, truncatedOk: true, log: (_l, m) => warnings.push(m), chunkBytes },
  );
  return { got, warnings, r };
}

test("every chunk size loads the same commands (MULTI/EXEC replayed as a unit)", () => {
  const cmds = [
    ["SELECT", "0"],
    ["SET", "k", "x".repeat(300)],
    ["MULTI"],
    ["INCR", "n"],
    ["SET", "empty", ""],
    ["EXEC"],
    ["ZADD", "z", "1", "a"],
  ];
  const path = join(dir, "split.aof");
  const bytes = Buffer.concat(cmds.map((c) => Buffer.from(encodeCommand(c))));
  writeFileSync(path, bytes);
  const want = cmds.filter((c) => c[0] !== "MULTI" && c[0] !== "EXEC");
  for (let chunk = 1; chunk <= bytes.length + 1; chunk += chunk < 40 ? 1 : 17) {
    const { got, r } = record(path, true, chunk);
    expect(got).toEqual(want);
    expect(r.truncatedAt).toBe(-1);
  }
});

test("a cut tail is cut off every way it can be cut; not in a file that is not the last", () => {
  const full = Buffer.concat([
    Buffer.from(encodeCommand(["SET", "a", "1"])),
    Buffer.from(encodeCommand(["SET", "b", "22"])),
  ]);
  const first = encodeCommand(["SET", "a", "1"]).length;
  const path = join(dir, "cut.aof");
  for (let n = first + 1; n < full.length; n++) {
    writeFileSync(path, full.subarray(0, n));
    const { got, warnings, r } = record(path, true, 7);
    expect(got).toEqual([["SET", "a", "1"]]);
    expect(r.truncatedAt).toBe(first);
    expect(readFileSync(path).length).toBe(first);
    expect(warnings.join("\n")).toContain("short read");
    writeFileSync(path, full.subarray(0, n));
    expect(() => record(path, false)).toThrow(/not the last file/);
  }
});

test("manifest: Redis 7.0's lines round-trip; bad manifests are refused with Redis's texts", () => {
  const text =
    "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n";
  const m = parseManifest(text);
  expect(m.base).toEqual({ name: "appendonly.aof.2.base.aof", seq: 2, type: "b" });
  expect(m.incr.map((f) => f.seq)).toEqual([3, 4]);
  expect(formatManifest(m)).toBe(text);
  // names with spaces are quoted as sdscatrepr
  const q = formatManifest({
    base: { name: "my aof.1.base.aof", seq: 1, type: "b" },
    incr: [],
    history: [],
  });
  expect(q).toBe('file "my aof.1.base.aof" seq 1 type b\n');
  expect(parseManifest(q).base!.name).toBe("my aof.1.base.aof");
  const bad = (t: string, msg: string) => {
    expect(() => parseManifest(t)).toThrow(ManifestError);
    expect(() => parseManifest(t)).toThrow(msg);
  };
  bad("file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information");
  bad("file a seq 2 type i\nfile b seq 1 type i\n", "Found a non-monotonic sequence number");
  bad("file a seq 1 type x\n", "Unknown AOF file type");
  bad("file a seq 1\n", "Invalid AOF manifest file format");
  bad(`file ${"x".repeat(1100)} seq 1 type i\n`, "too long line");
});
