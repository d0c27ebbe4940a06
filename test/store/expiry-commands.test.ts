// EXPIRE family semantics at the command boundary (replies checked against redis-server 7.0.15
// by hand; the differential family re-checks them live once RESP lands).

import { describe, expect, test } from "bun:test";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { RespError } from "../helpers/resp.ts";

const T0 = 1_700_000_000_000;

describe("EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT", () => {
  test("set a TTL, read it back in every unit, persist it", () => {
    const h = new InProc(MODE_RESP2);
    h.at(T0);
    expect(h.call("set", "k", "v")).toBe("OK");
    expect(h.call("ttl", "k")).toBe(-1);
    expect(h.call("pttl", "k")).toBe(-1);
    expect(h.call("expiretime", "k")).toBe(-1);
    expect(h.call("expire", "k", "100")).toBe(1);
    expect(h.call("ttl", "k")).toBe(100);
    expect(h.call("pttl", "k")).toBe(100_000);
    expect(h.call("expiretime", "k")).toBe(T0 / 1000 + 100);
    expect(h.call("pexpiretime", "k")).toBe(T0 + 100_000);
    h.at(T0 + 1_499);
    expect(h.call("ttl", "k")).toBe(99); // (98501 + 500) / 1000, rounded like Redis
    h.at(T0 + 1_500);
    expect(h.call("ttl", "k")).toBe(99);
    h.at(T0 + 1_501);
    expect(h.call("ttl", "k")).toBe(98);
    expect(h.call("pexpire", "k", "2500")).toBe(1);
    expect(h.call("pttl", "k")).toBe(2500);
    expect(h.call("ttl", "k")).toBe(3);
    expect(h.call("expireat", "k", String(T0 / 1000 + 7))).toBe(1);
    expect(h.call("pexpiretime", "k")).toBe(T0 + 7000);
    expect(h.call("pexpireat", "k", String(T0 + 12_345))).toBe(1);
    expect(h.call("pexpiretime", "k")).toBe(T0 + 12_345);
    expect(h.call("expiretime", "k")).toBe(Math.floor((T0 + 12_345 + 500) / 1000));
    expect(h.call("persist", "k")).toBe(1);
    expect(h.call("persist", "k")).toBe(0);
    expect(h.call("ttl", "k")).toBe(-1);
    expect(h.call("persist", "nokey")).toBe(0);
    for (const c of ["ttl", "pttl", "expiretime", "pexpiretime"])
      expect(h.call(c, "nokey")).toBe(-2);
    expect(h.call("expire", "nokey", "10")).toBe(0);
  });

  test("an expired key is gone for every command, and counted", () => {
    const h = new InProc(MODE_RESP2);
    h.at(T0);
    h.call("set", "k", "v");
    h.call("pexpire", "k", "10");
    h.at(T0 + 9);
    expect(h.call("get", "k")).toBe("v");
    h.at(T0 + 10);
    expect(h.call("get", "k")).toBe(null);
    expect(h.call("ttl", "k")).toBe(-2);
    expect(h.server.keyspace.expiredKeys).toBe(1);
    h.call("set", "k", "v");
    h.call("pexpire", "k", "10");
    h.at(T0 + 20);
    expect(h.call("expire", "k", "100")).toBe(0); // no key
    expect(h.call("persist", "k")).toBe(0);
    h.call("set", "k", "v");
    h.call("pexpire", "k", "10");
    h.at(T0 + 30);
    expect(h.call("del", "k")).toBe(0);
  });

  test("a time in the past or now deletes the key (not counted as expired)", () => {
    const h = new InProc(MODE_RESP2);
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
      h.call("set", "k", "v");
      expect(h.call(c, "k", v)).toBe(1);
      expect(h.call("get", "k")).toBe(null);
    }
    expect(h.server.keyspace.expiredKeys).toBe(0);
    h.call("set", "k", "v");
    expect(h.call("pexpireat", "k", String(T0 + 1))).toBe(1);
    expect(h.call("get", "k")).toBe("v");
  });

  test("NX / XX / GT / LT", () => {
    const h = new InProc(MODE_RESP2);
    h.at(T0);
    h.call("set", "k", "v");
    expect(h.call("expire", "k", "100", "xx")).toBe(0);
    expect(h.call("expire", "k", "100", "gt")).toBe(0); // no TTL = infinite: never greater
    expect(h.call("ttl", "k")).toBe(-1);
    expect(h.call("expire", "k", "100", "lt")).toBe(1); // infinite: anything is less
    expect(h.call("expire", "k", "200", "NX")).toBe(0);
    expect(h.call("expire", "k", "200", "Xx")).toBe(1);
    expect(h.call("expire", "k", "150", "gt")).toBe(0);
    expect(h.call("expire", "k", "200", "gt")).toBe(0); // equal is not greater
    expect(h.call("expire", "k", "250", "gt")).toBe(1);
    expect(h.call("expire", "k", "250", "lt")).toBe(0);
    expect(h.call("expire", "k", "50", "lt", "xx")).toBe(1);
    expect(h.call("ttl", "k")).toBe(50);
    expect(h.call("expire", "k", "50", "nx", "nx")).toBe(0);
    expect(h.call("persist", "k")).toBe(1);
    expect(h.call("expire", "k", "50", "nx", "nx")).toBe(1);
    expect(h.call("persist", "k")).toBe(1);
    // LT with a past time on a key without TTL deletes it.
    expect(h.call("expire", "k", "-10", "lt")).toBe(1);
    expect(h.call("get", "k")).toBe(null);
  });

  test("errors, in Redis's order and words", () => {
    const h = new InProc(MODE_RESP2);
    h.at(T0);
    h.call("set", "k", "v");
    const err = (s: string) => new RespError(s);
    expect(h.call("expire", "k", "100", "nx", "xx")).toEqual(
      err("ERR NX and XX, GT or LT options at the same time are not compatible"),
    );
    expect(h.call("expire", "k", "100", "nx", "gt")).toEqual(
      err("ERR NX and XX, GT or LT options at the same time are not compatible"),
    );
    expect(h.call("expire", "k", "100", "gt", "lt")).toEqual(
      err("ERR GT and LT options at the same time are not compatible"),
    );
    expect(h.call("expire", "k", "100", "foo")).toEqual(err("ERR Unsupported option foo"));
    expect(h.call("expire", "k", "100", "nx", "foo")).toEqual(err("ERR Unsupported option foo"));
    expect(h.call("expire", "k", "abc", "foo")).toEqual(err("ERR Unsupported option foo"));
    expect(h.call("expire", "k", "abc")).toEqual(
      err("ERR value is not an integer or out of range"),
    );
    expect(h.call("expire", "k", "1.5")).toEqual(
      err("ERR value is not an integer or out of range"),
    );
    expect(h.call("expire", "k", "99999999999999999999")).toEqual(
      err("ERR value is not an integer or out of range"),
    );
    expect(h.call("expire", "k", "9223372036854775")).toEqual(
      err("ERR invalid expire time in 'expire' command"),
    );
    expect(h.call("expire", "k", "-9223372036854776")).toEqual(
      err("ERR invalid expire time in 'expire' command"),
    );
    // seconds * 1000 fits but + now overflows
    expect(h.call("expire", "k", "9223372036854770")).toEqual(
      err("ERR invalid expire time in 'expire' command"),
    );
    expect(h.call("pexpire", "k", "9223372036854775807")).toEqual(
      err("ERR invalid expire time in 'pexpire' command"),
    );
    expect(h.call("expireat", "k", "9223372036854775807")).toEqual(
      err("ERR invalid expire time in 'expireat' command"),
    );
    // PEXPIREAT LLONG_MAX is valid (basetime 0).
    expect(h.call("pexpireat", "k", "9223372036854775807")).toBe(1);
    expect(h.call("ttl", "k")).toBeGreaterThan(9e15);
    // Big negative values in range just delete.
    expect(h.call("pexpire", "k", "-9223372036854775808")).toBe(1);
    expect(h.call("get", "k")).toBe(null);
    expect(h.call("expire", "k")).toEqual(
      err("ERR wrong number of arguments for 'expire' command"),
    );
    expect(h.call("ttl", "k", "x")).toEqual(err("ERR wrong number of arguments for 'ttl' command"));
  });

  test("TTLs live per database", () => {
    const h = new InProc(MODE_RESP2);
    h.at(T0);
    h.call("set", "k", "v");
    h.call("expire", "k", "10");
    h.client.ctx.db = 1;
    expect(h.call("ttl", "k")).toBe(-2);
    h.call("set", "k", "v");
    expect(h.call("ttl", "k")).toBe(-1);
    h.client.ctx.db = 0;
    expect(h.call("ttl", "k")).toBe(10);
  });

  test("DEBUG SET-ACTIVE-EXPIRE toggles the sweep", () => {
    const h = new InProc(MODE_RESP2);
    h.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    expect(h.server.expiry.enabled).toBe(false);
    h.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
    expect(h.server.expiry.enabled).toBe(true);
    h.call("DEBUG", "SET-ACTIVE-EXPIRE", "abc");
    expect(h.server.expiry.enabled).toBe(false);
  });
});
