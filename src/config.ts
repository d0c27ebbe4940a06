// One table of options, read by the start line (`imds-server [imds.conf] [--name value ...]`,
// like redis-server), by config files, and by CONFIG GET/SET/REWRITE. Names, meanings, units and
// error texts are Redis 7.0's.
//
// The table is every Redis 7.0 option (src/config-redis.ts, generated from a real redis-server),
// with imds's own specs (IMDS_OPTIONS below) replacing the rows of the options imds acts on.
// Every other option is accepted and keeps its value so CONFIG GET shows it, but does nothing:
// `applies` is false and the start line warns about each one given (one line listing them).
// Redis 7.0's old names (slaveof, hash-max-ziplist-entries, ...) resolve to the new ones.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { REDIS_OPTIONS } from "./config-redis.ts";
import { globMatchText } from "./store/glob.ts";

export type OptionKind = "string" | "int" | "memory" | "bool" | "enum" | "special";

/** One row of the generated Redis table. */
export interface RedisOptionRow {
  name: string;
  kind: OptionKind;
  default: string;
  mutable: boolean;
  /** Redis 7.0 refuses CONFIG SET of these unless enable-protected-configs is yes/local. */
  protectedConfig?: boolean;
  min?: number;
  max?: number;
  values?: readonly string[];
}

export interface OptionSpec extends RedisOptionRow {
  /** Allowed words for enums. */
  values?: readonly string[];
  /** Inclusive bounds for int/memory options. */
  min?: number;
  max?: number;
  /** False for options that can only be given at start (CONFIG SET refuses them). */
  mutable: boolean;
  /** Extra names accepted everywhere but not listed by CONFIG GET * (e.g. --host for bind). */
  aliases?: readonly string[];
  /** Redis 7.0's old names: accepted everywhere and listed by CONFIG GET (as 7.0 does). */
  oldNames?: readonly string[];
  /** Accepts several words on a config line / start line (save, bind, client-output-buffer-limit). */
  multi?: boolean;
  /** False: accepted and kept, but imds does not act on it (warned at start). */
  applies: boolean;
}

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const IMDS_VERSION = "0.1.0";

type ImdsSpec = Omit<OptionSpec, "applies"> & { applies?: boolean };

