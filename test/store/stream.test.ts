// Stream storage: a seeded random model test against an array of entries (and a Map-based
// reference for consumer groups), plus a differential check of node boundaries and `~`
// trimming against a real redis-server.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  ADD_OK,
  type ByteRanges,
  DEFAULT_NODE_LIMITS,
  Stream,
  StreamIter,
  TRIM_MAXLEN,
  TRIM_MINID,
} from "../../src/store/stream.ts";
import { IdBuffer } from "../../src/store/stream-group.ts";
import { compareIds, formatId, idOf, StreamId } from "../../src/store/stream-id.ts";
import { Prng } from "../helpers/prng.ts";
import { RespConn } from "../helpers/resp.ts";
import { hasRedis, type Running, redisMissing, startRedis } from "../helpers/servers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function ranges(parts: string[]): ByteRanges {
  const bs = parts.map((p) => enc.encode(p));
  const buf = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  const offs = new Int32Array(bs.length);
  const lens = new Int32Array(bs.length);
  let o = 0;
  bs.forEach((b, i) => {
    buf.set(b, o);
    offs[i] = o;
    lens[i] = b.length;
    o += b.length;
  });
  return { buf, offs, lens };
}

interface RefEntry {
  id: bigint; // ms << 64 | seq
  fields: string[];
}

const big = (id: StreamId) =>
  (BigInt(id.msHi) << 96n) |
  (BigInt(id.msLo) << 64n) |
  (BigInt(id.seqHi) << 32n) |
  BigInt(id.seqLo);
const MAX64 = 0xffffffffffffffffn;
const clampMs = (ms: bigint) => (ms > MAX64 ? MAX64 : ms);
const text = (b: bigint) => `${b >> 64n}-${b & 0xffffffffffffffffn}`;

function readAll(s: Stream, start: StreamId, end: StreamId, rev: boolean, count = -1): string[] {
  const it = new StreamIter().seek(s, start, end, rev);
  const out: string[] = [];
  while ((count < 0 || out.length < count) && it.next()) {
    const parts = [formatId(it.id)];
    for (let i = 0; i < it.pairs; i++) {
      parts.push(dec.decode(it.buf.subarray(it.fieldOff(i), it.fieldOff(i) + it.fieldLen(i))));
      parts.push(dec.decode(it.buf.subarray(it.valueOff(i), it.valueOff(i) + it.valueLen(i))));
    }
    out.push(parts.join(" "));
  }
  return out;
}

function randomFields(rng: Prng): string[] {
  const shapes = rng.int(4);
  const n = shapes === 0 ? 1 + rng.int(4) : 2;
  const f: string[] = [];
  for (let i = 0; i < n; i++) {
    f.push(shapes === 1 ? `f${rng.int(3)}` : i === 0 ? "a" : `b${i}`);
    const k = rng.int(10);
    f.push(
      k < 3
        ? String(rng.int(100000) - 500)
        : k < 9
          ? "v".repeat(rng.int(20))
          : "x".repeat(rng.int(3000)),
    );
  }
  return f;
}

