// Corrupt, truncated and unsupported RDB input is refused with an RdbError that names the
// byte offset; nothing is reported as a successful load.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Crc64 } from "../../../src/persistence/rdb/crc64.ts";
import {
  createDumpPayload,
  decodeDumpPayload,
  RdbError,
  RdbWriter,
  readRdb,
  readRdbFile,
} from "../../../src/persistence/rdb/index.ts";
import { b } from "./helpers.ts";

function sample(opts: { checksum?: boolean; compression?: boolean } = {}): Uint8Array {
  const w = new RdbWriter(opts);
  w.writeHeader();
  w.writeStandardAux({ usedMem: 1 });
  w.writeSelectDb(0);
  w.writeResizeDb(6, 1);
  w.writeString(b("s"), b("value ".repeat(20)), { expireMs: 1893456000000 });
  w.writeList(b("l"), [b("a"), b("12"), b("c".repeat(100))]);
  w.writeSet(b("i"), 3, [b("1"), b("2"), b("3")]);
  w.writeZset(b("z"), 2, [
    [b("m"), 1.5],
    [b("n"), 2],
  ]);
  w.writeHash(b("h"), 1, [[b("f"), b("v")]]);
  w.writeStream(b("x"), {
    type: "stream",
    entries: [{ id: { ms: 1n, seq: 1n }, fields: [b("f"), b("v")] }],
    length: 1,
    lastId: { ms: 1n, seq: 1n },
    firstId: { ms: 1n, seq: 1n },
    maxDeletedId: { ms: 0n, seq: 0n },
    entriesAdded: 1,
    groups: [],
  });
  return w.finish()!.slice();
}

const noop = { onKey: () => {} };

function refusal(bytes: Uint8Array): RdbError {
  try {
    readRdb(bytes, noop);
  } catch (e) {
    if (e instanceof RdbError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("truncated and corrupt files", () => {
  const good = sample();

  test("the sample itself reads", () => {
    expect(readRdb(good, noop).keys).toBe(6);
  });

  test("every truncation point is refused (in memory and from a file)", () => {
    const dir = mkdtempSync(join(tmpdir(), "imds-rdb-"));
    try {
      for (let cut = 0; cut < good.length; cut++) {
        const e = refusal(good.subarray(0, cut));
        expect(e.message).toMatch(
          /unexpected end of file|past the end|exceeds what is left|not an RDB/,
        );
        expect(e.offset).toBeLessThanOrEqual(cut);
        if (cut % 17 === 0) {
          const p = join(dir, "t.rdb");
          writeFileSync(p, good.subarray(0, cut));
          expect(() => readRdbFile(p, noop, { chunkBytes: 16 })).toThrow(RdbError);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every single flipped bit in the body is caught (checksum or a parse error)", () => {
    for (let i = 9; i < good.length - 8; i++) {
      for (const bit of [0, 7]) {
        const bad = good.slice();
        bad[i]! ^= 1 << bit;
        expect(() => readRdb(bad, noop)).toThrow(RdbError);
      }
    }
    const bad = good.slice();
    bad[good.length - 1]! ^= 1;
    expect(refusal(bad).message).toMatch(/wrong RDB checksum/);
  });

  test("a file saved with rdbchecksum no (0 footer) is read unverified", () => {
    const r = readRdb(sample({ checksum: false }), noop);
    expect(r.checksumVerified).toBe(false);
    expect(r.checksum).toBe(0n);
    expect(readRdb(good, noop).checksumVerified).toBe(true);
  });

  test("bad magic, newer version, unknown opcode, module types", () => {
    expect(refusal(b("RADIS0010")).message).toMatch(/no REDIS magic/);
    expect(refusal(b("REDIS0011\xff")).message).toMatch(/can't handle RDB format version 11/);
    const withOp = (op: number, rest: number[] = []) => {
      const body = new Uint8Array([...b("REDIS0010"), op, ...rest, 0xff]);
      const crc = new Crc64().update(body);
      const out = new Uint8Array(body.length + 8);
      out.set(body);
      crc.writeLE(out, body.length);
      return out;
    };
    expect(readRdb(withOp(0xfe, [3]), noop).keys).toBe(0); // sanity: SELECTDB 3, EOF
    const unknown = refusal(withOp(20, [1, 97]));
    expect(unknown.message).toMatch(/unknown value type or opcode 20 \(at byte offset 9\)/);
    expect(unknown.offset).toBe(9);
    expect(refusal(withOp(8, [1, 97])).message).toMatch(/unknown value type or opcode 8/);
    expect(refusal(withOp(6, [1, 97, 0])).message).toMatch(/module values \(RDB type 6\)/);
    expect(refusal(withOp(7, [1, 97, 0])).message).toMatch(/module values \(RDB type 7\)/);
    expect(refusal(withOp(0xf7)).message).toMatch(/module auxiliary data/);
    expect(refusal(withOp(0xf5, [1, 97])).message).toMatch(/holds functions/);
    expect(refusal(withOp(0, [1, 97, 0xc5])).message).toMatch(/unknown string encoding 5/);
    expect(refusal(withOp(0, [1, 97, 0x80, 0xff, 0xff, 0xff, 0xff])).message).toMatch(
      /past the end/,
    );
    expect(refusal(withOp(1, [1, 97, 0x80, 0x7f, 0xff, 0xff, 0xff])).message).toMatch(
      /count \d+ exceeds/,
    );
  });

  test("a sink is told about keys as they come: callers load into a fresh keyspace", () => {
    const seen: string[] = [];
    const bad = good.slice();
    bad[good.length - 3]! ^= 1; // checksum: found only at the very end
    expect(() => readRdb(bad, { onKey: (_db, k) => seen.push(String.fromCharCode(...k)) })).toThrow(
      /checksum/,
    );
    expect(seen.length).toBe(6); // everything was streamed, and the load still failed as a whole
  });
});

describe("DUMP payload validation", () => {
  test("valid checksum but a malformed body is Bad data format", () => {
    const p = createDumpPayload({ type: "hash", entries: [[b("f"), b("v")]] });
    const body = p.slice(0, p.length - 10);
    body[0] = 6; // module type
    const forge = (x: Uint8Array) => {
      const out = new Uint8Array(x.length + 10);
      out.set(x);
      out[x.length] = 10;
      new Crc64().update(out, 0, x.length + 2).writeLE(out, x.length + 2);
      return out;
    };
    expect(decodeDumpPayload(forge(body))).toEqual({ ok: false, error: "ERR Bad data format" });
    expect(decodeDumpPayload(forge(p.slice(0, 3)))).toEqual({
      ok: false,
      error: "ERR Bad data format",
    });
    const extra = new Uint8Array([...p.slice(0, p.length - 10), 0]);
    expect(decodeDumpPayload(forge(extra))).toEqual({ ok: false, error: "ERR Bad data format" });
    expect(decodeDumpPayload(p).ok).toBe(true);
  });
});