// Options imds acts on (or that carry imds-specific defaults/bounds). `applies: false` marks the
// ones a coming family will read (kept here for their Redis defaults and docs in imds.conf).
const IMDS_OPTIONS: readonly ImdsSpec[] = [
  {
    name: "bind",
    kind: "string",
    default: "127.0.0.1",
    mutable: false,
    aliases: ["host"],
    multi: true,
  },
  { name: "port", kind: "int", default: "6677", min: 0, max: 65535, mutable: false },
  { name: "dir", kind: "string", default: "", mutable: true, protectedConfig: true },
  { name: "databases", kind: "int", default: "16", min: 1, max: 1024, mutable: false },
  { name: "maxclients", kind: "int", default: "10000", min: 1, max: 1_000_000, mutable: true },
  { name: "timeout", kind: "int", default: "0", min: 0, max: 2_147_483_647, mutable: true },
  { name: "hz", kind: "int", default: "10", min: 1, max: 500, mutable: true },
  {
    name: "proto-max-bulk-len",
    kind: "memory",
    default: "512mb",
    min: 1024 * 1024,
    max: 2 * GB - 1,
    mutable: true,
  },
  {
    name: "client-query-buffer-limit",
    kind: "memory",
    default: "1gb",
    min: 1024 * 1024,
    max: 2 * GB - 1,
    mutable: true,
  },
  // imds: most strings in one v1 request (the original's MAX_ARGS). RESP has Redis's own limit.
  { name: "v1-max-args", kind: "int", default: "1024", min: 1, max: 1024 * 1024, mutable: true },
  // A script running longer than this (ms) lets other clients in, to be answered -BUSY (only
  // SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE run). Old name lua-time-limit.
  {
    name: "busy-reply-threshold",
    kind: "int",
    default: "5000",
    min: 0,
    max: 9007199254740991,
    mutable: true,
  },
  // imds: pause reading from a client whose unsent replies exceed this; resume when drained.
  {
    name: "client-output-pause-bytes",
    kind: "memory",
    default: "1mb",
    min: 1024,
    max: 2 * GB - 1,
    mutable: true,
  },
  {
    name: "client-output-buffer-limit",
    kind: "special",
    default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    mutable: true,
    multi: true,
  },
  {
    name: "maxmemory",
    kind: "memory",
    default: "0",
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    mutable: true,
  },
  {
    name: "maxmemory-policy",
    kind: "enum",
    default: "noeviction",
    // Redis 7.0's maxmemory_policy_enum order: CONFIG SET's error lists the words in it.
    values: [
      "volatile-lru",
      "volatile-lfu",
      "volatile-random",
      "volatile-ttl",
      "allkeys-lru",
      "allkeys-lfu",
      "allkeys-random",
      "noeviction",
    ],
    mutable: true,
  },
  { name: "maxmemory-samples", kind: "int", default: "5", min: 1, max: 64, mutable: true },
  { name: "lfu-log-factor", kind: "int", default: "10", min: 0, max: 2_147_483_647, mutable: true },
  { name: "lfu-decay-time", kind: "int", default: "1", min: 0, max: 2_147_483_647, mutable: true },
  // aof: the append-only file (src/persistence/aof.ts, docs/PERSISTENCE.md).
  { name: "appendonly", kind: "bool", default: "no", mutable: true },
  { name: "aof-load-truncated", kind: "bool", default: "yes", mutable: true },
  // BGREWRITEAOF's base: RDB (`.base.rdb`, written in the background) or AOF commands.
  { name: "aof-use-rdb-preamble", kind: "bool", default: "yes", mutable: true },
  // Automatic rewrite from the AOF cron: size > min-size and growth over the base >= percentage.
  {
    name: "auto-aof-rewrite-percentage",
    kind: "int",
    default: "100",
    mutable: true,
    min: 0,
    max: 2147483647,
  },
  {
    name: "auto-aof-rewrite-min-size",
    kind: "memory",
    default: "67108864",
    mutable: true,
    min: 0,
    max: 9007199254740991,
  },
  // RDB snapshots (src/persistence/snapshots.ts). imds's default is no save points (Redis 7.0
  // without a config file uses "3600 1 300 100 60 10000"): see docs/PERSISTENCE.md.
  { name: "save", kind: "special", default: "", mutable: true, multi: true },
  { name: "rdbcompression", kind: "bool", default: "yes", mutable: true },
  { name: "rdbchecksum", kind: "bool", default: "yes", mutable: false },
  { name: "stop-writes-on-bgsave-error", kind: "bool", default: "yes", mutable: true },
  { name: "requirepass", kind: "string", default: "", mutable: true },
  {
    name: "loglevel",
    kind: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"], // 7.0 (7.2 added "nothing")
    mutable: true,
  },
  { name: "logfile", kind: "string", default: "", mutable: false },
  { name: "protected-mode", kind: "bool", default: "yes", mutable: true, applies: false },
  // Lists (src/store/list.ts): node fill as quicklist reads it; new lists take the current value.
  {
    name: "list-max-listpack-size",
    kind: "int",
    default: "-2",
    mutable: true,
    min: -2147483648,
    max: 2147483647,
  },
  {
    name: "tcp-backlog",
    kind: "int",
    default: "511",
    min: 0,
    max: 65535,
    mutable: false,
    applies: false,
  },
  { name: "tcp-keepalive", kind: "int", default: "300", min: 0, max: 2_147_483_647, mutable: true },
  // imds: Prometheus metrics (src/server/metrics.ts); 0 = off.
  { name: "metrics-port", kind: "int", default: "0", min: 0, max: 65535, mutable: false },
  { name: "metrics-bind", kind: "string", default: "127.0.0.1", mutable: false },
  // ops2: SLOWLOG, LATENCY, INFO latencystats (src/server/observe.ts, docs/COMMANDS.md).
  {
    name: "slowlog-log-slower-than",
    kind: "int",
    default: "10000",
    mutable: true,
    min: -1,
    max: 9007199254740991,
  },
  {
    name: "slowlog-max-len",
    kind: "int",
    default: "128",
    mutable: true,
    min: 0,
    max: 9007199254740991,
  },
  {
    name: "latency-monitor-threshold",
    kind: "int",
    default: "0",
    mutable: true,
    min: 0,
    max: 9007199254740991,
  },
  { name: "latency-tracking", kind: "bool", default: "yes", mutable: true },
  {
    name: "latency-tracking-info-percentiles",
    kind: "special",
    default: "50 99 99.9",
    mutable: true,
    multi: true,
  },

  // ---- read by coming families and persistence: Redis's defaults, no effect yet ----
  {
    name: "appendfsync",
    kind: "enum",
    default: "everysec",
    values: ["everysec", "always", "no"], // Redis 7.0's order
    mutable: true,
  },
  { name: "appendfilename", kind: "string", default: "appendonly.aof", mutable: false },
  { name: "appenddirname", kind: "string", default: "appendonlydir", mutable: false },
  {
    name: "dbfilename",
    kind: "string",
    default: "dump.rdb",
    mutable: true,
    protectedConfig: true,
  },
  {
    name: "notify-keyspace-events",
    kind: "special",
    default: "",
    mutable: true,
  },
];

