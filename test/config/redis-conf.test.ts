// redis.conf compatibility: Debian's redis.conf and a file with every Redis 7.0 option at its
// default load; old names, quoting, units, include, Redis's fatal error block; CONFIG GET with
// globs, atomic CONFIG SET, CONFIG REWRITE (compared with a real redis-server's rewrite).

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  Config,
  ConfigError,
  configFromObject,
  findOption,
  inertWarning,
  keyspaceEventsCanonical,
  loadConfig,
  OPTIONS,
  parseMemory,
  rewriteConfigText,
  splitArgs,
} from "../../src/config.ts";
import { redisMissing } from "../helpers/servers.ts";

const FIX = resolve(import.meta.dir, "fixtures");
const DEBIAN = join(FIX, "debian-redis-7.0.conf");
const DEFAULTS = join(FIX, "redis-7.0-defaults.conf");
const read = (p: string) => readFileSync(p, "utf8");
const tmp = mkdtempSync(join(tmpdir(), "imds-conf-"));

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

test("Debian's redis.conf loads; options that do not apply are kept and listed once", () => {
  const c = loadConfig([DEBIAN], read);
  expect(c.int("port")).toBe(6379);
  expect(c.get("bind")).toBe("127.0.0.1 -::1");
  expect(c.get("dir")).toBe("/var/lib/redis");
  expect(c.get("daemonize")).toBe("yes");
  expect(c.get("pidfile")).toBe("/run/redis/redis-server.pid");
  expect(c.get("proc-title-template")).toBe("{title} {listen-addr} {server-mode}");
  expect(c.get("client-output-buffer-limit")).toBe(
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  );
  expect(c.int("auto-aof-rewrite-min-size")).toBe(64 * 1024 * 1024);
  expect(c.get("oom-score-adj-values")).toBe("0 200 800");
  expect(c.inert).toContain("daemonize");
  expect(c.inert).toContain("replica-serve-stale-data");
  expect(c.inert).not.toContain("port");
  expect(c.inert).not.toContain("maxmemory-policy");
  const w = inertWarning(c)!;
  expect(w.split("\n").length).toBe(1);
  expect(w).toContain("daemonize, pidfile");
});

test("every Redis 7.0 option at its default loads, old names included, CONFIG GET shows each", () => {
  const c = loadConfig([DEFAULTS], read);
  const lines = read(DEFAULTS)
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"));
  expect(lines.length).toBeGreaterThan(190);
  const names = new Set<string>();
  for (const line of lines) {
    const [name, ...rest] = splitArgs(line)!;
    names.add(name!);
    const o = findOption(name!)!;
    expect(o).toBeDefined();
    const [[gotName, got]] = c.getMatching([name!]) as [[string, string]];
    expect(gotName).toBe(name!);
    if (name === "client-output-buffer-limit") continue; // one line per class
    if (o.kind === "memory") expect(Number(got)).toBe(parseMemory(rest[0]!));
    else if (name === "dir" || o.name === "port" || o.name === "hz") continue;
    else expect(got).toBe(rest.join(" "));
  }
  // CONFIG GET * lists every Redis name (and imds's own options).
  const all = new Set(c.getMatching(["*"]).map(([n]) => n));
  for (const n of names) expect(all.has(n)).toBe(true);
  expect(all.has("v1-max-args")).toBe(true);
  expect(all.has("host")).toBe(false); // an imds start-line alias, not a Redis name
});

test("Redis 7.0's old names resolve in files, flags, CONFIG GET and CONFIG SET", () => {
  const c = loadConfig(["/f.conf", "--slave-priority", "7"], () =>
    [
      "hash-max-ziplist-entries 100",
      "zset-max-ziplist-value 32",
      "lua-time-limit 100",
      "slaveof 10.0.0.1 6379",
      "list-max-ziplist-size -1",
    ].join("\n"),
  );
  expect(c.int("hash-max-listpack-entries")).toBe(100);
  expect(c.int("zset-max-listpack-value")).toBe(32);
  expect(c.int("busy-reply-threshold")).toBe(100);
  expect(c.get("replicaof")).toBe("10.0.0.1 6379");
  expect(c.int("list-max-listpack-size")).toBe(-1);
  expect(c.int("replica-priority")).toBe(7);
  // CONFIG GET answers under the name asked for, as 7.0 does; a glob lists both names.
  expect(c.getMatching(["hash-max-ziplist-entries"])).toEqual([
    ["hash-max-ziplist-entries", "100"],
  ]);
  expect(c.getMatching(["hash-max-*-entries"])).toEqual([
    ["hash-max-listpack-entries", "100"],
    ["hash-max-ziplist-entries", "100"],
  ]);
  expect(c.setMany([["slave-read-only", "no"]])).toBeNull();
  expect(c.get("replica-read-only")).toBe("no");
  expect(
    c.setMany([
      ["slave-read-only", "yes"],
      ["replica-read-only", "no"],
    ]),
  ).toBe(
    "ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - duplicate parameter",
  );
});