describe("Stream model test", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: random XADD/XDEL/XTRIM/ranges against an array`, () => {
      const rng = new Prng(seed);
      const s = new Stream();
      let ref: RefEntry[] = [];
      let lastId = 0n;
      let maxDel = 0n;
      let added = 0;
      let clock = 1000;
      const id = new StreamId();
      const limits = {
        nodeMaxBytes: [4096, 200, 0][seed - 1]!,
        nodeMaxEntries: [100, 7, 0][seed - 1]!,
      };
      for (let step = 0; step < 4000; step++) {
        const op = rng.int(100);
        if (op < 55) {
          const fields = randomFields(rng);
          const r = ranges(fields);
          let st: number;
          const kind = rng.int(10);
          if (kind < 6) {
            clock += rng.int(3) - (rng.int(10) === 0 ? 5 : 0);
            st = s.resolveAddId(null, true, clock, id);
          } else if (kind < 8) {
            const g = idOf(text(clampMs((lastId >> 64n) + BigInt(rng.int(2))) << 64n));
            st = s.resolveAddId(g, false, clock, id);
          } else {
            const g =
              kind === 8
                ? idOf(
                    text(
                      (clampMs((lastId >> 64n) + BigInt(rng.int(2))) << 64n) + BigInt(rng.int(50)),
                    ),
                  )
                : idOf(
                    step > 3000
                      ? "18446744073709551614-5"
                      : "9007199254740993-18446744073709551610",
                  );
            st = s.resolveAddId(g, true, clock, id);
          }
          if (st !== ADD_OK) {
            expect(compareIds(id, s.lastId) <= 0 || s.lastId.isMax()).toBe(true);
            continue;
          }
          expect(big(id) > lastId).toBe(true);
          s.append(id, r, 0, fields.length / 2, limits);
          ref.push({ id: big(id), fields });
          lastId = big(id);
          added++;
        } else if (op < 70 && ref.length > 0) {
          const victim =
            rng.int(4) === 0 && !s.lastId.isMax() ? lastId + 1n : ref[rng.int(ref.length)]!.id;
          const vid = idOf(text(victim));
          const had = ref.findIndex((e) => e.id === victim);
          expect(s.delete(vid)).toBe(had >= 0);
          if (had >= 0) {
            ref.splice(had, 1);
            if (victim > maxDel) maxDel = victim;
          }
          expect(s.delete(vid)).toBe(false);
        } else if (op < 78) {
          const exact = rng.int(2) === 0;
          const before = ref.length;
          let got: number;
          let keepFrom: number;
          if (rng.int(2) === 0) {
            const maxlen = rng.int(before + 3);
            got = s.trim(TRIM_MAXLEN, maxlen, new StreamId(), !exact, 0);
            keepFrom = exact ? Math.max(0, before - maxlen) : got;
            if (!exact) expect(got).toBeLessThanOrEqual(Math.max(0, before - maxlen));
          } else {
            const pivot = ref.length > 0 ? ref[rng.int(ref.length)]!.id : 0n;
            got = s.trim(TRIM_MINID, 0, idOf(text(pivot)), !exact, 0);
            const below = ref.filter((e) => e.id < pivot).length;
            keepFrom = exact ? below : got;
            if (!exact) expect(got).toBeLessThanOrEqual(below);
          }
          expect(got).toBe(keepFrom);
          ref = ref.slice(keepFrom);
        } else {
          // ranges, both directions, random bounds and counts
          const pick = () =>
            ref.length > 0 && rng.int(3) > 0
              ? ref[rng.int(ref.length)]!.id + BigInt(rng.int(3) - 1)
              : BigInt(rng.int(3)) * lastId;
          const fix = (v: bigint) =>
            v < 0n ? 0n : v > (MAX64 << 64n) + MAX64 ? (MAX64 << 64n) + MAX64 : v;
          const a = fix(pick());
          const b = fix(pick());
          const rev = rng.int(2) === 0;
          const count = rng.int(3) === 0 ? -1 : rng.int(20);
          const want = ref
            .filter((e) => e.id >= a && e.id <= b)
            .map((e) => `${text(e.id)} ${e.fields.join(" ")}`);
          if (rev) want.reverse();
          expect(readAll(s, idOf(text(a)), idOf(text(b)), rev, count)).toEqual(
            count < 0 ? want : want.slice(0, count),
          );
        }
        if (step % 50 === 0) s.checkInvariants();
        expect(s.length).toBe(ref.length);
        expect(big(s.lastId)).toBe(lastId);
        expect(s.entriesAdded).toBe(added);
        expect(big(s.maxDeletedId)).toBe(maxDel);
        if (ref.length > 0) expect(big(s.firstId)).toBe(ref[0]!.id);
        expect(s.has(idOf(text(ref.length > 0 ? ref[0]!.id : 0n)))).toBe(ref.length > 0);
      }
      s.checkInvariants();
      const c = s.clone();
      const all = [new StreamId(), new StreamId().setMax()] as const;
      expect(readAll(c, all[0], all[1], false)).toEqual(readAll(s, all[0], all[1], false));
      c.trim(TRIM_MAXLEN, 0, new StreamId(), false, 0);
      expect(c.length).toBe(0);
      expect(s.length).toBe(ref.length);
      expect(s.memoryBytes()).toBeGreaterThan(0);
    });
  }
});

describe("consumer groups model test", () => {
  test("deliver, history, ack, claim, autoclaim, delconsumer against Maps", () => {
    const rng = new Prng(11);
    const s = new Stream();
    const id = new StreamId();
    for (let i = 0; i < 300; i++) {
      s.resolveAddId(null, true, 1000 + i, id);
      s.append(id, ranges(["f", `v${i}`]), 0, 1, DEFAULT_NODE_LIMITS);
    }
    const gname = enc.encode("g");
    const g = s.createGroup(gname, 0, 1, new StreamId(), -1)!;
    expect(s.createGroup(gname, 0, 1, new StreamId(), -1)).toBeNull();
    const names = ["alice", "bob", "carol", "dave"].map((n) => enc.encode(n));
    type Nack = { consumer: string; time: number; count: number };
    const pel = new Map<bigint, Nack>();
    const consumers = new Map<string, number>();
    let now = 5000;
    const claimed = new IdBuffer();
    const dropped = new IdBuffer();
    for (let step = 0; step < 3000; step++) {
      now += rng.int(5);
      const ni = rng.int(names.length);
      const nb = names[ni]!;
      const nm = dec.decode(nb);
      const op = rng.int(100);
      if (op < 30) {
        // XREADGROUP >
        const c = g.ensureConsumer(nb, 0, nb.length, now);
        consumers.set(nm, now);
        const it = new StreamIter().seek(s, g.lastId.clone(), new StreamId().setMax(), false);
        let k = rng.int(5);
        while (k > 0 && it.next()) {
          if (compareIds(it.id, g.lastId) <= 0) continue;
          const cur = it.id.clone();
          s.advanceGroup(g, cur);
          g.deliverNew(cur, c, now);
          pel.set(big(cur), { consumer: nm, time: now, count: 1 });
          k--;
        }
      } else if (op < 45 && pel.size > 0) {
        const keys = [...pel.keys()];
        const k = keys[rng.int(keys.length)]!;
        expect(g.ack(idOf(text(k)))).toBe(true);
        expect(g.ack(idOf(text(k)))).toBe(false);
        pel.delete(k);
      } else if (op < 55) {
        // history from the consumer's PEL
        const c = g.lookupConsumer(nb, 0, nb.length, now);
        if (c < 0) continue;
        consumers.set(nm, now);
        const want = [...pel.entries()]
          .filter(([, n]) => n.consumer === nm)
          .sort((a, b) => (a[0] < b[0] ? -1 : 1));
        const got: bigint[] = [];
        for (
          let cur = g.consumerPelSeek(c, new StreamId());
          cur >= 0;
          cur = g.consumerPelNext(cur)
        ) {
          const slot = g.consumerPelSlot(cur);
          const nid = g.nackId(slot, new StreamId());
          got.push(big(nid));
          if (s.has(nid)) {
            g.redeliver(slot, now);
            const n = pel.get(big(nid))!;
            n.time = now;
            n.count++;
          }
        }
        expect(got).toEqual(want.map((w) => w[0]));
      } else if (op < 65 && pel.size > 0) {
        // XCLAIM with min idle
        const ids = new IdBuffer();
        const keys = [...pel.keys()];
        const pickN = 1 + rng.int(3);
        const chosen: bigint[] = [];
        for (let j = 0; j < pickN; j++)
          chosen.push(rng.int(5) === 0 ? BigInt(rng.int(300)) : keys[rng.int(keys.length)]!);
        for (const k of chosen) ids.push(idOf(text(k)));
        const minIdle = rng.int(20);
        const justId = rng.int(2) === 0;
        claimed.clear();
        dropped.clear();
        g.claim(s, ids, nb, 0, nb.length, now, minIdle, now, -1, false, justId, claimed, dropped);
        const wantClaimed: bigint[] = [];
        let created = false;
        for (const k of chosen) {
          const n = pel.get(k);
          if (!s.has(idOf(text(k)))) {
            if (n) pel.delete(k);
            continue;
          }
          if (!n) continue;
          if (minIdle > 0 && now - n.time < minIdle) continue;
          created = true;
          n.consumer = nm;
          n.time = now;
          if (!justId) n.count++;
          wantClaimed.push(k);
        }
        if (created) consumers.set(nm, now);
        expect(
          Array.from({ length: claimed.n }, (_, i) => big(claimed.get(i, new StreamId()))),
        ).toEqual(wantClaimed);
      } else if (op < 72) {
        // XAUTOCLAIM
        const start =
          BigInt(rng.int(3)) * (1000n << 64n) +
          BigInt(rng.int(300)) +
          (BigInt(1000 + rng.int(300)) << 64n) * BigInt(rng.int(2));
        const count = 1 + rng.int(5);
        const minIdle = rng.int(20);
        claimed.clear();
        dropped.clear();
        const next = new StreamId();
        g.autoclaim(
          s,
          idOf(text(start)),
          nb,
          0,
          nb.length,
          now,
          minIdle,
          count,
          false,
          claimed,
          dropped,
          next,
        );
        const keys = [...pel.keys()].filter((k) => k >= start).sort((a, b) => (a < b ? -1 : 1));
        let attempts = count * 10;
        let left = count;
        let i = 0;
        const wantClaimed: bigint[] = [];
        const wantDeleted: bigint[] = [];
        while (attempts-- > 0 && left > 0 && i < keys.length) {
          const k = keys[i++]!;
          const n = pel.get(k)!;
          if (!s.has(idOf(text(k)))) {
            pel.delete(k);
            wantDeleted.push(k);
            left--;
            continue;
          }
          if (minIdle > 0 && now - n.time < minIdle) continue;
          n.consumer = nm;
          n.time = now;
          n.count++;
          wantClaimed.push(k);
          left--;
        }
        if (wantClaimed.length > 0) consumers.set(nm, now);
        expect(
          Array.from({ length: claimed.n }, (_, j) => big(claimed.get(j, new StreamId()))),
        ).toEqual(wantClaimed);
        expect(
          Array.from({ length: dropped.n }, (_, j) => big(dropped.get(j, new StreamId()))),
        ).toEqual(wantDeleted);
        expect(big(next)).toBe(i < keys.length ? keys[i]! : 0n);
      } else if (op < 76) {
        const c = g.findConsumer(nb, 0, nb.length);
        if (c < 0) continue;
        const mine = [...pel.entries()].filter(([, n]) => n.consumer === nm);
        expect(g.deleteConsumer(c)).toBe(mine.length);
        for (const [k] of mine) pel.delete(k);
        consumers.delete(nm);
      } else if (op < 82 && s.length > 0) {
        s.delete(idOf(text(BigInt(1000 + rng.int(300)) << 64n)));
      } else if (op < 84) {
        g.setId(new StreamId(1000 + rng.int(300), 0), -1);
      }
      // compare
      expect(g.pelCount).toBe(pel.size);
      expect(g.consumerCount).toBe(consumers.size);
      const order = [...consumers.keys()].sort();
      for (let r = 0; r < g.consumerCount; r++) {
        const c = g.consumerByRank(r);
        const cn = dec.decode(
          g.names.subarray(g.consumerNameOff(c), g.consumerNameOff(c) + g.consumerNameLen(c)),
        );
        expect(cn).toBe(order[r]!);
        expect(g.cSeen[c]).toBe(consumers.get(cn)!);
        expect(g.cPending[c]).toBe([...pel.values()].filter((n) => n.consumer === cn).length);
      }
      if (step % 100 === 0) {
        g.checkInvariants();
        const sorted = [...pel.keys()].sort((a, b) => (a < b ? -1 : 1));
        const got: string[] = [];
        for (let cur = g.pelSeek(new StreamId()); cur >= 0; cur = g.pelNext(cur)) {
          const slot = g.pelSlot(cur);
          const k = big(g.nackId(slot, new StreamId()));
          const n = pel.get(k)!;
          const cn = dec.decode(
            g.names.subarray(
              g.consumerNameOff(g.nCons[slot]!),
              g.consumerNameOff(g.nCons[slot]!) + g.consumerNameLen(g.nCons[slot]!),
            ),
          );
          got.push(`${text(k)} ${cn} ${g.nTime[slot]} ${g.nCount[slot]}`);
          expect(`${cn} ${n.time} ${n.count}`).toBe(`${n.consumer} ${n.time} ${n.count}`);
        }
        expect(got).toEqual(
          sorted.map(
            (k) => `${text(k)} ${pel.get(k)!.consumer} ${pel.get(k)!.time} ${pel.get(k)!.count}`,
          ),
        );
        const min = new StreamId();
        const max = new StreamId();
        expect(g.pelBounds(min, max)).toBe(pel.size > 0);
        if (pel.size > 0) {
          expect(big(min)).toBe(sorted[0]!);
          expect(big(max)).toBe(sorted[sorted.length - 1]!);
        }
      }
    }
    const copy = s.clone();
    expect(copy.groups[0]!.pelCount).toBe(g.pelCount);
    copy.groups[0]!.checkInvariants();
  });
});

describe("against redis-server: node boundaries, `~` trimming, lag", () => {
  let redis: Running | null = null;
  let conn: RespConn | null = null;
  const skip = !hasRedis;
  beforeAll(async () => {
    if (redisMissing("stream node-boundary differential")) return;
    redis = await startRedis();
    conn = await RespConn.open(redis.port);
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test.skipIf(skip)(
    "random XADD/XDEL then XTRIM ~ / exact / LIMIT: same counts, nodes, metadata",
    async () => {
      const rng = new Prng(99);
      for (let round = 0; round < 12; round++) {
        const key = `s${round}`;
        const s = new Stream();
        const cmds: (string | number)[][] = [];
        let ms = 1 + rng.int(5);
        let seq = 0;
        const ids: string[] = [];
        const n = 150 + rng.int(400);
        for (let i = 0; i < n; i++) {
          if (rng.int(3) === 0) {
            ms += 1 + rng.int(round % 3 === 0 ? 100000 : 3);
            seq = rng.int(3);
          } else seq += 1 + rng.int(round % 4 === 0 ? 300 : 2);
          const f = randomFields(rng);
          const idt = `${ms}-${seq}`;
          ids.push(idt);
          cmds.push(["XADD", key, idt, ...f]);
          s.append(idOf(idt), ranges(f), 0, f.length / 2, DEFAULT_NODE_LIMITS);
        }
        for (let i = 0; i < n / 5; i++) {
          const v = ids[rng.int(ids.length)]!;
          cmds.push(["XDEL", key, v]);
          s.delete(idOf(v));
        }
        await conn!.values(cmds);
        const info = async () => {
          const r = (await conn!.call("XINFO", "STREAM", key)) as unknown[];
          const m = new Map<string, unknown>();
          for (let i = 0; i < r.length; i += 2) m.set(String(r[i]), r[i + 1]);
          return m;
        };
        const compare = async () => {
          const m = await info();
          expect(Number(m.get("length"))).toBe(s.length);
          expect(Number(m.get("radix-tree-keys"))).toBe(s.nodeCount);
          expect(String(m.get("max-deleted-entry-id"))).toBe(formatId(s.maxDeletedId));
          expect(Number(m.get("entries-added"))).toBe(s.entriesAdded);
          const first = m.get("first-entry") as unknown[] | null;
          if (s.length > 0)
            expect(String(first![0])).toBe(formatId(s.edgeId(true, new StreamId())));
        };
        await compare();
        for (let t = 0; t < 6 && s.length > 0; t++) {
          const k = rng.int(4);
          if (k < 2) {
            const maxlen = rng.int(s.length + 1);
            const approx = k === 0;
            const limit = approx && rng.int(2) === 0 ? 1 + rng.int(300) : 0;
            const args = [
              "XTRIM",
              key,
              "MAXLEN",
              ...(approx ? ["~"] : []),
              maxlen,
              ...(limit ? ["LIMIT", limit] : []),
            ];
            const want = Number(await conn!.call(...args));
            expect(
              s.trim(TRIM_MAXLEN, maxlen, new StreamId(), approx, approx ? limit || 10000 : 0),
            ).toBe(want);
          } else {
            const pivot = ids[rng.int(ids.length)]!;
            const approx = k === 2;
            const want = Number(
              await conn!.call("XTRIM", key, "MINID", ...(approx ? ["~"] : []), pivot),
            );
            expect(s.trim(TRIM_MINID, 0, idOf(pivot), approx, approx ? 10000 : 0)).toBe(want);
          }
          await compare();
        }
        // a group, read part, lag and entries-read as XINFO GROUPS reports them
        await conn!.call("XGROUP", "CREATE", key, "g", "0");
        const g = s.createGroup(enc.encode("g"), 0, 1, new StreamId(), -1)!;
        const readN = 1 + rng.int(20);
        const got = (await conn!.call(
          "XREADGROUP",
          "GROUP",
          "g",
          "c",
          "COUNT",
          readN,
          "STREAMS",
          key,
          ">",
        )) as unknown;
        const it = new StreamIter().seek(s, new StreamId(), new StreamId().setMax(), false);
        let delivered = 0;
        const c = g.ensureConsumer(enc.encode("c"), 0, 1, 0);
        while (delivered < readN && it.next()) {
          const x = it.id.clone();
          s.advanceGroup(g, x);
          g.deliverNew(x, c, 0);
          delivered++;
        }
        expect(got === null ? 0 : delivered).toBe(delivered);
        const victim = ids[rng.int(ids.length)]!;
        await conn!.call("XDEL", key, victim);
        s.delete(idOf(victim));
        const groups = (await conn!.call("XINFO", "GROUPS", key)) as unknown[][];
        const gm = new Map<string, unknown>();
        for (let i = 0; i < groups[0]!.length; i += 2)
          gm.set(String(groups[0]![i]), groups[0]![i + 1]);
        expect(String(gm.get("last-delivered-id"))).toBe(formatId(g.lastId));
        expect(gm.get("entries-read") === null ? -1 : Number(gm.get("entries-read"))).toBe(
          g.entriesRead,
        );
        const lag = s.groupLag(g);
        expect(gm.get("lag") === null ? -1 : Number(gm.get("lag"))).toBe(lag);
        expect(Number(gm.get("pending"))).toBe(g.pelCount);
      }
    },
    30000,
  );
});
