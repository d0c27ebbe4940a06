// The AOF-format rewrite's per-key garbage (src/persistence/aof-rewrite.ts): a ByteRef, a
// closure and a key copy per aggregate and a string per integer were most of the AOF-format
// base's extra memory (1M keys: RSS +35 MB, docs/BENCHMARKS.md). The bytes must not change:
// CommandWriter.int writes exactly what str(String(x)) did, and the rewrite of every type is
// compared with the commands it must stand for.

import { describe, expect, test } from "bun:test";
import { CommandWriter } from "../../../src/persistence/aof-encode.ts";
import { rewriteEntry } from "../../../src/persistence/aof-rewrite.ts";
import { hashCreate, hashSet } from "../../../src/store/hash.ts";
import { Keyspace } from "../../../src/store/keyspace.ts";
import { List } from "../../../src/store/list.ts";
import { setAdd, setCreate } from "../../../src/store/set.ts";
import { TYPE_LIST, TYPE_ZSET } from "../../../src/store/table.ts";
import { ZSet } from "../../../src/store/zset.ts";

const enc = new TextEncoder();
const b = (s: string) => enc.encode(s);
const HL = { maxListpackEntries: 128, maxListpackValue: 64 };
const SL = { maxIntsetEntries: 512 };

function taken(w: CommandWriter): string {
  const o = w.out;
  const s = Buffer.from(o.buf.subarray(o.start, o.start + o.pending)).toString("latin1");
  o.consumed(o.pending);
  return s;
}

describe("AOF rewrite without per-key garbage", () => {
  test("CommandWriter.int writes str(String(x))'s bytes", () => {
    const xs = [0, -0, 1, -1, 9, 10, -10, 99, 100, 12345, -98765, 1700000000000, 2 ** 53 - 1];
    xs.push(-(2 ** 53 - 1), 2 ** 53, 1e21, -1e21, 2 ** 63);
    for (let d = 1; d < 16; d++) xs.push(10 ** d - 1, 10 ** d, -(10 ** d));
    for (const x of xs) {
      const a = new CommandWriter();
      const c = new CommandWriter();
      a.int(x);
      c.str(String(x));
      expect(taken(a)).toBe(taken(c));
    }
  });

  test("every type's commands, and Uint8Arrays made << keys", () => {
    const { heapStats } = require("bun:jsc") as typeof import("bun:jsc");
    const ks = new Keyspace(1);
    const t = ks.db(0);
    const entries: number[] = [];
    const N = 3000;
    for (let i = 0; i < N; i++) {
      const hk = b(`h:${i}`);
      const he = hashCreate(t, hk, 0, hk.length);
      const f = b("name");
      const v = b(`n${i}`);
      hashSet(ks, t, he, f, 0, f.length, v, 0, v.length, HL);
      const sk = b(`s:${i}`);
      const se = setCreate(t, sk, 0, sk.length, true);
      for (const m of ["1", String(i)]) {
        const mb = b(m);
        setAdd(ks, t, se, mb, 0, mb.length, SL);
      }
      const z = new ZSet();
      z.insert(b("a"), 0, 1, i);
      z.insert(b("b"), 0, 1, 0);
      z.insert(b("c"), 0, 1, 1.5);
      const zk = b(`z:${i}`);
      const ze = t.add(zk, 0, zk.length, TYPE_ZSET, 0);
      t.setObj(ze, z);
      const l = new List();
      const it = b(`e${i}`);
      l.pushRight(it, 0, it.length);
      const lk = b(`l:${i}`);
      const le = t.add(lk, 0, lk.length, TYPE_LIST, 0);
      t.setObj(le, l);
      ks.setExpire(t, le, 4102444800000 + i);
      entries.push(he, se, ze, le);
    }
    const w = new CommandWriter();
    const i = 7;
    expect(rewriteEntry(w, t, entries[4 * i]!, 0)).toBe(true);
    expect(taken(w)).toBe(`*4\r\n$4\r\nHSET\r\n$3\r\nh:7\r\n$4\r\nname\r\n$2\r\nn7\r\n`);
    rewriteEntry(w, t, entries[4 * i + 1]!, 0);
    expect(taken(w)).toBe(`*4\r\n$4\r\nSADD\r\n$3\r\ns:7\r\n$1\r\n1\r\n$1\r\n7\r\n`);
    rewriteEntry(w, t, entries[4 * i + 2]!, 0);
    expect(taken(w)).toBe(
      `*8\r\n$4\r\nZADD\r\n$3\r\nz:7\r\n$1\r\n0\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n7\r\n$1\r\na\r\n`,
    );
    rewriteEntry(w, t, entries[4 * i + 3]!, 0);
    expect(taken(w)).toBe(
      `*3\r\n$5\r\nRPUSH\r\n$3\r\nl:7\r\n$2\r\ne7\r\n*3\r\n$9\r\nPEXPIREAT\r\n$3\r\nl:7\r\n$13\r\n4102444800007\r\n`,
    );
    for (const e of entries) rewriteEntry(w, t, e, 0); // warm: the buffer grown once
    taken(w);
    const before = heapStats().objectTypeCounts.Uint8Array ?? 0;
    for (const e of entries) {
      rewriteEntry(w, t, e, 0);
      if (w.out.pending > 65536) taken(w);
    }
    const made = (heapStats().objectTypeCounts.Uint8Array ?? 0) - before;
    expect(made).toBeLessThan(100); // 12K aggregates: was one key copy + one ByteRef scratch each
  });
});
