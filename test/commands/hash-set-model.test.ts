// Model test: random hash and set commands against plain JS Maps/Sets, with small encoding
// limits so keys cross from listpack/intset to hashtable all the time (the differential test
// keeps hashes small and can only compare hashtable replies sorted). Replies that Redis leaves
// unordered are compared as sorted lists; memory accounting is rechecked at the end.

import { expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { parseReply } from "../helpers/resp.ts";

const SEED = Number(process.env.MODEL_SEED ?? 20261202);
const STEPS = Number(process.env.MODEL_STEPS ?? 4000);

test(`hash and set commands match a Map/Set model (seed=${SEED}, ${STEPS} steps)`, () => {
  const h = new InProc(MODE_RESP2, {
    "hash-max-listpack-entries": "8",
    "hash-max-listpack-value": "8",
    "set-max-intset-entries": "8",
  });
  const r = new Prng(SEED);
  const hashes = new Map<string, Map<string, string>>();
  const sets = new Map<string, Set<string>>();
  const pick = <T>(xs: readonly T[]): T => xs[r.int(xs.length)]!;
  const HK = ["h0", "h1", "h2"];
  const SK = ["s0", "s1", "s2", "s3"];
  const field = () => (r.int(4) === 0 ? `long-field-${r.int(20)}` : `f${r.int(20)}`);
  const val = () => (r.int(5) === 0 ? "v".repeat(r.int(12)) : String(r.int(100)));
  const member = () => (r.int(2) === 0 ? String(r.int(30) - 5) : `m${r.int(30)}`);
  const call = (...args: string[]) => parseReply(h.exec(...args), 0, true)![0];
  const sorted = (xs: Iterable<string>) => [...xs].sort();
  const setOf = (k: string) => sets.get(k) ?? new Set<string>();
  const store = (k: string, s: Set<string>) => {
    if (s.size === 0) sets.delete(k);
    else sets.set(k, s);
  };

  for (let step = 0; step < STEPS; step++) {
    const x = r.int(14);
    const hk = pick(HK);
    const sk = pick(SK);
    const where = `step ${step}`;
    if (x === 0) {
      const pairs = Array.from({ length: 1 + r.int(4) }, () => [field(), val()] as const);
      const m = hashes.get(hk) ?? new Map<string, string>();
      let added = 0;
      for (const [f, v] of pairs) {
        if (!m.has(f)) added++;
        m.set(f, v);
      }
      hashes.set(hk, m);
      expect([where, call("HSET", hk, ...pairs.flat())]).toEqual([where, added]);
    } else if (x === 1) {
      const fs = Array.from({ length: 1 + r.int(3) }, field);
      const m = hashes.get(hk);
      let n = 0;
      for (const f of new Set(fs)) if (m?.delete(f)) n++;
      if (m?.size === 0) hashes.delete(hk);
      expect([where, call("HDEL", hk, ...fs)]).toEqual([where, n]);
    } else if (x === 2) {
      const f = field();
      const m = hashes.get(hk) ?? new Map<string, string>();
      const cur = m.get(f) ?? "0";
      if (/^-?\d+$/.test(cur)) {
        const by = r.int(21) - 10;
        m.set(f, String(Number(cur) + by));
        hashes.set(hk, m);
        expect([where, call("HINCRBY", hk, f, String(by))]).toEqual([where, Number(cur) + by]);
      }
    } else if (x === 3) {
      const m = hashes.get(hk);
      const got = call("HGETALL", hk) as string[];
      const pairs: string[] = [];
      for (let i = 0; i < got.length; i += 2) pairs.push(`${got[i]}=${got[i + 1]}`);
      expect([where, pairs.sort()]).toEqual([
        where,
        sorted([...(m ?? [])].map(([f, v]) => `${f}=${v}`)),
      ]);
      expect([where, call("HLEN", hk)]).toEqual([where, m?.size ?? 0]);
      const f = field();
      expect([where, call("HGET", hk, f)]).toEqual([where, m?.get(f) ?? null]);
    } else if (x === 4 || x === 5) {
      const ms = Array.from({ length: 1 + r.int(5) }, member);
      const s = setOf(sk);
      let n = 0;
      for (const m of ms) {
        if (!s.has(m)) n++;
        s.add(m);
      }
      store(sk, s);
      expect([where, call("SADD", sk, ...ms)]).toEqual([where, n]);
    } else if (x === 6) {
      const ms = Array.from({ length: 1 + r.int(4) }, member);
      const s = setOf(sk);
      let n = 0;
      for (const m of new Set(ms)) if (s.delete(m)) n++;
      store(sk, s);
      expect([where, call("SREM", sk, ...ms)]).toEqual([where, n]);
    } else if (x === 7) {
      const count = r.int(6);
      const s = setOf(sk);
      const got = call("SPOP", sk, String(count)) as string[];
      expect([where, got.length]).toEqual([where, Math.min(count, s.size)]);
      for (const m of got) expect([where, s.delete(m)]).toEqual([where, true]);
      store(sk, s);
    } else if (x === 8) {
      const dk = pick(SK);
      const m = member();
      const src = setOf(sk);
      const had = src.has(m);
      if (dk !== sk && had) {
        src.delete(m);
        store(sk, src);
        const dst = setOf(dk);
        dst.add(m);
        store(dk, dst);
      }
      expect([where, call("SMOVE", sk, dk, m)]).toEqual([where, had ? 1 : 0]);
    } else if (x === 9 || x === 10) {
      const op = pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"] as const);
      const ins = Array.from({ length: 1 + r.int(3) }, () => pick(SK));
      const dk = pick(SK);
      const inputs = ins.map(setOf);
      let out: Set<string>;
      if (op === "SUNIONSTORE") out = new Set(inputs.flatMap((s) => [...s]));
      else if (op === "SINTERSTORE") {
        out = new Set([...inputs[0]!].filter((m) => inputs.every((s) => s.has(m))));
      } else out = new Set([...inputs[0]!].filter((m) => !inputs.slice(1).some((s) => s.has(m))));
      store(dk, out);
      expect([where, call(op, dk, ...ins)]).toEqual([where, out.size]);
    } else if (x === 11) {
      const s = sets.get(sk);
      expect([where, sorted(call("SMEMBERS", sk) as string[])]).toEqual([where, sorted(s ?? [])]);
      expect([where, call("SCARD", sk)]).toEqual([where, s?.size ?? 0]);
      const m = member();
      expect([where, call("SISMEMBER", sk, m)]).toEqual([where, s?.has(m) ? 1 : 0]);
    } else if (x === 12) {
      const a = pick(SK);
      const b = pick(SK);
      const want = [...setOf(a)].filter((m) => setOf(b).has(m));
      expect([where, sorted(call("SINTER", a, b) as string[])]).toEqual([where, sorted(want)]);
      expect([where, call("SINTERCARD", "2", a, b)]).toEqual([where, want.length]);
    } else {
      // the key space agrees: every model key exists with its type, nothing else
      for (const k of [...HK, ...SK]) {
        const t = hashes.has(k) ? "hash" : sets.has(k) ? "set" : "none";
        expect([where, k, call("TYPE", k)]).toEqual([where, k, t]);
      }
    }
  }
  const ks = h.server.keyspace;
  expect(ks.objectBytes).toBe(ks.recountObjectBytes());
  // and the small limits were crossed both ways
  let hashtables = 0;
  for (const k of [...hashes.keys(), ...sets.keys()]) {
    if (String(call("OBJECT", "ENCODING", k)) === "hashtable") hashtables++;
  }
  expect(hashtables).toBeGreaterThan(0);
}, 60000);
