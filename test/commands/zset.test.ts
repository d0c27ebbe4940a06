// Sorted set command semantics that the differential test cannot pin down (randomness, big
// sets, limits, key lifecycle), run in-process through the real command table.

import { describe, expect, test } from "bun:test";
import { zsetLimits } from "../../src/commands/zset.ts";
import { formatDouble, formatG } from "../../src/protocol/number.ts";
import { MODE_RESP2, MODE_RESP3, MODE_V1 } from "../../src/protocol/reply.ts";
import { ZSet } from "../../src/store/zset.ts";
import { InProc } from "../helpers/inproc.ts";
import { Prng } from "../helpers/prng.ts";
import { parseReply } from "../helpers/resp.ts";

/** In-process server; big ZADDs need more than the default v1-max-args (1024). */
const zsetInProc = () => new InProc(MODE_RESP2, { "v1-max-args": String(1 << 20) });

/** Split a RESP2 flat array of bulk strings into its elements. */
function bulks(reply: string): string[] {
  if (!reply.startsWith("*")) throw new Error(`not an array: ${reply}`);
  const r = parseReply(Buffer.from(reply, "latin1"), 0, true);
  if (r === null || r[1] !== reply.length) throw new Error(`not one whole reply: ${reply}`);
  return r[0] as string[];
}

function fill(h: InProc, key: string, n: number): void {
  const parts = ["ZADD", key];
  for (let i = 0; i < n; i++) parts.push(String(i), `m${i}`);
  h.text(parts);
}