test("the options the coming families read have Redis's defaults", () => {
  const c = new Config();
  const want: Record<string, string> = {
    "hash-max-listpack-entries": "512", // Redis 7.0's default (config.c), as CONFIG GET shows
    "hash-max-listpack-value": "64",
    "set-max-intset-entries": "512",
    "list-max-listpack-size": "-2",
    "list-compress-depth": "0",
    "zset-max-listpack-entries": "128",
    "stream-node-max-bytes": "4096",
    "stream-node-max-entries": "100",
    "notify-keyspace-events": "",
    "busy-reply-threshold": "5000",
    "slowlog-log-slower-than": "10000",
    "slowlog-max-len": "128",
    "latency-monitor-threshold": "0",
    "latency-tracking": "yes",
    "latency-tracking-info-percentiles": "50 99 99.9",
    appendfsync: "everysec",
    appenddirname: "appendonlydir",
    appendfilename: "appendonly.aof",
    dbfilename: "dump.rdb",
    rdbcompression: "yes",
    rdbchecksum: "yes",
    "auto-aof-rewrite-percentage": "100",
    "auto-aof-rewrite-min-size": "67108864",
    "aof-use-rdb-preamble": "yes",
    "aof-load-truncated": "yes",
    "stop-writes-on-bgsave-error": "yes",
    "metrics-port": "0",
    "metrics-bind": "127.0.0.1",
  };
  for (const [k, v] of Object.entries(want)) expect([k, c.get(k)]).toEqual([k, v]);
  // The AOF is accepted; save points are validated as Redis does.
  c.set("appendonly", "yes");
  expect(() => c.set("save", "900")).toThrow("Invalid save parameters");
});

test("int() and bool() read values parsed at set time", () => {
  const c = new Config();
  c.set("maxmemory", "2GB");
  expect(c.int("maxmemory")).toBe(2 * 1024 ** 3);
  expect(c.int("MAXMEMORY")).toBe(2 * 1024 ** 3);
  c.set("maxmemory", "1Mb");
  expect(c.int("maxmemory")).toBe(1024 * 1024);
  expect(c.int("proto-max-bulk-len")).toBe(512 * 1024 * 1024);
  expect(c.bool("latency-tracking")).toBe(true);
  c.set("latency-tracking", "NO");
  expect(c.bool("latency-tracking")).toBe(false);
  // A million reads stay well under a second (no parsing, no allocation on this path).
  const t0 = performance.now();
  let s = 0;
  for (let i = 0; i < 1_000_000; i++) s += c.int("hz");
  expect(s).toBe(10_000_000);
  expect(performance.now() - t0).toBeLessThan(1000);
});

test("sdssplitargs quoting", () => {
  expect(splitArgs(`a "b c" 'd e'`)).toEqual(["a", "b c", "d e"]);
  expect(splitArgs(`x "\\x41\\n\\t\\"q\\\\"`)).toEqual(["x", 'A\n\t"q\\']);
  expect(splitArgs(`x 'it\\'s' ""`)).toEqual(["x", "it's", ""]);
  expect(splitArgs(`x "\\xZZ"`)).toEqual(["x", "xZZ"]);
  expect(splitArgs(`x "abc`)).toBeNull();
  expect(splitArgs(`x "abc"d`)).toBeNull();
  expect(splitArgs(`x 'abc`)).toBeNull();
  expect(splitArgs("   ")).toEqual([]);
});

test("units are case-insensitive, k = 1000, kb = 1024", () => {
  for (const [t, n] of [
    ["1K", 1000],
    ["1kB", 1024],
    ["3M", 3e6],
    ["3MB", 3 * 1024 ** 2],
    ["1g", 1e9],
    ["1Gb", 1024 ** 3],
  ] as const) {
    expect(parseMemory(t)).toBe(n);
  }
});

