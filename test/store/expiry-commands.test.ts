// EXPIRE family semantics at the command boundary (replies checked against redis-server 7.0.15
// by hand; the differential family re-checks them live once RESP lands).

import { describe, expect, test } from "bun:test";
import { harness } from "./expiry-harness.ts";

const T0 = 1_700_000_000_000;

describe("EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT", () => {
  test("set a TTL, read it back in every unit, persist it", () => {
    const h = harness();
    h.at(T0);
    expect(h.cmd("set", "k", "v")).toBe("OK");
    expect(h.cmd("ttl", "k")).toBe(-1);
    expect(h.cmd("pttl", "k")).toBe(-1);
    expect(h.cmd("expiretime", "k")).toBe(-1);
    expect(h.cmd("expire", "k", "100")).toBe(1);
    expect(h.cmd("ttl", "k")).toBe(100);
    expect(h.cmd("pttl", "k")).toBe(100_000);
    expect(h.cmd("expiretime", "k")).toBe(T0 / 1000 + 100);
    expect(h.cmd("pexpiretime", "k")).toBe(T0 + 100_000);
    h.at(T0 + 1_499);
    expect(h.cmd("ttl", "k")).toBe(99); // (98501 + 500) / 1000, rounded like Redis
    h.at(T0 + 1_500);
    expect(h.cmd("ttl", "k")).toBe(99);
    h.at(T0 + 1_501);
    expect(h.cmd("ttl", "k")).toBe(98);
    expect(h.cmd("pexpire", "k", "2500")).toBe(1);
    expect(h.cmd("pttl", "k")).toBe(2500);
    expect(h.cmd("ttl", "k")).toBe(3);
    expect(h.cmd("expireat", "k", String(T0 / 1000 + 7))).toBe(1);
    expect(h.cmd("pexpiretime", "k")).toBe(T0 + 7000);
    expect(h.cmd("pexpireat", "k", String(T0 + 12_345))).toBe(1);
    expect(h.cmd("pexpiretime", "k")).toBe(T0 + 12_345);
    expect(h.cmd("expiretime", "k")).toBe(Math.floor((T0 + 12_345 + 500) / 1000));
    expect(h.cmd("persist", "k")).toBe(1);
    expect(h.cmd("persist", "k")).toBe(0);
    expect(h.cmd("ttl", "k")).toBe(-1);
    expect(h.cmd("persist", "nokey")).toBe(0);
    for (const c of ["ttl", "pttl", "expiretime", "pexpiretime"])
      expect(h.cmd(c, "nokey")).toBe(-2);
    expect(h.cmd("expire", "nokey", "10")).toBe(0);
  });

  test("an expired key is gone for every command, and counted", () => {
    const h = harness();
    h.at(T0);
    h.cmd("set", "k", "v");
    h.cmd("pexpire", "k", "10");
    h.at(T0 + 9);
    expect(h.cmd("get", "k")).toBe("v");
    h.at(T0 + 10);
    expect(h.cmd("get", "k")).toBe(null);
    expect(h.cmd("ttl", "k")).toBe(-2);
    expect(h.server.keyspace.expiredKeys).toBe(1);
    h.cmd("set", "k", "v");
    h.cmd("pexpire", "k", "10");
    h.at(T0 + 20);
    expect(h.cmd("expire", "k", "100")).toBe(0); // no key
    expect(h.cmd("persist", "k")).toBe(0);
    h.cmd("set", "k", "v");
    h.cmd("pexpire", "k", "10");
    h.at(T0 + 30);
    expect(h.cmd("del", "k")).toBe(0);
  });

  test("a time in the past or now deletes the key (not counted as expired)", () => {
    const h = harness();
    h.at(T0);
    for (const [c, v] of [
      ["expire", "-1"],
      ["expire", "0"],
      ["pexpire", "0"],
      ["expireat", "0"],
      ["expireat", String(T0 / 1000)],
      ["pexpireat", String(T0)],
      ["pexpireat", "-5"],
    ] as const) {
      h.cmd("set", "k", "v");
      expect(h.cmd(c, "k", v)).toBe(1);
      expect(h.cmd("get", "k")).toBe(null);
    }
    expect(h.server.keyspace.expiredKeys).toBe(0);
    h.cmd("set", "k", "v");
    expect(h.cmd("pexpireat", "k", String(T0 + 1))).toBe(1);
    expect(h.cmd("get", "k")).toBe("v");
  });

  test("NX / XX / GT / LT", () => {
    const h = harness();
    h.at(T0);
    h.cmd("set", "k", "v");
    expect(h.cmd("expire", "k", "100", "xx")).toBe(0);
    expect(h.cmd("expire", "k", "100", "gt")).toBe(0); // no TTL = infinite: never greater
    expect(h.cmd("ttl", "k")).toBe(-1);
    expect(h.cmd("expire", "k", "100", "lt")).toBe(1); // infinite: anything is less
    expect(h.cmd("expire", "k", "200", "NX")).toBe(0);
    expect(h.cmd("expire", "k", "200", "Xx")).toBe(1);
    expect(h.cmd("expire", "k", "150", "gt")).toBe(0);
    expect(h.cmd("expire", "k", "200", "gt")).toBe(0); // equal is not greater
    expect(h.cmd("expire", "k", "250", "gt")).toBe(1);
    expect(h.cmd("expire", "k", "250", "lt")).toBe(0);
    expect(h.cmd("expire", "k", "50", "lt", "xx")).toBe(1);
    expect(h.cmd("ttl", "k")).toBe(50);
    expect(h.cmd("expire", "k", "50", "nx", "nx")).toBe(0);
    expect(h.cmd("persist", "k")).toBe(1);
    expect(h.cmd("expire", "k", "50", "nx", "nx")).toBe(1);
    expect(h.cmd("persist", "k")).toBe(1);
    // LT with a past time on a key without TTL deletes it.
    expect(h.cmd("expire", "k", "-10", "lt")).toBe(1);
    expect(h.cmd("get", "k")).toBe(null);
  });

  test("errors, in Redis's order and words", () => {
    const h = harness();
    h.at(T0);
    h.cmd("set", "k", "v");
    const err = (s: string) => ({ err: s });
    expect(h.cmd("expire", "k", "100", "nx", "xx")).toEqual(
      err("ERR NX and XX, GT or LT options at the same time are not compatible"),
    );
    expect(h.cmd("expire", "k", "100", "nx", "gt")).toEqual(
      err("ERR NX and XX, GT or LT options at the same time are not compatible"),
    );
    expect(h.cmd("expire", "k", "100", "gt", "lt")).toEqual(
      err("ERR GT and LT options at the same time are not compatible"),
    );
    expect(h.cmd("expire", "k", "100", "foo")).toEqual(err("ERR Unsupported option foo"));
    expect(h.cmd("expire", "k", "100", "nx", "foo")).toEqual(err("ERR Unsupported option foo"));
    expect(h.cmd("expire", "k", "abc", "foo")).toEqual(err("ERR Unsupported option foo"));
    expect(h.cmd("expire", "k", "abc")).toEqual(err("ERR value is not an integer or out of range"));
    expect(h.cmd("expire", "k", "1.5")).toEqual(err("ERR value is not an integer or out of range"));
    expect(h.cmd("expire", "k", "99999999999999999999")).toEqual(
      err("ERR value is not an integer or out of range"),
    );
    expect(h.cmd("expire", "k", "9223372036854775")).toEqual(
      err("ERR invalid expire time in 'expire' command"),
    );
    expect(h.cmd("expire", "k", "-9223372036854776")).toEqual(
      err("ERR invalid expire time in 'expire' command"),
    );
    // seconds * 1000 fits but + now overflows
    expect(h.cmd("expire", "k", "9223372036854770")).toEqual(
      err("ERR invalid expire time in 'expire' command"),
    );
    expect(h.cmd("pexpire", "k", "9223372036854775807")).toEqual(
      err("ERR invalid expire time in 'pexpire' command"),
    );
    expect(h.cmd("expireat", "k", "9223372036854775807")).toEqual(
      err("ERR invalid expire time in 'expireat' command"),
    );
    // PEXPIREAT LLONG_MAX is valid (basetime 0).
    expect(h.cmd("pexpireat", "k", "9223372036854775807")).toBe(1);
    expect(h.cmd("ttl", "k")).toBeGreaterThan(9e15);
    // Big negative values in range just delete.
    expect(h.cmd("pexpire", "k", "-9223372036854775808")).toBe(1);
    expect(h.cmd("get", "k")).toBe(null);
    expect(h.cmd("expire", "k")).toEqual(err("ERR wrong number of arguments for 'expire' command"));
    expect(h.cmd("ttl", "k", "x")).toEqual(err("ERR wrong number of arguments for 'ttl' command"));
  });

  test("TTLs live per database", () => {
    const h = harness();
    h.at(T0);
    h.cmd("set", "k", "v");
    h.cmd("expire", "k", "10");
    h.client.db = 1;
    expect(h.cmd("ttl", "k")).toBe(-2);
    h.cmd("set", "k", "v");
    expect(h.cmd("ttl", "k")).toBe(-1);
    h.client.db = 0;
    expect(h.cmd("ttl", "k")).toBe(10);
  });

  test("DEBUG SET-ACTIVE-EXPIRE handler toggles the sweep", async () => {
    const { debugSetActiveExpire } = await import("../../src/commands/expire.ts");
    const h = harness();
    h.client.argv.count = 0;
    const run = (v: string) => {
      const buf = new TextEncoder().encode(`debugset-active-expire${v}`);
      const a = h.client.argv;
      a.buf = buf;
      a.count = 3;
      a.offs[0] = 0;
      a.lens[0] = 5;
      a.offs[1] = 5;
      a.lens[1] = 17;
      a.offs[2] = 22;
      a.lens[2] = v.length;
      debugSetActiveExpire(h.client);
      h.client.out.start = 0;
      h.client.out.end = 0;
    };
    run("0");
    expect(h.server.expiry.enabled).toBe(false);
    run("1");
    expect(h.server.expiry.enabled).toBe(true);
    run("abc");
    expect(h.server.expiry.enabled).toBe(false);
  });
});
