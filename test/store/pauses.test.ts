// Incremental replacements of one-go work (bench/pauses.ts): a ByteDict's index rehash, the
// arena's chunked free lists, lazy FLUSHDB. Model-based: random interleavings of writes and
// steps compared with a simple reference.

import { expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { Arena } from "../../src/store/arena.ts";
import { ByteDict } from "../../src/store/bytedict.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

test("ByteDict: incremental rehash (grow and shrink) keeps exactly the model's contents", () => {
  const r = new Prng(19);
  const d = new ByteDict(true);
  const model = new Map<string, string>();
  let sawRehash = 0;
  for (let round = 0; round < 6; round++) {
    // Grow phases add far more than they delete; shrink phases the reverse.
    const grow = round % 2 === 0;
    for (let i = 0; i < 20_000; i++) {
      const k = `f${r.int(grow ? 40_000 : 2_000_000)}`;
      const kb = enc.encode(k);
      const id = d.find(kb, 0, kb.length);
      expect(id >= 0).toBe(model.has(k));
      const op = r.int(10);
      if (grow ? op < 8 : op < 2) {
        const v = enc.encode(`v${r.int(1000)}`);
        if (id >= 0) d.setValue(id, v, 0, v.length);
        else d.add(kb, 0, kb.length, v, 0, v.length);
        model.set(k, dec.decode(v));
      } else if (model.size > 0) {
        // Delete a random present key (from the model) so shrinks happen.
        const victim = grow ? k : model.keys().next().value!;
        const vb = enc.encode(victim);
        const vid = d.find(vb, 0, vb.length);
        if (vid >= 0) {
          d.delete(vid);
          model.delete(victim);
        }
      }
      if (d.rehashing) sawRehash++;
      if (i % 5000 === 0) d.checkInvariants();
    }
    d.checkInvariants();
    expect(d.size).toBe(model.size);
    for (const [k, v] of model) {
      const kb = enc.encode(k);
      const id = d.find(kb, 0, kb.length);
      expect(id).toBeGreaterThanOrEqual(0);
      expect(dec.decode(d.memOf(id).subarray(d.valOff(id), d.valOff(id) + d.valLen(id)))).toBe(v);
    }
    // A clone mid-rehash is complete too.
    const c = d.clone();
    c.checkInvariants();
    expect(c.size).toBe(model.size);
  }
  expect(sawRehash).toBeGreaterThan(0);
}, 60_000);

test("arena: free lists past one chunk (64K entries) hand every block back exactly once", () => {
  const a = new Arena({ checked: true });
  const n = 200_000;
  const addrs: number[] = [];
  for (let i = 0; i < n; i++) addrs.push(a.alloc(40));
  const reserved = a.reservedBytes;
  for (const x of addrs) a.free(x, a.capacityFor(40));
  // Re-allocating reuses the freed blocks (no new pages), each once (checked mode throws on a
  // block handed out twice).
  const again = new Set<number>();
  for (let i = 0; i < n; i++) again.add(a.alloc(40));
  expect(again.size).toBe(n);
  expect(a.reservedBytes).toBe(reserved);
  for (const x of again) a.free(x, a.capacityFor(40));
  // Evacuate everything and purge in small steps: the stale entries all go, nothing breaks.
  a.beginEvacuation(Number.POSITIVE_INFINITY, 1);
  let steps = 0;
  while (a.purgeStep(1000) && steps < 10_000) steps++;
  expect(steps).toBeGreaterThan(100);
  const fresh = a.alloc(40);
  expect(a.isEvacuating(fresh)).toBe(false);
});

test("lazy FLUSHDB: keys go at once, blocks are freed by steps, other databases untouched", () => {
  const ks = new Keyspace(4);
  const r = new Prng(3);
  for (let i = 0; i < 30_000; i++) {
    const k = enc.encode(`k${i}`);
    const v = new Uint8Array(r.int(200));
    ks.db(i % 3 === 0 ? 1 : 0).upsertString(k, 0, k.length, v, 0, v.length);
  }
  const keep = ks.db(1).count;
  const liveBefore = ks.arena.liveBytes;
  ks.flushDb(0, true);
  expect(ks.db(0).count).toBe(0);
  expect(ks.lazyFreePending).toBeGreaterThan(0);
  expect(ks.arena.liveBytes).toBe(liveBefore); // not freed yet
  // Writes to the fresh db 0 interleave with the free steps.
  let steps = 0;
  while (ks.lazyFreeStep(0) && steps < 100_000) {
    const k = enc.encode(`n${steps}`);
    ks.db(0).upsertString(k, 0, k.length, k, 0, k.length);
    steps++;
  }
  expect(steps).toBeGreaterThan(1);
  expect(ks.lazyFreePending).toBe(0);
  expect(ks.lazyFreed).toBe(20_000);
  expect(ks.db(1).count).toBe(keep);
  ks.db(0).checkInvariants();
  ks.db(1).checkInvariants();
  // What is live is exactly db 1 plus the new keys in db 0: a recount from a sync flush.
  const live = ks.arena.liveBytes;
  ks.flushDb(0);
  expect(ks.arena.liveBytes).toBeLessThan(live);
  ks.flushDb(1, true); // the others are empty: pages dropped wholesale
  expect(ks.arena.liveBytes).toBe(0);
  expect(ks.lazyFreePending).toBe(0);
});

test("FLUSHDB ASYNC and lazyfree-lazy-user-flush over the command path; SYNC frees at once", () => {
  for (const [conf, cmd, lazy] of [
    [{}, ["FLUSHDB", "ASYNC"], true],
    [{ "lazyfree-lazy-user-flush": "yes" }, ["FLUSHDB"], true],
    [{ "lazyfree-lazy-user-flush": "yes" }, ["FLUSHDB", "SYNC"], false],
    [{}, ["FLUSHDB"], false],
  ] as const) {
    const p = new InProc(MODE_RESP2, conf);
    p.call("SELECT", "1");
    p.call("SET", "other", "v");
    p.call("SELECT", "0");
    for (let i = 0; i < 5000; i++) p.call("SET", `k${i}`, "x".repeat(50));
    p.call("HSET", "h", "f", "v");
    expect(p.call(...cmd)).toBe("OK");
    expect(p.call("DBSIZE")).toBe(0);
    expect(p.call("EXISTS", "k1", "h")).toBe(0);
    const pending = (p.server as unknown as { keyspace: Keyspace }).keyspace.lazyFreePending;
    expect(pending > 0).toBe(lazy);
    const ks = (p.server as unknown as { keyspace: Keyspace }).keyspace;
    while (ks.lazyFreeStep(1));
    expect(ks.lazyFreePending).toBe(0);
    p.call("SELECT", "1");
    expect(p.call("GET", "other")).toBe("v");
    p.call("SELECT", "0");
    expect(p.call("SET", "k1", "new")).toBe("OK");
    expect(p.call("GET", "k1")).toBe("new");
  }
});