test("errors: Redis's fatal block with file name and line; include; flags numbered after the file", () => {
  const files: Record<string, string> = {
    "/a.conf": "# comment\nport 7000\n\nbad-directive foo\n",
    "/b.conf": "port 7000\ninclude /c.conf\n",
    "/c.conf": "hz 10\nmaxmemory-policy sometimes\n",
    "/q.conf": 'requirepass "abc\n',
    "/n.conf": "port 1 2\n",
    "/ok.conf": "port 7000\n",
  };
  const rd = (p: string) => {
    const t = files[p];
    if (t === undefined) throw new Error("ENOENT");
    return t;
  };
  expect(errorOf(() => loadConfig(["/a.conf"], rd))).toBe(
    "\n*** FATAL CONFIG FILE ERROR (imds 0.1.0, Redis 7.0 format) ***\n" +
      "Reading the configuration file /a.conf, at line 4\n" +
      ">>> 'bad-directive foo'\nBad directive or wrong number of arguments",
  );
  const inc = errorOf(() => loadConfig(["/b.conf"], rd));
  expect(inc).toContain("Reading the configuration file /c.conf, at line 2\n");
  expect(inc).toContain(
    "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
  );
  expect(errorOf(() => loadConfig(["/q.conf"], rd))).toContain(
    "Unbalanced quotes in configuration line",
  );
  expect(errorOf(() => loadConfig(["/n.conf"], rd))).toContain(
    ">>> 'port 1 2'\nwrong number of arguments",
  );
  // "port 7000\n" is 2 lines: the first flag is line 3, as redis-server counts.
  expect(errorOf(() => loadConfig(["/ok.conf", "--hz", "x"], rd))).toContain(
    "at line 3\n>>> 'hz \"x\"'\nargument couldn't be parsed into an integer",
  );
  expect(errorOf(() => loadConfig(["/missing.conf"], rd))).toBe(
    "Fatal error, can't open config file '/missing.conf'",
  );
  // include is applied in place: later lines override it.
  const c = loadConfig(["/x.conf"], (p) =>
    p === "/x.conf" ? "hz 20\ninclude /y.conf\nmaxclients 7\n" : "hz 30\nmaxclients 8\n",
  );
  expect([c.int("hz"), c.int("maxclients")]).toEqual([30, 7]);
});

test("include with a glob reads the matching files in name order", () => {
  const dir = join(tmp, "inc");
  Bun.spawnSync(["mkdir", "-p", dir]);
  writeFileSync(join(dir, "10-a.conf"), "hz 11\n");
  writeFileSync(join(dir, "20-b.conf"), "hz 12\nmaxclients 9\n");
  const main = join(tmp, "main.conf");
  writeFileSync(main, `maxclients 5\ninclude ${dir}/*.conf\n`);
  const c = loadConfig([main], read);
  expect([c.int("hz"), c.int("maxclients")]).toEqual([12, 9]);
});

test("rename-command lines are kept in order for the command table; user/loadmodule are inert", () => {
  const c = loadConfig(
    ["/r.conf"],
    () =>
      'rename-command FLUSHALL ""\nrename-command CONFIG cfg\nuser default on nopass ~* +@all\n',
  );
  expect(c.renames).toEqual([
    ["FLUSHALL", ""],
    ["CONFIG", "cfg"],
  ]);
  expect(c.renameSources.map((r) => r.line)).toEqual([1, 2]);
  expect(inertWarning(c)).not.toContain("rename-command");
  expect(inertWarning(c)).toContain("user");
});

test("notify-keyspace-events is kept in Redis 7.0's canonical form", () => {
  expect(keyspaceEventsCanonical("KEA")).toBe("AKE");
  expect(keyspaceEventsCanonical("Exg$lshzxetdm")).toBe("AEm");
  // n after the classes, before K E m, as Redis 7.0 prints it (redis-server 7.0.15: KEng$ ->
  // g$nKE, Kmn -> nKm, nd -> dn); with every class imds spells them out to keep n (see config.ts)
  expect(keyspaceEventsCanonical("KEng$")).toBe("g$nKE");
  expect(keyspaceEventsCanonical("Kmn")).toBe("nKm");
  expect(keyspaceEventsCanonical("nd")).toBe("dn");
  expect(keyspaceEventsCanonical("Exg$lshzxetdmn")).toBe("g$lshzxetdnEm");
  expect(keyspaceEventsCanonical("xE")).toBe("xE");
  expect(keyspaceEventsCanonical("")).toBe("");
  const c = new Config();
  expect(c.setMany([["notify-keyspace-events", "q"]])).toBe(
    "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
  );
});

