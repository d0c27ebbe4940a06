// The base-file rewrite over every type whose store exists: strings, sorted sets, hashes (both
// encodings), sets (intset and hashtable), lists; batches of 64 items; TTLs; a type without a
// hook fails the rewrite instead of dropping the key.

import { expect, test } from "bun:test";
import { CommandWriter } from "../../../src/persistence/aof-encode.ts";
import {
  ITEMS_PER_CMD,
  RewriteError,
  rewriteKeyspace,
} from "../../../src/persistence/aof-rewrite.ts";
import { HASH_LIMITS_DEFAULT, hashCreate, hashSet } from "../../../src/store/hash.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { List } from "../../../src/store/list.ts";
import { SET_LIMITS_DEFAULT, setAdd, setCreate } from "../../../src/store/set.ts";
import { TYPE_LIST } from "../../../src/store/table.ts";
import { parseReply } from "../../helpers/resp.ts";

const b = (s: string) => new TextEncoder().encode(s);

function commands(ks: Keyspace): string[][] {
  const w = new CommandWriter();
  rewriteKeyspace(ks, w, () => {});
  const out: string[][] = [];
  const buf = w.out.buf.subarray(w.out.start, w.out.end);
  let pos = 0;
  while (pos < buf.length) {
    const r = parseReply(buf, pos, false)!;
    out.push((r[0] as unknown[]).map(String));
    pos = r[1];
  }
  return out;
}

test("hashes, sets and lists are rewritten through their hooks, 64 items per command", () => {
  const ks = new Keyspace(2);
  const t = ks.db(1);
  const kh = b("h");
  const eh = hashCreate(t, kh, 0, kh.length);
  for (const [f, v] of [
    ["f1", "v1"],
    ["f2", "v2"],
  ]) {
    const fb = b(f!);
    const vb = b(v!);
    hashSet(ks, t, eh, fb, 0, fb.length, vb, 0, vb.length, HASH_LIMITS_DEFAULT);
  }
  const kbig = b("bighash");
  const ebig = hashCreate(t, kbig, 0, kbig.length);
  for (let i = 0; i < 130; i++) {
    const fb = b(`field${i}`);
    const vb = b("x".repeat(i % 3 === 0 ? 100 : 2)); // > 64 bytes: converted to a hashtable
    hashSet(ks, t, ebig, fb, 0, fb.length, vb, 0, vb.length, HASH_LIMITS_DEFAULT);
  }
  const ks1 = b("ints");
  const es = setCreate(t, ks1, 0, ks1.length, true);
  for (const m of ["3", "-7", "12"]) setAdd(ks, t, es, b(m), 0, m.length, SET_LIMITS_DEFAULT);
  const ks2 = b("words");
  const ew = setCreate(t, ks2, 0, ks2.length, false);
  for (const m of ["a", "b"]) setAdd(ks, t, ew, b(m), 0, 1, SET_LIMITS_DEFAULT);
  const kl = b("list");
  const el = t.add(kl, 0, kl.length, TYPE_LIST, 0);
  const l = new List();
  for (let i = 0; i < 70; i++) l.pushRight(b(`e${i}`), 0, `e${i}`.length);
  t.setObj(el, l);
  ks.setExpire(t, el, ks.now + 60_000);
  const cmds = commands(ks);
  expect(cmds[0]).toEqual(["SELECT", "1"]);
  expect(cmds).toContainEqual(["HSET", "h", "f1", "v1", "f2", "v2"]);
  const big = cmds.filter((c) => c[0] === "HSET" && c[1] === "bighash");
  expect(big.map((c) => (c.length - 2) / 2)).toEqual([64, 64, 2]);
  expect(new Set(big.flatMap((c) => c.slice(2).filter((_, i) => i % 2 === 0))).size).toBe(130);
  expect(cmds).toContainEqual(["SADD", "ints", "-7", "3", "12"]);
  expect(
    cmds
      .find((c) => c[1] === "words")!
      .slice(2)
      .sort(),
  ).toEqual(["a", "b"]);
  const rpush = cmds.filter((c) => c[0] === "RPUSH");
  expect(rpush.map((c) => c.length - 2)).toEqual([ITEMS_PER_CMD, 6]);
  expect(rpush.flatMap((c) => c.slice(2))).toEqual(Array.from({ length: 70 }, (_, i) => `e${i}`));
  expect(cmds).toContainEqual(["PEXPIREAT", "list", String(t.expireAt[el])]);
});

test("a key of a type with no rewrite hook fails the rewrite", () => {
  const ks = new Keyspace(1);
  const k = b("mystery");
  ks.db(0).add(k, 0, k.length, 99, 0);
  expect(() => commands(ks)).toThrow(RewriteError);
});