/** Redis 7.0's old option names (config.c's alias column) -> the current name. */
export const OLD_NAMES: Readonly<Record<string, string>> = {
  "hash-max-ziplist-entries": "hash-max-listpack-entries",
  "hash-max-ziplist-value": "hash-max-listpack-value",
  "zset-max-ziplist-entries": "zset-max-listpack-entries",
  "zset-max-ziplist-value": "zset-max-listpack-value",
  "list-max-ziplist-size": "list-max-listpack-size",
  "lua-time-limit": "busy-reply-threshold",
  slaveof: "replicaof",
  "slave-announce-ip": "replica-announce-ip",
  "slave-announce-port": "replica-announce-port",
  "slave-ignore-maxmemory": "replica-ignore-maxmemory",
  "slave-lazy-flush": "replica-lazy-flush",
  "slave-priority": "replica-priority",
  "slave-read-only": "replica-read-only",
  "slave-serve-stale-data": "replica-serve-stale-data",
  "min-slaves-max-lag": "min-replicas-max-lag",
  "min-slaves-to-write": "min-replicas-to-write",
  "repl-ping-slave-period": "repl-ping-replica-period",
  "cluster-slave-no-failover": "cluster-replica-no-failover",
  "cluster-slave-validity-factor": "cluster-replica-validity-factor",
};

// Redis options that take several words on one line (besides imds's multi options).
const MULTI_WORD = new Set(["oom-score-adj-values", "replicaof"]);

/** Redis options (taken as Redis describes them) that imds honours: the command layer reads them. */
const HONOURED_REDIS_OPTIONS = new Set([
  "hash-max-listpack-entries",
  "hash-max-listpack-value",
  "set-max-intset-entries",
  "stream-node-max-bytes",
  "stream-node-max-entries",
]);

function buildTable(): OptionSpec[] {
  const own = new Map(IMDS_OPTIONS.map((o) => [o.name, o]));
  const old = new Map<string, string[]>();
  for (const [o, n] of Object.entries(OLD_NAMES)) old.set(n, [...(old.get(n) ?? []), o]);
  const table: OptionSpec[] = [];
  const seen = new Set<string>();
  const add = (o: OptionSpec) => {
    seen.add(o.name);
    const oldNames = old.get(o.name);
    table.push(oldNames ? { ...o, oldNames } : o);
  };
  for (const o of IMDS_OPTIONS) add({ ...o, applies: o.applies ?? true });
  for (const r of REDIS_OPTIONS) {
    if (own.has(r.name)) continue;
    add({
      ...r,
      applies: HONOURED_REDIS_OPTIONS.has(r.name),
      multi: MULTI_WORD.has(r.name) || undefined,
    });
  }
  if (seen.size !== table.length) throw new Error("duplicate option in the config table");
  return table;
}

export const OPTIONS: readonly OptionSpec[] = buildTable();

const byName = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  byName.set(o.name, o);
  for (const a of o.aliases ?? []) byName.set(a, o);
  for (const a of o.oldNames ?? []) byName.set(a, o);
}

export function findOption(name: string): OptionSpec | undefined {
  return byName.get(name) ?? byName.get(name.toLowerCase());
}

/** Redis's memory units: 1k = 1000, 1kb = 1024, 1m = 1e6, 1mb = 1048576, 1g, 1gb (any case). */
export function parseMemory(text: string): number {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  const mult: Record<string, number> = {
    "": 1,
    b: 1,
    k: 1000,
    kb: 1024,
    m: 1e6,
    mb: MB,
    g: 1e9,
    gb: GB,
  };
  return n * mult[unit]!;
}

/** As Redis's rewriteConfigFormatMemory: 1gb, 64mb, 4kb, else bytes. */
export function formatMemory(n: number): string {
  if (n === 0) return "0";
  if (n % GB === 0) return `${n / GB}gb`;
  if (n % MB === 0) return `${n / MB}mb`;
  if (n % 1024 === 0) return `${n / 1024}kb`;
  return String(n);
}

