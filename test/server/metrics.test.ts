// /metrics on the real server (bun src/main.ts --metrics-port N): scraped with fetch, parsed as
// the Prometheus text format, values checked to move with commands.

import { afterAll, beforeAll, expect, test } from "bun:test";
import Redis from "ioredis";
import { freePort, type Running, startImds } from "../helpers/servers.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Scrape {
  types: Map<string, string>;
  samples: Sample[];
  get(name: string, labels?: Record<string, string>): number | undefined;
}

/** A small parser for the text exposition format 0.0.4 (what this page uses of it). */
function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (m === null) throw new Error(`bad comment line: ${line}`);
      if (m[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(m[3]!);
        expect(types.has(m[2]!)).toBe(false);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`bad sample line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3] !== undefined) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
      let at = 0;
      for (let l = re.exec(m[3]); l; l = re.exec(m[3])) {
        labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
        at = re.lastIndex;
      }
      if (at !== m[3].length) throw new Error(`bad labels: ${line}`);
    }
    const v = m[4] === "+Inf" ? Number.POSITIVE_INFINITY : Number(m[4]);
    if (Number.isNaN(v) && m[4] !== "NaN") throw new Error(`bad value: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(m[1]!) && !types.has(family)) throw new Error(`sample without TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value: v });
  }
  return {
    types,
    samples,
    get(name, want = {}) {
      return samples.find(
        (s) =>
          s.name === name &&
          Object.entries(want).every(([k, v]) => s.labels[k] === v) &&
          Object.keys(s.labels).length === Object.keys(want).length,
      )?.value;
    },
  };
}

let srv: Running;
let url: string;
let r: Redis;
beforeAll(async () => {
  const mport = freePort();
  srv = await startImds(["--metrics-port", String(mport)]);
  url = `http://127.0.0.1:${mport}/metrics`;
  for (let i = 0; i < 100 && !srv.output().includes("imds metrics on"); i++) await Bun.sleep(20);
  expect(srv.output()).toContain(`imds metrics on ${url}`);
  r = new Redis({ host: "127.0.0.1", port: srv.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
});
afterAll(async () => {
  r?.disconnect();
  await srv?.stop();
});

async function scrape(): Promise<Scrape> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  return parseExposition(await res.text());
}

test("the page parses; values move after commands", async () => {
  const a = await scrape();
  for (const name of [
    "redis_up",
    "redis_uptime_in_seconds",
    "redis_connected_clients",
    "redis_keyspace_hits_total",
    "redis_keyspace_misses_total",
    "redis_memory_used_bytes",
    "redis_evicted_keys_total",
    "redis_expired_keys_total",
    "redis_rdb_changes_since_last_save",
    "redis_commands_total",
    "redis_commands_duration_seconds_total",
    "redis_db_keys",
    "redis_db_keys_expiring",
    "imds_event_loop_lag_seconds",
  ]) {
    expect([name, a.types.has(name)]).toEqual([name, true]);
  }
  expect(a.types.get("redis_commands_total")).toBe("counter");
  expect(a.types.get("imds_event_loop_lag_seconds")).toBe("histogram");
  expect(a.get("redis_connected_clients")).toBe(1);
  expect(a.get("redis_db_keys", { db: "db0" })).toBe(0);
  expect(a.get("redis_db_keys", { db: "db15" })).toBe(0);
  const mem0 = a.get("redis_memory_used_bytes")!;

  await r.set("k1", "v".repeat(1000));
  await r.set("k2", "v", "EX", 100);
  await r.get("k1");
  await r.get("k1");
  await r.get("missing");
  await r.select(3);
  await r.set("other", "x");
  await r.select(0);
  await r.set("gone", "x", "PX", 1);
  await Bun.sleep(20);
  await r.get("gone"); // expired on access: a miss and an expired key

  const b = await scrape();
  const d = (name: string, labels?: Record<string, string>) =>
    (b.get(name, labels) ?? 0) - (a.get(name, labels) ?? 0);
  expect(d("redis_commands_total", { cmd: "get" })).toBe(4);
  expect(d("redis_commands_total", { cmd: "set" })).toBe(4);
  expect(d("redis_keyspace_hits_total")).toBe(2);
  expect(d("redis_keyspace_misses_total")).toBe(2);
  expect(d("redis_expired_keys_total")).toBe(1);
  expect(b.get("redis_commands_duration_seconds_total", { cmd: "get" })!).toBeGreaterThan(0);
  expect(b.get("redis_db_keys", { db: "db0" })).toBe(2);
  expect(b.get("redis_db_keys_expiring", { db: "db0" })).toBe(1);
  expect(b.get("redis_db_keys", { db: "db3" })).toBe(1);
  expect(b.get("redis_memory_used_bytes")!).toBeGreaterThan(mem0);
  // The writes above are changes since the last save (none happened), as INFO persistence says.
  expect(d("redis_rdb_changes_since_last_save")).toBeGreaterThanOrEqual(5);
  expect(b.get("redis_aof_enabled")).toBe(0);
  expect(b.get("redis_aof_last_write_status")).toBe(1);
});

test("event-loop lag histogram: cumulative buckets, +Inf = count, count grows", async () => {
  const a = await scrape();
  await Bun.sleep(350);
  const b = await scrape();
  const buckets = b.samples.filter((s) => s.name === "imds_event_loop_lag_seconds_bucket");
  expect(buckets.length).toBeGreaterThan(5);
  const le = (s: Sample) =>
    s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
  for (let i = 1; i < buckets.length; i++) {
    expect(le(buckets[i]!)).toBeGreaterThan(le(buckets[i - 1]!));
    expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
  }
  expect(buckets.at(-1)!.labels.le).toBe("+Inf");
  expect(buckets.at(-1)!.value).toBe(b.get("imds_event_loop_lag_seconds_count")!);
  expect(b.get("imds_event_loop_lag_seconds_count")!).toBeGreaterThan(
    a.get("imds_event_loop_lag_seconds_count")!,
  );
  expect(b.get("imds_event_loop_lag_seconds_sum")!).toBeGreaterThanOrEqual(0);
});

test("other paths answer 404; a metrics port in use stops the start", async () => {
  const res = await fetch(url.replace("/metrics", "/"));
  expect(res.status).toBe(404);
  const busy = Number(new URL(url).port);
  const p = Bun.spawn(["bun", "src/main.ts", "--port", "0", "--metrics-port", String(busy)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await p.exited).toBe(1);
  expect(await new Response(p.stderr).text()).toContain("Could not create metrics HTTP listener");
});