test("client-output-buffer-limit: classes normal/replica/pubsub, units, merged", () => {
  const c = loadConfig(
    ["/o.conf"],
    () =>
      "client-output-buffer-limit replica 512mb 128mb 30\nclient-output-buffer-limit pubsub 1gb 0 0\n",
  );
  expect(c.get("client-output-buffer-limit")).toBe(
    "normal 0 0 0 slave 536870912 134217728 30 pubsub 1073741824 0 0",
  );
  expect(c.setMany([["client-output-buffer-limit", "other 1 1 1"]])).toContain(
    "Invalid client class specified in buffer limit configuration.",
  );
});

test("CONFIG GET with several patterns: each option once", () => {
  const c = new Config();
  const r = c.getMatching(["maxmemory", "maxmemory-p*", "MAXMEMORY", "nosuch", "[h]z"]);
  expect(r).toEqual([
    ["maxmemory", "0"],
    ["maxmemory-policy", "noeviction"],
    ["hz", "10"],
  ]);
});

test("CONFIG SET of several options is all or nothing", () => {
  const c = new Config();
  let applied = 0;
  c.onChange = () => applied++;
  expect(
    c.setMany([
      ["maxmemory", "10mb"],
      ["hz", "0"],
    ]),
  ).toBe(
    "ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 1 and 500 inclusive",
  );
  expect(c.get("maxmemory")).toBe("0");
  expect(applied).toBe(0);
  expect(
    c.setMany([
      ["maxmemory", "10mb"],
      ["nosuch", "1"],
    ]),
  ).toBe("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  expect(c.setMany([["port", "1"]])).toContain("can't set immutable config");
  expect(c.setMany([["dir", "/tmp"]])).toBe(
    "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config",
  );
  expect(c.setMany([["dir", "/tmp"]], true)).toBeNull();
  expect(
    c.setMany([
      ["maxmemory", "10mb"],
      ["maxmemory-policy", "allkeys-lru"],
    ]),
  ).toBeNull();
  expect([c.int("maxmemory"), c.get("maxmemory-policy"), applied]).toEqual([
    10 * 1024 * 1024,
    "allkeys-lru",
    3,
  ]);
  // A failure while applying puts every value back.
  c.onChange = (name, v) => {
    if (name === "timeout" && v === "5") throw new Error("cannot apply");
  };
  expect(
    c.setMany([
      ["hz", "20"],
      ["timeout", "5"],
    ]),
  ).toContain("cannot apply");
  expect([c.int("hz"), c.int("timeout")]).toEqual([10, 0]);
});

test("embedded options object: numbers, booleans, arrays; Redis errors", () => {
  const c = configFromObject({
    port: 0,
    maxmemory: "1mb",
    "latency-tracking": false,
    bind: ["127.0.0.1", "::1"],
  });
  expect([c.int("port"), c.int("maxmemory"), c.get("latency-tracking"), c.get("bind")]).toEqual([
    0,
    1048576,
    "no",
    "127.0.0.1 ::1",
  ]);
  expect(errorOf(() => configFromObject({ hz: "fast" }))).toContain(">>> 'hz \"fast\"'");
});

test("every option has a valid default", () => {
  const c = new Config();
  for (const o of OPTIONS) expect(typeof c.get(o.name)).toBe("string");
});

// ---- CONFIG REWRITE, against redis-server's own --------------------------------------------

const REWRITE_BASE = [
  "# top comment",
  "port PORT",
  "bind 127.0.0.1",
  'save ""',
  "appendonly no",
  "# mid",
  "slave-read-only yes",
  "hash-max-ziplist-entries 100",
  "maxmemory 1000",
  "maxmemory 2000",
  'rename-command FLUSHALL ""',
  "",
  "# Generated by CONFIG REWRITE",
  "hz 11",
  "",
].join("\n");
const REWRITE_SET: [string, string][] = [
  ["maxmemory", "100mb"],
  ["hash-max-ziplist-entries", "512"],
  ["client-output-buffer-limit", "pubsub 1mb 2mb 3"],
  ["notify-keyspace-events", "KEA"],
  ["requirepass", 'a "b'],
  ["loglevel", "warning"],
  ["slave-priority", "7"],
  ["hz", "10"],
  ["hash-max-listpack-value", "1025"],
  ["proto-max-bulk-len", "1gb"],
  ["timeout", "12"],
];

test("CONFIG REWRITE keeps comments and order, replaces in place, appends after the signature", () => {
  const c = loadConfig(["/r.conf"], () => REWRITE_BASE.replace("PORT", "7000"));
  expect(c.setMany(REWRITE_SET)).toBeNull();
  expect(rewriteConfigText(c, REWRITE_BASE.replace("PORT", "7000"))).toBe(
    [
      "# top comment",
      "port 7000",
      "bind 127.0.0.1",
      'save ""',
      "appendonly no",
      "# mid",
      "replica-read-only yes",
      "hash-max-listpack-entries 512",
      "maxmemory 100mb",
      "",
      'rename-command FLUSHALL ""',
      "",
      "# Generated by CONFIG REWRITE",
      "hz 10",
      "timeout 12",
      "proto-max-bulk-len 1gb",
      "client-output-buffer-limit pubsub 1mb 2mb 3",
      'requirepass "a \\"b"',
      "loglevel warning",
      'notify-keyspace-events "AKE"',
      "hash-max-listpack-value 1025",
      "replica-priority 7",
      "",
    ].join("\n"),
  );
  // No signature yet: it is added once; options at their default not in the file are not written.
  const fresh = new Config();
  fresh.set("timeout", "3");
  expect(rewriteConfigText(fresh, "# mine\nport 7000\n")).toBe(
    "# mine\nport 6677\n# Generated by CONFIG REWRITE\ntimeout 3\n",
  );
});

test("CONFIG REWRITE writes what redis-server 7.0 writes (same lines, any order for new ones)", async () => {
  if (redisMissing("CONFIG REWRITE comparison")) return;
  const dir = mkdtempSync(join(tmp, "rw-"));
  const path = join(dir, "redis.conf");
  const port = 20000 + Math.floor(Math.random() * 30000);
  const text = REWRITE_BASE.replace("PORT", String(port));
  writeFileSync(path, text);
  const proc = Bun.spawn(["redis-server", path, "--dir", dir], {
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await Bun.sleep(300);
    const args = ["-p", String(port)];
    const set = Bun.spawnSync(["redis-cli", ...args, "config", "set", ...REWRITE_SET.flat()]);
    expect(set.stdout.toString().trim()).toBe("OK");
    const rw = Bun.spawnSync([
      "redis-cli",
      ...args,
      "--no-auth-warning",
      "-a",
      'a "b',
      "config",
      "rewrite",
    ]);
    expect(rw.stdout.toString().trim()).toBe("OK");
    // Redis 7.0 also always writes dir, latency-tracking-info-percentiles (a 7.0 quirk) and the
    // ACL user line; imds writes dir only when changed and has no ACL.
    const theirs = read(path)
      .split("\n")
      .filter((l) => !/^(dir |latency-tracking-info-percentiles |user )/.test(l));
    const c = loadConfig([path + ".none"], () => text);
    expect(c.setMany(REWRITE_SET)).toBeNull();
    const ours = rewriteConfigText(c, text).split("\n");
    const tail = (ls: string[]) => ls.slice(ls.indexOf("# Generated by CONFIG REWRITE") + 2);
    const head = (ls: string[]) => ls.slice(0, ls.indexOf("# Generated by CONFIG REWRITE") + 2);
    expect(head(ours)).toEqual(head(theirs));
    expect(tail(ours).filter(Boolean).sort()).toEqual(tail(theirs).filter(Boolean).sort());
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
});

afterAll(() => {
  Bun.spawnSync(["rm", "-rf", tmp]);
});

test("the shipped imds.conf loads, shows every default, and names every option imds acts on", () => {
  const path = resolve(import.meta.dir, "../../imds.conf");
  const c = loadConfig([path], read);
  expect(c.inert).toEqual([]);
  const fresh = new Config();
  for (const o of OPTIONS) expect([o.name, c.get(o.name)]).toEqual([o.name, fresh.get(o.name)]);
  const text = read(path);
  for (const o of OPTIONS.filter((x) => x.applies)) {
    expect([o.name, new RegExp(`^#? ?${o.name} `, "m").test(text)]).toEqual([o.name, true]);
  }
});