export class ConfigError extends Error {}

/** A value and its parse, fixed at set time so readers never parse (int()/bool() are lookups). */
interface Entry {
  text: string;
  num: number;
  yes: boolean;
}

function entryOf(o: OptionSpec, text: string): Entry {
  const num =
    o.kind === "memory" ? parseMemory(text) : o.kind === "int" ? Number(text) : Number.NaN;
  return { text, num, yes: text === "yes" };
}

/** The live option values, by canonical name. Values are stored as their canonical text. */
export class Config {
  /** Keyed by every name an option answers to (canonical, aliases, old names). */
  private readonly entries = new Map<string, Entry>();
  /** Called after a successful set, so the server can apply changes (e.g. maxmemory). */
  onChange: ((name: string, value: string) => void) | null = null;
  /** Options given at start (file or flags) that imds accepts but does not act on. */
  readonly inert: string[] = [];
  /**
   * rename-command lines ([from, to], to "" removes the command) in file order, applied to the
   * server's command table at start; `renameError` makes a failed one Redis's fatal block.
   */
  readonly renames: [string, string][] = [];
  readonly renameSources: Source[] = [];
  /** Directives accepted and ignored (user, loadmodule): "name args". */
  readonly ignoredDirectives: string[] = [];

  constructor() {
    for (const o of OPTIONS) this.store(o, o.name === "dir" ? process.cwd() : canonicalDefault(o));
  }

