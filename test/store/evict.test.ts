// Eviction under maxmemory: limits hold, each policy evicts what it should.

import { describe, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { OOM_ERROR } from "../../src/store/evict.ts";
import { InProc } from "../helpers/inproc.ts";
import { RespError } from "../helpers/resp.ts";

const T0 = 1_700_000_000_000;
const val = (n: number) => "x".repeat(n);

function count(h: InProc): number {
  let n = 0;
  for (const t of h.server.keyspace.dbs) n += t.count;
  return n;
}

describe("maxmemory", () => {
  test("noeviction: denyoom writes get OOM, reads/deletes/non-denyoom writes still work", () => {
    const h = new InProc(MODE_RESP2);
    h.at(T0);
    for (let i = 0; i < 100; i++) h.call("set", `k${i}`, val(100));
    const used = h.server.evictor.usedBytes();
    h.server.config.set("maxmemory", String(used - 1));
    expect(h.call("set", "new", "v")).toEqual(new RespError(OOM_ERROR));
    expect(h.call("get", "k1")).toBe(val(100));
    expect(h.call("expire", "k1", "100")).toBe(1);
    expect(h.call("del", "k2", "k3")).toBe(2);
    expect(h.call("set", "new", "v")).toBe("OK"); // back under the limit
    expect(h.server.evictor.evictedKeys).toBe(0);
    h.server.config.set("maxmemory", "0");
    for (let i = 0; i < 50; i++) expect(h.call("set", `more${i}`, val(100))).toBe("OK");
  });

  for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
    test(`${policy}: writing 10x the limit keeps used memory within one value of it`, () => {
      const h = new InProc(MODE_RESP2, { "maxmemory-policy": policy });
      h.at(T0);
      const ev = h.server.evictor;
      const limit = 2 * 1024 * 1024 + ev.usedBytes();
      h.server.config.set("maxmemory", String(limit));
      const size = 1000;
      let worst = 0;
      let written = 0;
      for (let i = 0; written < 10 * limit; i++) {
        if (i % 100 === 0) h.at(T0 + i); // clocks move
        expect(h.call("set", `key:${i}`, val(size))).toBe("OK");
        written += size;
        const over = ev.usedBytes() - limit;
        if (ev.evictedKeys > 0 && over > worst) worst = over;
      }
      expect(ev.evictedKeys).toBeGreaterThan(15_000);
      expect(worst).toBeLessThanOrEqual(size + 64); // one value block (+ key) past the limit
      expect(count(h)).toBeGreaterThan(1000);
      for (const t of h.server.keyspace.dbs) t.checkInvariants();
    });
  }

  for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]) {
    test(`${policy}: only keys with a TTL go; OOM once none is left`, () => {
      const h = new InProc(MODE_RESP2, { "maxmemory-policy": policy });
      h.at(T0);
      for (let i = 0; i < 300; i++) h.call("set", `p${i}`, val(500));
      for (let i = 0; i < 300; i++) {
        h.call("set", `v${i}`, val(500));
        h.call("expire", `v${i}`, String(1000 + i));
      }
      h.server.config.set("maxmemory", String(h.server.evictor.usedBytes()));
      let oom = 0;
      for (let i = 0; i < 600; i++) {
        const r = h.call("set", `n${i}`, val(500));
        if (typeof r === "object" && r !== null) {
          expect(r).toEqual(new RespError(OOM_ERROR));
          oom++;
        }
      }
      for (let i = 0; i < 300; i++) expect(h.call("get", `p${i}`)).toBe(val(500));
      let ttlLeft = 0;
      for (let i = 0; i < 300; i++) if (h.call("get", `v${i}`) !== null) ttlLeft++;
      expect(ttlLeft).toBe(0);
      expect(oom).toBeGreaterThan(250); // new keys have no TTL: once the v* are gone, OOM
    });
  }

  test("volatile-ttl evicts the nearest expiry first", () => {
    const h = new InProc(MODE_RESP2, {
      "maxmemory-policy": "volatile-ttl",
      "maxmemory-samples": "10",
    });
    h.at(T0);
    for (let i = 0; i < 1000; i++) {
      h.call("set", `v${i}`, val(200));
      h.call("pexpire", `v${i}`, String(100_000 + i * 1000));
    }
    h.server.config.set("maxmemory", String(h.server.evictor.usedBytes()));
    for (let i = 0; i < 500; i++) {
      const r = h.call("set", `n${i}`, val(200));
      h.call("expire", `n${i}`, "100000000"); // far: never the nearest
      expect(r).toBe("OK");
    }
    let nearGone = 0;
    let farGone = 0;
    for (let i = 0; i < 1000; i++) {
      if (h.server.keyspace.db(0).find(...keyBytes(`v${i}`)) < 0) {
        if (i < 500) nearGone++;
        else farGone++;
      }
    }
    expect(nearGone + farGone).toBeGreaterThan(350);
    expect(nearGone).toBeGreaterThan(4 * farGone); // sampled, so not perfectly ordered
  });

  test("allkeys-lru keeps a recently used hot set (LRU quality)", () => {
    const h = new InProc(MODE_RESP2, { "maxmemory-policy": "allkeys-lru" });
    h.at(T0);
    const n = 5000;
    for (let i = 0; i < n; i++) h.call("set", `k${i}`, val(200));
    h.server.config.set("maxmemory", String(h.server.evictor.usedBytes()));
    h.at(T0 + 1000);
    const hot = 500;
    for (let i = 0; i < hot; i++) h.call("get", `k${i * 10}`);
    h.at(T0 + 2000);
    for (let i = 0; i < n / 2; i++) {
      if (i % 50 === 0) h.at(T0 + 2000 + i);
      expect(h.call("set", `new${i}`, val(200))).toBe("OK");
    }
    let hotLeft = 0;
    for (let i = 0; i < hot; i++) if (h.call("get", `k${i * 10}`) !== null) hotLeft++;
    let newLeft = 0;
    for (let i = 0; i < n / 2; i++)
      if (h.server.keyspace.db(0).find(...keyBytes(`new${i}`)) >= 0) newLeft++;
    // Half the cold keys were evicted; a random policy would lose ~half the hot set too.
    expect(hotLeft / hot).toBeGreaterThan(0.95);
    expect(newLeft / (n / 2)).toBeGreaterThan(0.8);
  });

  test("allkeys-lfu keeps frequently used keys; counters grow logarithmically and decay", () => {
    const h = new InProc(MODE_RESP2, { "maxmemory-policy": "allkeys-lfu" });
    h.at(T0);
    const ks = h.server.keyspace;
    const n = 4000;
    for (let i = 0; i < n; i++) h.call("set", `k${i}`, val(200));
    const freq = (k: string) => ks.lfuFreq(ks.db(0), ks.db(0).find(...keyBytes(k)));
    expect(freq("k1")).toBe(5); // LFU_INIT_VAL
    for (let r = 0; r < 20; r++) for (let i = 0; i < 400; i++) h.call("get", `k${i}`);
    // Increments are random (probability 1/((c-5)*10+1)), so judge the 400 hot keys together:
    // one key stays at 6 after 20 hits about 16% of the time, the mean of 400 never does.
    let sum = 0;
    let max = 0;
    for (let i = 0; i < 400; i++) {
      const f = freq(`k${i}`);
      sum += f;
      max = Math.max(max, f);
    }
    expect(sum / 400).toBeGreaterThan(6.3);
    expect(max).toBeLessThan(20); // log factor 10: ~20 hits gain only a few steps
    h.server.config.set("maxmemory", String(h.server.evictor.usedBytes()));
    for (let i = 0; i < n; i++) h.call("set", `new${i}`, val(200));
    let hotLeft = 0;
    for (let i = 0; i < 400; i++) if (ks.db(0).find(...keyBytes(`k${i}`)) >= 0) hotLeft++;
    expect(hotLeft / 400).toBeGreaterThan(0.9);
    // Decay: one step per lfu-decay-time (1) minute without access.
    const before = freq("k1");
    h.at(T0 + 3 * 60_000 + 1);
    expect(freq("k1")).toBe(Math.max(0, before - 3));
  });
});

function keyBytes(k: string): [Uint8Array, number, number] {
  const b = new TextEncoder().encode(k);
  return [b, 0, b.length];
}

test("a time budget (the cron's) bounds one eviction call; repeated calls reach the limit", () => {
  const h = new InProc(MODE_RESP2, { "maxmemory-policy": "allkeys-random" });
  h.at(T0);
  for (let i = 0; i < 60_000; i++) h.call("set", `k${i}`, "v".repeat(100));
  const ev = h.server.evictor;
  h.server.config.set("maxmemory", String(ev.usedBytes() - 5 * 1024 * 1024));
  expect(ev.performEvictions(0)).toBe(false); // budget spent after the first 64 keys
  expect(ev.evictedKeys).toBe(64);
  let calls = 1;
  while (!ev.performEvictions(0) && calls < 10_000) calls++;
  expect(ev.usedBytes()).toBeLessThanOrEqual(ev.maxmemory);
  expect(calls).toBeGreaterThan(100);
});
