// List command semantics the differential test does not pin down, in process through the real
// command table: a seeded model test against a plain array (with memory accounting checked
// after every command), key lifecycle (TYPE, OBJECT ENCODING, COPY independence, RENAME,
// MOVE, SCAN TYPE, expiry, DEL), list-max-listpack-size for new lists, big lists, and
// blocking commands in a context that may not block (as inside MULTI).

import { describe, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import type { List } from "../../src/store/list.ts";
import { InProc } from "../helpers/inproc.ts";
import { clampRange } from "../helpers/list-model.ts";
import { Prng } from "../helpers/prng.ts";

const listInProc = () => new InProc(MODE_RESP2, { "v1-max-args": String(1 << 20) });
const enc = new TextEncoder();

function listObj(h: InProc, key: string, db = 0): List | undefined {
  const t = h.server.keyspace.db(db);
  const e = t.find(enc.encode(key), 0, key.length);
  return e < 0 ? undefined : (t.getObj(e) as List);
}

describe("lists", () => {
  test("model: random commands against an array; memory accounting after each", () => {
    const h = listInProc();
    const ks = h.server.keyspace;
    const base = ks.objectBytes;
    const r = new Prng(1313);
    const model = new Map<string, string[]>();
    const vals = ["a", "b", "c", "", "x".repeat(70), "y".repeat(300), "1"];
    const v = () => vals[r.int(vals.length)]!;
    for (let step = 0; step < 6000; step++) {
      const key = `l${r.int(3)}`;
      const m = model.get(key) ?? [];
      const op = r.int(11);
      if (op <= 2) {
        const n = 1 + r.int(20);
        const xs = Array.from({ length: n }, v);
        const left = op === 0;
        expect(h.call(left ? "LPUSH" : "RPUSH", key, ...xs)).toBe(m.length + n);
        if (left) for (const x of xs) m.unshift(x);
        else m.push(...xs);
      } else if (op === 3) {
        const c = r.int(8);
        const left = r.int(2) === 1;
        const got = h.call(left ? "LPOP" : "RPOP", key, String(c));
        if (m.length === 0) expect(got).toBeNull();
        else {
          const k = Math.min(c, m.length);
          const want = left ? m.splice(0, k) : m.splice(m.length - k, k).reverse();
          expect(got).toEqual(want);
        }
      } else if (op === 4) {
        const a = r.int(40) - 20;
        const b = r.int(40) - 20;
        const cl = clampRange(m.length, a, b);
        expect(h.call("LRANGE", key, String(a), String(b))).toEqual(
          cl === null ? [] : m.slice(cl[0], cl[1]),
        );
      } else if (op === 5) {
        const a = r.int(30) - 15;
        const b = r.int(60) - 10;
        h.call("LTRIM", key, String(a), String(b));
        const cl = clampRange(m.length, a, b);
        m.splice(0, m.length, ...(cl === null ? [] : m.slice(cl[0], cl[1])));
      } else if (op === 6) {
        const x = v();
        const c = r.int(5) - 2;
        let removed = 0;
        if (c >= 0) {
          for (let i = 0; i < m.length && (c === 0 || removed < c); )
            if (m[i] === x) {
              m.splice(i, 1);
              removed++;
            } else i++;
        } else {
          for (let i = m.length - 1; i >= 0 && removed < -c; i--)
            if (m[i] === x) {
              m.splice(i, 1);
              removed++;
            }
        }
        expect(h.call("LREM", key, String(c), x)).toBe(removed);
      } else if (op === 7 && m.length > 0) {
        const i = r.int(m.length * 2) - m.length;
        const x = v();
        expect(h.call("LSET", key, String(i), x)).toBe("OK");
        m[i < 0 ? i + m.length : i] = x;
      } else if (op === 8) {
        const p = v();
        const x = v();
        const after = r.int(2) === 1;
        const at = m.indexOf(p);
        const got = h.call("LINSERT", key, after ? "AFTER" : "BEFORE", p, x);
        if (m.length === 0) expect(got).toBe(0);
        else if (at < 0) expect(got).toBe(-1);
        else {
          m.splice(after ? at + 1 : at, 0, x);
          expect(got).toBe(m.length);
        }
      } else if (op === 9) {
        const dst = `l${r.int(3)}`;
        const got = h.call("LMOVE", key, dst, "LEFT", "RIGHT");
        if (m.length === 0) expect(got).toBeNull();
        else {
          const x = m.shift()!;
          expect(got).toBe(x);
          model.set(key, m);
          const d = model.get(dst) ?? [];
          d.push(x);
          model.set(dst, d);
        }
      } else {
        const x = v();
        const want: number[] = [];
        m.forEach((y, i) => {
          if (y === x) want.push(i);
        });
        expect(h.call("LPOS", key, x, "COUNT", "0")).toEqual(m.length === 0 ? [] : want);
      }
      if ((model.get(key) ?? m) === m) model.set(key, m);
      // lists never exist empty; sizes as the model; bytes counted exactly
      let sum = 0;
      for (const [k, xs] of model) {
        const l = listObj(h, k);
        if (xs.length === 0) expect(l).toBeUndefined();
        else {
          expect(l?.length).toBe(xs.length);
          sum += l!.memoryBytes();
        }
      }
      expect(ks.objectBytes - base).toBe(sum);
    }
    for (const [k, xs] of model) expect(h.call("LRANGE", k, "0", "-1")).toEqual(xs);
    h.call("FLUSHALL");
    expect(ks.objectBytes).toBe(base);
  });

  test("key lifecycle: TYPE, ENCODING, COPY is deep, RENAME, MOVE, SCAN TYPE, expiry", () => {
    const h = listInProc();
    h.call("RPUSH", "l", "a", "b", "c");
    expect(h.call("TYPE", "l")).toBe("list");
    expect(h.call("OBJECT", "ENCODING", "l")).toBe("quicklist");
    expect(h.call("COPY", "l", "c")).toBe(1);
    h.call("RPUSH", "c", "d");
    expect(h.call("LRANGE", "l", "0", "-1")).toEqual(["a", "b", "c"]);
    expect(h.call("LRANGE", "c", "0", "-1")).toEqual(["a", "b", "c", "d"]);
    h.call("SET", "s", "x");
    expect(h.call("SCAN", "0", "TYPE", "list", "COUNT", "100")).toEqual([
      "0",
      expect.arrayContaining(["l", "c"]),
    ]);
    expect((h.call("SCAN", "0", "TYPE", "list", "COUNT", "100") as unknown[])[1]).toHaveLength(2);
    expect(h.call("RENAME", "c", "r")).toBe("OK");
    expect(h.call("LLEN", "r")).toBe(4);
    expect(h.call("MOVE", "r", "3")).toBe(1);
    h.call("SELECT", "3");
    expect(h.call("LINDEX", "r", "-1")).toBe("d");
    h.call("SELECT", "0");
    expect(h.call("LPUSH", "s", "x")).toEqual(
      expect.objectContaining({ message: expect.stringContaining("WRONGTYPE") }),
    );
    h.at(1_000_000);
    h.call("PEXPIRE", "l", "10");
    h.at(1_000_020);
    expect(h.call("LLEN", "l")).toBe(0);
    expect(h.call("EXISTS", "l")).toBe(0);
  });

  test("eviction counts and frees lists (allkeys-random, maxmemory)", () => {
    const h = listInProc();
    const ev = h.server.evictor;
    h.call("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
    const limit = h.server.updateMemoryStats() + 300_000;
    h.call("CONFIG", "SET", "maxmemory", String(limit));
    const xs = Array.from({ length: 1000 }, (_, i) => `element-${i}`);
    for (let k = 0; k < 100; k++) expect(h.call("RPUSH", `ev${k}`, ...xs)).toBe(1000);
    expect(ev.evictedKeys).toBeGreaterThan(50);
    expect(h.server.updateMemoryStats()).toBeLessThan(limit + 40_000);
    expect(Number(h.call("DBSIZE"))).toBeLessThan(50);
  });

  test("list-max-listpack-size (and its old name) applies to lists created afterwards", () => {
    const h = listInProc();
    h.call("RPUSH", "old", "a");
    expect(h.call("CONFIG", "SET", "list-max-ziplist-size", "5")).toBe("OK");
    h.call("RPUSH", "new", ...Array.from({ length: 20 }, (_, i) => String(i)));
    expect(listObj(h, "old")!.fill).toBe(-2);
    expect(listObj(h, "new")!.fill).toBe(5);
    expect(listObj(h, "new")!.nodeCount).toBe(4);
    expect(h.call("CONFIG", "GET", "list-max-listpack-size")).toEqual([
      "list-max-listpack-size",
      "5",
    ]);
  });

  test("a big list: 200k elements through RPUSH/LRANGE/LINDEX/LPOP count", () => {
    const h = listInProc();
    const N = 200_000;
    for (let b = 0; b < N; b += 10_000)
      h.call("RPUSH", "big", ...Array.from({ length: 10_000 }, (_, i) => `e${b + i}`));
    expect(h.call("LLEN", "big")).toBe(N);
    expect(h.call("LINDEX", "big", "123456")).toBe("e123456");
    expect(h.call("LRANGE", "big", "-3", "-1")).toEqual(["e199997", "e199998", "e199999"]);
    expect(h.call("LPOS", "big", "e150000", "RANK", "-1")).toBe(150000);
    expect(h.call("LPOS", "big", "e150000", "MAXLEN", "1000")).toBeNull();
    expect((h.call("RPOP", "big", "150000") as string[])[0]).toBe("e199999");
    expect(h.call("LLEN", "big")).toBe(N - 150_000);
  });

  test("blocking commands where blocking is refused (as inside MULTI) answer at once", () => {
    const h = listInProc(); // InProc's client has denyBlocking set
    expect(h.raw("BLPOP", "none", "0")).toBe("*-1\r\n");
    expect(h.raw("BRPOP", "none", "none2", "1")).toBe("*-1\r\n");
    expect(h.raw("BLMPOP", "0", "1", "none", "LEFT")).toBe("*-1\r\n");
    expect(h.raw("BZPOPMIN", "none", "0")).toBe("*-1\r\n");
    expect(h.raw("BZMPOP", "0", "1", "none", "MAX")).toBe("*-1\r\n");
    // BLMOVE/BRPOPLPUSH answer a null bulk there (Redis's blmoveGenericCommand)
    expect(h.raw("BLMOVE", "none", "d", "LEFT", "LEFT", "0")).toBe("$-1\r\n");
    expect(h.raw("BRPOPLPUSH", "none", "d", "0")).toBe("$-1\r\n");
    expect(h.server.blocking.count).toBe(0);
    h.call("RPUSH", "q", "v");
    expect(h.call("BLPOP", "none", "q", "0")).toEqual(["q", "v"]);
    expect(h.call("EXISTS", "q")).toBe(0);
  });
});