  private store(o: OptionSpec, text: string): void {
    const e = entryOf(o, text);
    this.entries.set(o.name, e);
    for (const a of o.aliases ?? []) this.entries.set(a, e);
    for (const a of o.oldNames ?? []) this.entries.set(a, e);
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name) ?? this.entries.get(name.toLowerCase());
    if (e === undefined) throw new ConfigError(`unknown option '${name}'`);
    return e;
  }

  get(name: string): string {
    return this.entry(name).text;
  }

  /** The parsed number of an int/memory option: a map lookup, no parsing (cached at set). */
  int(name: string): number {
    return this.entry(name).num;
  }

  bool(name: string): boolean {
    return this.entry(name).yes;
  }

  /** Validate and set; throws ConfigError with Redis-like text. */
  set(name: string, value: string, atStartup = false): void {
    const o = findOption(name);
    if (!o)
      throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (!o.mutable && !atStartup) {
      throw new ConfigError(
        `CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`,
      );
    }
    const canonical = this.validateFor(o, name, value);
    this.store(o, canonical);
    this.onChange?.(o.name, canonical);
  }

  private validateFor(o: OptionSpec, given: string, value: string): string {
    try {
      return validate(o, value, this.get(o.name));
    } catch (e) {
      if (e instanceof ValueError) {
        throw new ConfigError(
          `CONFIG SET failed (possibly related to argument '${given}') - ${e.message}`,
        );
      }
      throw e;
    }
  }

  /**
   * CONFIG GET pattern [pattern ...] as Redis 7.0: [name, value] pairs, each name once. An exact
   * name (no glob characters) answers under the name as given (lowercased), old names included;
   * a glob matches current and old names (as 7.0 lists both), not imds's start-line aliases.
   */
  getMatching(patterns: readonly string[]): [string, string][] {
    const found = new Map<string, string>();
    for (const pattern of patterns) {
      if (!/[*?[\\]/.test(pattern)) {
        const o = findOption(pattern);
        if (o !== undefined) found.set(pattern.toLowerCase(), this.get(o.name));
        continue;
      }
      for (const o of OPTIONS) {
        if (globMatchText(pattern, o.name, true)) found.set(o.name, this.get(o.name));
        for (const a of o.oldNames ?? []) {
          if (globMatchText(pattern, a, true)) found.set(a, this.get(o.name));
        }
      }
    }
    return [...found];
  }

  /** CONFIG GET with one glob pattern: [name, value] pairs, in table order. */
  match(pattern: string, matcher: (pattern: string, name: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const o of OPTIONS) if (matcher(pattern, o.name)) out.push([o.name, this.get(o.name)]);
    return out;
  }

  /**
   * CONFIG SET name value [name value ...], all or nothing as Redis 7.0: every name and value is
   * checked before any is set; if applying (onChange) throws, every value is put back. Returns
   * null on success, else the error reply text (with its "ERR " prefix). `protectedOk` says
   * whether protected configs (dir, dbfilename) may be set by this caller (enable-protected-configs
   * yes, or local and the client is local).
   */
  setMany(pairs: readonly (readonly [string, string])[], protectedOk?: boolean): string | null {
    const allowProtected = protectedOk ?? this.get("enable-protected-configs") === "yes";
    const plan: [OptionSpec, string][] = [];
    for (const [name, value] of pairs) {
      const o = findOption(name);
      if (o === undefined)
        return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      const why = (msg: string) =>
        `ERR CONFIG SET failed (possibly related to argument '${name}') - ${msg}`;
      if (!o.mutable) return why("can't set immutable config");
      if (o.protectedConfig && !allowProtected) return why("can't set protected config");
      if (plan.some(([p]) => p === o)) return why("duplicate parameter");
      try {
        plan.push([o, validate(o, value, this.get(o.name))]);
      } catch (e) {
        if (e instanceof ValueError) return why(e.message);
        throw e;
      }
    }
    const before = plan.map(([o]) => this.get(o.name));
    for (const [o, v] of plan) this.store(o, v);
    try {
      for (const [o, v] of plan) this.onChange?.(o.name, v);
    } catch (e) {
      for (let i = 0; i < plan.length; i++) this.store(plan[i]![0], before[i]!);
      for (const [o] of plan) this.onChange?.(o.name, this.get(o.name));
      const name = pairs[0]![0];
      return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${(e as Error).message}`;
    }
    return null;
  }
}

class ValueError extends Error {}

/** A spec's default in the canonical form its values are stored in. */
function canonicalDefault(o: OptionSpec): string {
  return validate(o, o.default, o.default);
}

/** Check a value and return its canonical text (what CONFIG GET shows); throws ValueError. */
function validate(o: OptionSpec, raw: string, current: string): string {
  const bad = (why: string) => new ValueError(why);
  switch (o.kind) {
    case "int": {
      if (!/^-?\d+$/.test(raw.trim())) throw bad("argument couldn't be parsed into an integer");
      const n = Number(raw);
      if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw bad(`argument must be between ${o.min} and ${o.max} inclusive`);
      }
      return String(n);
    }
    case "memory": {
      const n = parseMemory(raw);
      if (Number.isNaN(n)) throw bad("argument must be a memory value");
      if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        throw bad(`argument must be between ${o.min} and ${o.max} inclusive`);
      }
      return String(n);
    }
    case "bool": {
      const v = raw.toLowerCase();
      if (v !== "yes" && v !== "no") throw bad("argument must be 'yes' or 'no'");
      return v;
    }
    case "enum": {
      const v = raw.toLowerCase();
      if (!o.values!.includes(v))
        throw bad(`argument(s) must be one of the following: ${o.values!.join(", ")}`);
      return v;
    }
    case "special":
      switch (o.name) {
        case "client-output-buffer-limit":
          return validateOutputLimit(raw, current);
        case "save": {
          // pairs of <seconds> <changes>, as Redis's setConfigSaveOption
          const w = raw.trim().split(/\s+/).filter(Boolean);
          if (w.length % 2 !== 0 || !w.every((x) => /^\d+$/.test(x) && Number(x) <= 2 ** 31 - 1))
            throw bad("Invalid save parameters");
          return w.join(" ");
        }
        case "notify-keyspace-events":
          return keyspaceEventsCanonical(raw);
        case "latency-tracking-info-percentiles": {
          const words = raw.trim().split(/\s+/).filter(Boolean);
          for (const w of words) {
            const p = Number(w);
            if (!/^[\d.]+$/.test(w) || !(p >= 0 && p <= 100))
              throw bad("Invalid latency-tracking-info-percentiles parameters");
          }
          return words.join(" ");
        }
        default:
          return raw.trim();
      }
    default:
      return raw;
  }
}

/**
 * notify-keyspace-events as Redis 7.0's keyspaceEventsStringToFlags / FlagsToString:
 * "A" = g$lshzxetd; output order [A | g$lshzxetd n] K E m. One difference: with every class and
 * n, Redis prints "A" and drops the n from the text (its flag stays on until a restart or
 * CONFIG REWRITE loses it); imds keeps n by spelling the classes out (g$lshzxetdn), since the
 * text is the only state imds keeps.
 */
export function keyspaceEventsCanonical(raw: string): string {
  const classes = "g$lshzxetd";
  const have = new Set<string>();
  for (const ch of raw) {
    if (ch === "A") for (const c of classes) have.add(c);
    else if ((classes + "KEmn").includes(ch)) have.add(ch);
    else throw new ValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  let out =
    [...classes].every((c) => have.has(c)) && !have.has("n")
      ? "A"
      : [...classes].filter((c) => have.has(c)).join("");
  if (have.has("n")) out += "n";
  for (const c of "KEm") if (have.has(c)) out += c;
  return out;
}

const OUTPUT_CLASSES = ["normal", "slave", "pubsub"] as const;

/** `normal <hard> <soft> <seconds> [replica ...] [pubsub ...]`: merged into the current value. */
function validateOutputLimit(raw: string, current: string): string {
  const words = raw.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words.length % 4 !== 0)
    throw new ValueError("Wrong number of arguments in buffer limit configuration.");
  const cur = current.split(" ");
  const classes = new Map<string, number[]>();
  for (let i = 0; i + 3 < cur.length; i += 4) {
    classes.set(cur[i]!, [Number(cur[i + 1]), Number(cur[i + 2]), Number(cur[i + 3])]);
  }
  for (const c of OUTPUT_CLASSES) if (!classes.has(c)) classes.set(c, [0, 0, 0]);
  for (let i = 0; i < words.length; i += 4) {
    let cls = words[i]!.toLowerCase();
    if (cls === "replica") cls = "slave";
    if (!classes.has(cls))
      throw new ValueError("Invalid client class specified in buffer limit configuration.");
    const hard = parseMemory(words[i + 1]!);
    const soft = parseMemory(words[i + 2]!);
    const secs = /^\d+$/.test(words[i + 3]!) ? Number(words[i + 3]) : Number.NaN;
    if ([hard, soft, secs].some((n) => Number.isNaN(n) || n < 0)) {
      throw new ValueError(
        "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
      );
    }
    classes.set(cls, [hard, soft, secs]);
  }
  return OUTPUT_CLASSES.map((c) => `${c} ${classes.get(c)!.join(" ")}`).join(" ");
}

// ---- config files ---------------------------------------------------------------------------

/**
 * Split one line into words as Redis's sdssplitargs: "double quotes" with \n \r \t \b \a \\ \"
 * and \xHH escapes, 'single quotes' with \' only; a closing quote must be followed by a space or
 * the end. Returns null for unbalanced quotes (Redis: "Unbalanced quotes in configuration line").
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string | undefined) =>
    c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" || c === "\f";
  const hex = (c: string | undefined) => c !== undefined && /[0-9a-fA-F]/.test(c);
  for (;;) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let cur = "";
    let inq = false; // "..."
    let insq = false; // '...'
    for (;;) {
      const c = line[i];
      if (inq) {
        if (c === undefined) return null;
        if (c === "\\" && line[i + 1] === "x" && hex(line[i + 2]) && hex(line[i + 3])) {
          cur += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur +=
            e === "n"
              ? "\n"
              : e === "r"
                ? "\r"
                : e === "t"
                  ? "\t"
                  : e === "b"
                    ? "\b"
                    : e === "a"
                      ? "\x07"
                      : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          inq = false;
          i++;
          break;
        } else cur += c;
      } else if (insq) {
        if (c === undefined) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          insq = false;
          i++;
          break;
        } else cur += c;
      } else {
        if (c === undefined || isSpace(c)) break;
        if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
      }
      i++;
    }
    out.push(cur);
  }
}

/** Split one config-file line into words (quotes as sdssplitargs); throws on unbalanced quotes. */
export function splitConfigLine(line: string): string[] {
  const w = splitArgs(line);
  if (w === null) throw new ConfigError("Unbalanced quotes in configuration line");
  return w;
}

/** Quote as Redis's sdscatrepr: "..." with \\ \" \n \r \t \a \b and \xHH for the rest. */
export function repr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === "\\" || ch === '"') out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (c < 32 || c > 126) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Where a directive came from, for Redis's fatal config error block. */
export interface Source {
  file: string; // "" for the start line's flags
  line: number;
  text: string;
}

/** The fatal config error for the i-th rename-command line (the command table refused it). */
export function renameError(config: Config, i: number, why: string): ConfigError {
  return fatal(config.renameSources[i]!, why);
}

/** Redis's fatal config error block (with the file's name, which Redis leaves out). */
function fatal(src: Source, why: string): ConfigError {
  const where = src.file === "" ? "" : ` ${src.file}`;
  return new ConfigError(
    `\n*** FATAL CONFIG FILE ERROR (imds ${IMDS_VERSION}, Redis 7.0 format) ***\n` +
      `Reading the configuration file${where}, at line ${src.line}\n` +
      `>>> '${src.text}'\n${why}`,
  );
}

const MAX_INCLUDE_DEPTH = 16;

/** Read a config file's directives, following `include` (globs allowed, as 7.0) in place. */
function readDirectives(
  path: string,
  readFile: (path: string) => string,
  out: { words: string[]; src: Source }[],
  depth: number,
): number {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFile(path);
  } catch {
    throw new ConfigError(`Fatal error, can't open config file '${abs}'`);
  }
  text.split("\n").forEach((raw, n) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const src = { file: abs, line: n + 1, text: line };
    const words = splitArgs(line);
    if (words === null) throw fatal(src, "Unbalanced quotes in configuration line");
    if (words.length === 0) return;
    if (words[0]!.toLowerCase() === "include") {
      if (words.length !== 2) throw fatal(src, "wrong number of arguments");
      if (depth >= MAX_INCLUDE_DEPTH) throw fatal(src, "include nesting too deep");
      for (const p of expandInclude(words[1]!)) readDirectives(p, readFile, out, depth + 1);
      return;
    }
    out.push({ words, src });
  });
  return text.split("\n").length;
}