describe("sorted set commands", () => {
  test("leaderboard flow: ZADD, ZINCRBY, ZREVRANGE WITHSCORES, ZREVRANK", () => {
    const h = zsetInProc();
    expect(h.text("ZADD lb 100 alice 80 bob 120 carol")).toBe(":3\r\n");
    expect(h.text("ZINCRBY lb 50 bob")).toBe("$3\r\n130\r\n");
    expect(bulks(h.text("ZREVRANGE lb 0 -1 WITHSCORES"))).toEqual([
      "bob",
      "130",
      "carol",
      "120",
      "alice",
      "100",
    ]);
    expect(h.text("ZREVRANK lb alice")).toBe(":2\r\n");
    expect(h.text("ZREVRANK lb nobody")).toBe("$-1\r\n");
    expect(h.text("ZSCORE lb bob", MODE_RESP3)).toBe(",130\r\n");
    expect(h.text("TYPE lb")).toBe("+zset\r\n");
  });

  test("a set emptied by any removal disappears", () => {
    const h = zsetInProc();
    const cases = [
      "ZREM k m0 m1 m2",
      "ZPOPMIN k 5",
      "ZPOPMAX k 3",
      "ZREMRANGEBYRANK k 0 -1",
      "ZREMRANGEBYSCORE k -inf +inf",
      "ZMPOP 1 k MIN COUNT 10",
    ];
    for (const cmd of cases) {
      fill(h, "k", 3);
      h.text(cmd);
      expect(h.text("EXISTS k")).toBe(":0\r\n");
      expect(h.text("TYPE k")).toBe("+none\r\n");
    }
    fill(h, "k", 3);
    h.text("ZRANGESTORE d k 5 10");
    expect(h.text("EXISTS d")).toBe(":0\r\n");
  });

  test("ZRANDMEMBER count semantics (properties, not exact randomness)", () => {
    const h = zsetInProc();
    fill(h, "k", 50);
    for (let t = 0; t < 30; t++) {
      const n = 1 + (t % 60);
      const pos = bulks(h.text(`ZRANDMEMBER k ${n}`));
      expect(pos.length).toBe(Math.min(n, 50));
      expect(new Set(pos).size).toBe(pos.length); // distinct
      for (const m of pos) expect(m).toMatch(/^m\d+$/);
      const neg = bulks(h.text(`ZRANDMEMBER k -${n}`));
      expect(neg.length).toBe(n); // with repetition, exactly |count|
      for (const m of neg) expect(Number(m.slice(1))).toBeLessThan(50);
    }
    // Scores belong to their members.
    const ws = bulks(h.text("ZRANDMEMBER k -20 WITHSCORES"));
    for (let i = 0; i < ws.length; i += 2) expect(ws[i]).toBe(`m${ws[i + 1]}`);
    // Over many draws every member shows up (probability of a miss is ~1e-20).
    const seen = new Set(bulks(h.text("ZRANDMEMBER k -3000")));
    expect(seen.size).toBe(50);
    expect(h.text("ZRANDMEMBER k 0")).toBe("*0\r\n");
    expect(h.text("ZRANDMEMBER nokey 3")).toBe("*0\r\n");
    expect(h.text("ZRANDMEMBER nokey")).toBe("$-1\r\n");
    expect(h.text("ZRANDMEMBER k")).toMatch(/^\$\d+\r\nm\d+\r\n$/);
  });

  test("ZRANDMEMBER's negative count is bounded", () => {
    const h = zsetInProc();
    fill(h, "k", 3);
    const old = zsetLimits.randMemberMax;
    zsetLimits.randMemberMax = 1000;
    try {
      expect(bulks(h.text("ZRANDMEMBER k -1000")).length).toBe(1000);
      expect(h.text("ZRANDMEMBER k -1001")).toStartWith("-ERR count is out of range");
      expect(bulks(h.text("ZRANDMEMBER k 1001")).length).toBe(3); // positive: at most the set
    } finally {
      zsetLimits.randMemberMax = old;
    }
  });

  test("ZSCAN of a large set returns every member present for the whole scan", () => {
    const h = zsetInProc();
    fill(h, "k", 1000);
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const r = h.text(`ZSCAN k ${cursor} COUNT 37`);
      const parts = r.split("\r\n");
      cursor = parts[2]!;
      const items = bulks(r.slice(r.indexOf("*", 3)));
      for (let i = 0; i < items.length; i += 2) {
        if (items[i]!.startsWith("m")) expect(items[i]).toBe(`m${items[i + 1]}`);
        seen.add(items[i]!);
      }
      // Churn during the scan: members m900.. come and go; m0..m899 stay.
      h.text(`ZREM k m${900 + (calls % 100)}`);
      h.text(`ZADD k 5 x${calls}`);
      calls++;
    } while (cursor !== "0" && calls < 10000);
    expect(cursor).toBe("0");
    for (let i = 0; i < 900; i++) expect(seen.has(`m${i}`)).toBe(true);
    // MATCH filters.
    const r = h.text("ZSCAN k 0 MATCH m99* COUNT 100000");
    const items = bulks(r.slice(r.indexOf("*", 3)));
    expect(items.filter((_, i) => i % 2 === 0).sort()).toEqual(
      [
        "m99",
        "m990",
        "m991",
        "m992",
        "m993",
        "m994",
        "m995",
        "m996",
        "m997",
        "m998",
        "m999",
      ].filter((m) => h.text(`ZSCORE k ${m}`) !== "$-1\r\n"),
    );
  });

  test("large sets: ranks, ranges and set algebra stay consistent", () => {
    const h = zsetInProc();
    fill(h, "a", 2000);
    const parts = ["ZADD", "b"];
    for (let i = 0; i < 2000; i += 2) parts.push(String(-i), `m${i}`);
    h.text(parts);
    expect(h.text("ZRANK a m1234")).toBe(":1234\r\n");
    expect(h.text("ZREVRANK a m1234")).toBe(":765\r\n");
    expect(bulks(h.text("ZRANGEBYSCORE a (1500 +inf LIMIT 10 3"))).toEqual([
      "m1511",
      "m1512",
      "m1513",
    ]);
    expect(h.text("ZCOUNT a (100 200")).toBe(":100\r\n");
    expect(h.text("ZINTERSTORE i 2 a b")).toBe(":1000\r\n");
    expect(h.text("ZSCORE i m10")).toBe("$1\r\n0\r\n"); // 10 + -10
    expect(h.text("ZUNIONSTORE u 2 a b WEIGHTS 1 2 AGGREGATE MAX")).toBe(":2000\r\n");
    expect(h.text("ZSCORE u m10")).toBe("$2\r\n10\r\n");
    expect(h.text("ZDIFFSTORE d 2 a b")).toBe(":1000\r\n");
    expect(h.text("ZINTERCARD 2 a b LIMIT 7")).toBe(":7\r\n");
    expect(h.text("ZREMRANGEBYRANK a 0 999")).toBe(":1000\r\n");
    expect(h.text("ZCARD a")).toBe(":1000\r\n");
    expect(h.text("ZRANK a m1000")).toBe(":0\r\n");
  });

  test("-0 survives in a set Redis would not hold as a listpack", () => {
    const h = zsetInProc();
    fill(h, "k", 200);
    h.text("ZADD k -0 z");
    expect(h.text("ZSCORE k z")).toBe("$2\r\n-0\r\n");
    h.text("ZADD s -0 z");
    expect(h.text("ZSCORE s z")).toBe("$1\r\n0\r\n");
  });

  test("a set's member bytes are bounded: ZADD past the bound is refused whole", () => {
    const h = zsetInProc();
    const old = ZSet.maxMemBytes;
    ZSet.maxMemBytes = 10;
    try {
      expect(h.text("ZADD k 1 aaaaa 2 bbbbb")).toBe(":2\r\n"); // exactly at the bound
      expect(h.text("ZADD k 3 c")).toBe("-ERR sorted set size limit exceeded\r\n");
      expect(h.text("ZADD k 3 aaaaa")).toBe(":0\r\n"); // updates still work
      expect(h.text("ZCARD k")).toBe(":2\r\n");
      expect(h.text("ZADD fresh 1 abcdefghijk")).toBe("-ERR sorted set size limit exceeded\r\n");
      expect(h.text("EXISTS fresh")).toBe(":0\r\n");
    } finally {
      ZSet.maxMemBytes = old;
    }
  });

  test("the original protocol gets statuses 0/1 with text payloads", () => {
    const h = zsetInProc();
    expect(h.text("zadd k 1 a", MODE_V1)).toBe("\0\0\0\x05\0\0\0\0" + "1");
    expect(h.text("zadd k 2 b", MODE_V1)).toBe("\0\0\0\x05\0\0\0\0" + "1");
    expect(h.text("zrank k b", MODE_V1)).toBe("\0\0\0\x05\0\0\0\0" + "1");
    expect(h.text("zrank k nope", MODE_V1)).toBe("\0\0\0\x04\0\0\0\x01");
    expect(h.text("zrange k 0 -1", MODE_V1)).toBe("\0\0\0\x07\0\0\0\0" + "a\nb");
    expect(h.text("zrem k a", MODE_V1)).toBe("\0\0\0\x05\0\0\0\0" + "1");
  });

  test("COPY makes an independent set; OBJECT ENCODING follows Redis's choice", () => {
    const h = zsetInProc();
    fill(h, "k", 10);
    expect(h.text("OBJECT ENCODING k")).toBe("$8\r\nlistpack\r\n");
    expect(h.text("COPY k k2")).toBe(":1\r\n");
    h.text("ZADD k2 100 new");
    h.text("ZREM k2 m0");
    expect(h.text("ZCARD k")).toBe(":10\r\n");
    expect(h.text("ZSCORE k m0")).toBe("$1\r\n0\r\n");
    expect(h.text("ZSCORE k new")).toBe("$-1\r\n");
    expect(h.text("ZRANK k2 new")).toBe(":9\r\n");
    fill(h, "big", 129);
    expect(h.text("OBJECT ENCODING big")).toBe("$8\r\nskiplist\r\n");
    // As redis-server 7.0.15: a new key's encoding follows its first member only.
    const dup = ["ZADD", "dup"];
    for (let i = 1; i <= 130; i++) dup.push(String(i), "same");
    h.text(dup);
    expect(h.text("OBJECT ENCODING dup")).toBe("$8\r\nlistpack\r\n");
    h.text(["ZADD", "long", "1", "x".repeat(65), "2", "a"]);
    h.text(["ZREM", "long", "x".repeat(65)]);
    expect(h.text("OBJECT ENCODING long")).toBe("$8\r\nskiplist\r\n");
  });

  test("set sizes are reported to the keyspace's memory accounting", () => {
    const h = zsetInProc();
    const ks = h.server.keyspace;
    const base = ks.objectBytes;
    fill(h, "k", 5000);
    const t = ks.db(0);
    const obj = () => t.getObj(t.find(new TextEncoder().encode("k"), 0, 1)) as ZSet;
    expect(ks.objectBytes - base).toBeGreaterThan(5000 * 20);
    expect(ks.objectBytes - base).toBe(obj().memoryBytes());
    h.text("ZREMRANGEBYRANK k 0 2499");
    expect(ks.objectBytes - base).toBe(obj().memoryBytes());
    h.text("ZUNIONSTORE u 1 k");
    h.text("ZUNIONSTORE u 1 k"); // replaces u: the old set's bytes go
    h.text("ZPOPMIN k 100000");
    h.text("ZPOPMIN u 100000");
    expect(ks.objectBytes).toBe(base);
  });

  test("scores print as %.17g, including formatDouble's integer fast path", () => {
    const r = new Prng(99);
    const cases = [
      1,
      -1,
      2 ** 53 - 1,
      -(2 ** 53 - 1),
      2 ** 53,
      2 ** 53 + 2,
      2 ** 60,
      1e16,
      1e17,
      123456789012345680,
      1e21,
    ];
    for (let i = 0; i < 2000; i++) {
      const big = r.u32() * 2 ** 21 + (r.u32() >>> 11);
      cases.push(r.u32() - 2 ** 31, big, -big, r.u32() / 7);
    }
    for (const d of cases) expect(formatDouble(d)).toBe(formatG(d, 17));
    expect(formatDouble(0)).toBe("0");
    expect(formatDouble(-0)).toBe("-0");
    expect(formatDouble(2 ** 60)).toBe("1.152921504606847e+18");
  });
});