function expandInclude(pattern: string): string[] {
  if (!/[*?[]/.test(basename(pattern))) return [pattern];
  const dir = dirname(pattern);
  if (!existsSync(dir)) return [];
  return [...new Bun.Glob(basename(pattern)).scanSync({ cwd: dir, onlyFiles: true })]
    .sort()
    .map((f) => resolve(dir, f));
}

/**
 * Parse the start line: `[path/to/imds.conf] [--name value ...]`. The file is applied first,
 * then the flags (flags override the file), like redis-server; `-` reads the file from stdin.
 * Errors are ConfigErrors carrying Redis's fatal block.
 */
export function loadConfig(argv: string[], readFile: (path: string) => string): Config {
  const config = new Config();
  let i = 0;
  const directives: { words: string[]; src: Source }[] = [];
  // redis-server reads the flags as lines after the file's (the first flag of a bare start line
  // is line 2): errors number them the same way.
  let flagLine = 2;
  if (argv[0] !== undefined && !argv[0].startsWith("--")) {
    flagLine = readDirectives(argv[0], readFile, directives, 0) + 1;
    i = 1;
  }
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--"))
      throw new ConfigError(`Invalid argument '${a}': options are --name value`);
    const words = [a.slice(2)];
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) words.push(argv[++i]!);
    const text = [words[0], ...words.slice(1).map(repr)].join(" ");
    directives.push({ words, src: { file: "", line: flagLine++, text } });
  }
  applyDirectives(config, directives);
  return config;
}

/** Apply parsed directives in order (start line, files, embedded options). */
function applyDirectives(config: Config, directives: { words: string[]; src: Source }[]): void {
  const inert = new Set<string>();
  for (const { words, src } of directives) {
    const name = words[0]!.toLowerCase();
    const rest = words.slice(1);
    if (name === "rename-command") {
      if (rest.length !== 2) throw fatal(src, "wrong number of arguments");
      config.renames.push([rest[0]!, rest[1]!]);
      config.renameSources.push(src);
      continue;
    }
    if (name === "user" || name === "loadmodule") {
      config.ignoredDirectives.push(words.join(" "));
      inert.add(name);
      continue;
    }
    const o = findOption(name);
    if (!o) throw fatal(src, "Bad directive or wrong number of arguments");
    if (rest.length === 0 || (!o.multi && rest.length > 1)) {
      throw fatal(src, "wrong number of arguments");
    }
    try {
      config.set(o.name, rest.join(" "), true);
    } catch (e) {
      if (e instanceof ConfigError) {
        throw fatal(
          src,
          e.message.replace(/^CONFIG SET failed \(possibly related to argument '[^']*'\) - /, ""),
        );
      }
      throw e;
    }
    if (!o.applies) inert.add(name);
  }
  for (const n of inert) if (!config.inert.includes(n)) config.inert.push(n);
}

export type OptionValue = string | number | boolean | readonly string[];

/**
 * A Config from an object of redis.conf names -> values (the embedded server's options): numbers
 * as decimal, booleans as yes/no, arrays as several words (save, bind, client-output-buffer-limit).
 * Errors are ConfigErrors with Redis's fatal block, the option shown as a start-line flag.
 */
export function configFromObject(options: Readonly<Record<string, OptionValue>>): Config {
  const config = new Config();
  const directives = Object.entries(options).map(([name, v], k) => {
    const rest = Array.isArray(v)
      ? v.map(String)
      : [typeof v === "boolean" ? (v ? "yes" : "no") : String(v)];
    const text = [name, ...rest.map(repr)].join(" ");
    return { words: [name, ...rest], src: { file: "", line: k + 2, text } };
  });
  applyDirectives(config, directives);
  return config;
}

/** The one warning line for options that were accepted but do nothing in imds, or null. */
export function inertWarning(config: Config): string | null {
  if (config.inert.length === 0) return null;
  return `WARNING: accepted but not used by imds (kept for CONFIG GET, no effect): ${config.inert.join(", ")}`;
}

// ---- CONFIG REWRITE -------------------------------------------------------------------------

/** The config lines for one option's current value, as Redis 7.0's rewrite writes them. */
function optionLines(o: OptionSpec, value: string): string[] {
  switch (o.kind) {
    case "memory":
      return [`${o.name} ${formatMemory(Number(value))}`];
    case "int":
    case "bool":
    case "enum":
      return [`${o.name} ${value}`];
    case "string":
      if (o.multi) return [`${o.name} ${value}`];
      return [`${o.name} ${repr(value)}`];
    default:
      break;
  }
  if (o.name === "client-output-buffer-limit") {
    const w = value.split(" ");
    const def = canonicalDefault(o).split(" ");
    const lines: string[] = [];
    for (let i = 0; i + 3 < w.length; i += 4) {
      if (w.slice(i, i + 4).join(" ") === def.slice(i, i + 4).join(" ")) continue;
      const [cls, hard, soft, secs] = w.slice(i, i + 4);
      lines.push(
        `${o.name} ${cls} ${formatMemory(Number(hard))} ${formatMemory(Number(soft))} ${secs}`,
      );
    }
    return lines;
  }
  if (o.name === "save") return [value === "" ? `save ""` : `save ${value}`];
  if (o.multi) return [`${o.name} ${value}`];
  return [`${o.name} ${repr(value)}`];
}

const REWRITE_SIGNATURE = "# Generated by CONFIG REWRITE";

/**
 * CONFIG REWRITE's new file text from the old one, as Redis 7.0: comments, blank lines and lines
 * that are not options (include, rename-command, user...) stay where they are; an option's first
 * line is replaced in place by its current value (old names become the current name), its other
 * lines become blank (as Redis leaves them); options that differ from their default and are not in the file are appended
 * after a "# Generated by CONFIG REWRITE" line (once). Options at their default that are not in
 * the file are not written.
 */
export function rewriteConfigText(config: Config, oldText: string): string {
  const lines = oldText === "" ? [] : oldText.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const out: (string | null)[] = [];
  const firstLine = new Map<OptionSpec, number>();
  let hasTail = false;
  for (const line of lines) {
    const t = line.trim();
    if (t === REWRITE_SIGNATURE) hasTail = true;
    if (t === "" || t.startsWith("#")) {
      out.push(line);
      continue;
    }
    const words = splitArgs(t);
    const o = words && words.length > 0 ? findOption(words[0]!) : undefined;
    if (o === undefined || (o.aliases ?? []).includes(words![0]!.toLowerCase())) {
      out.push(line);
      continue;
    }
    if (firstLine.has(o)) {
      out.push(""); // a later line of the same option: blanked, as Redis does
      continue;
    }
    firstLine.set(o, out.length);
    out.push(null);
  }
  const appended: string[] = [];
  const result: string[] = [];
  const replacement = new Map<number, string[]>();
  for (const o of OPTIONS) {
    const value = config.get(o.name);
    const at = firstLine.get(o);
    const isDefault = value === (o.name === "dir" ? process.cwd() : canonicalDefault(o));
    if (at !== undefined) replacement.set(at, optionLines(o, value));
    else if (!isDefault) appended.push(...optionLines(o, value));
  }
  out.forEach((line, k) => {
    if (line !== null) result.push(line);
    else {
      const r = replacement.get(k)!;
      result.push(...(r.length > 0 ? r : [""]));
    }
  });
  if (appended.length > 0) {
    if (!hasTail) result.push(REWRITE_SIGNATURE);
    result.push(...appended);
  }
  return `${result.join("\n")}\n`;
}

/** CONFIG REWRITE: rewrite `path` in place (write a temporary file, then rename, as Redis). */
export function rewriteConfigFile(config: Config, path: string): void {
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, rewriteConfigText(config, old));
  renameSync(tmp, path);
}
