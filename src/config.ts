// One table of options, read by the start line (`bun run server [imds.conf]
// [--name value ...]`, like redis-server), by the config file, and by
// CONFIG GET/SET. Names, meanings and units are redis.conf's.

import { resolve } from "node:path";

export type OptionKind = "string" | "int" | "memory" | "bool" | "enum" | "special";

export interface OptionSpec {
  name: string;
  kind: OptionKind;
  default: string;
  /** Allowed words for enums. */
  values?: readonly string[];
  /** Inclusive bounds for int/memory options. */
  min?: number;
  max?: number;
  /** False for options that can only be given at start (CONFIG SET refuses them). */
  mutable: boolean;
  /** Extra names accepted on the start line (e.g. --host for bind). */
  aliases?: readonly string[];
  /** Accept several values on the start line / config line (e.g. save, bind, client-output-buffer-limit). */
  multi?: boolean;
}

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;

export const OPTIONS: readonly OptionSpec[] = [
  {
    name: "bind",
    kind: "string",
    default: "127.0.0.1",
    mutable: false,
    aliases: ["host"],
    multi: true,
  },
  { name: "port", kind: "int", default: "6677", min: 0, max: 65535, mutable: false },
  { name: "dir", kind: "string", default: "", mutable: true },
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
  { name: "appendonly", kind: "bool", default: "no", mutable: true },
  { name: "appendfilename", kind: "string", default: "appendonly.aof", mutable: false },
  {
    name: "appendfsync",
    kind: "enum",
    default: "everysec",
    values: ["everysec", "always", "no"], // Redis 7.0's order
    mutable: true,
  },
  // Persistence is not implemented yet: `save ""` (the default here) and `appendonly no` are the
  // only accepted values, so no configuration silently promises durability it does not get.
  { name: "save", kind: "special", default: "", mutable: true, multi: true },
  { name: "dbfilename", kind: "string", default: "dump.rdb", mutable: true },
  { name: "requirepass", kind: "string", default: "", mutable: true },
  {
    name: "loglevel",
    kind: "enum",
    default: "notice",
    values: ["debug", "verbose", "notice", "warning"], // 7.0 (7.2 added "nothing")
    mutable: true,
  },
  { name: "logfile", kind: "string", default: "", mutable: false },
  { name: "daemonize", kind: "bool", default: "no", mutable: false },
  { name: "protected-mode", kind: "bool", default: "yes", mutable: true },
  { name: "tcp-backlog", kind: "int", default: "511", min: 0, max: 65535, mutable: false },
  { name: "tcp-keepalive", kind: "int", default: "300", min: 0, max: 2_147_483_647, mutable: true },
];

const byName = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  byName.set(o.name, o);
  for (const a of o.aliases ?? []) byName.set(a, o);
}

export function findOption(name: string): OptionSpec | undefined {
  return byName.get(name.toLowerCase());
}

/** Redis's memory units: 1k = 1000, 1kb = 1024, 1m = 1e6, 1mb = 1048576, 1g, 1gb. */
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

export class ConfigError extends Error {}

/** The live option values, by canonical name. Values are stored as their canonical text. */
export class Config {
  private readonly values = new Map<string, string>();
  /** Called after a successful set, so the server can apply changes (e.g. maxmemory). */
  onChange: ((name: string, value: string) => void) | null = null;

  constructor() {
    for (const o of OPTIONS) this.values.set(o.name, o.default);
    this.values.set("dir", process.cwd());
  }

  get(name: string): string {
    const o = findOption(name);
    if (!o) throw new ConfigError(`unknown option '${name}'`);
    return this.values.get(o.name)!;
  }

  int(name: string): number {
    const o = findOption(name)!;
    const v = this.values.get(o.name)!;
    return o.kind === "memory" ? parseMemory(v) : Number(v);
  }

  bool(name: string): boolean {
    return this.get(name) === "yes";
  }

  /** Validate and set; throws ConfigError with Redis-like text. */
  set(name: string, value: string, atStartup = false): void {
    const o = findOption(name);
    if (!o)
      throw new ConfigError(`Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (!o.mutable && !atStartup) {
      throw new ConfigError(
        `CONFIG SET failed (possibly related to argument '${o.name}') - can't set immutable config`,
      );
    }
    const canonical = validate(o, value);
    this.values.set(o.name, canonical);
    this.onChange?.(o.name, canonical);
  }

  /** CONFIG GET with a glob pattern: [name, value] pairs, in table order. */
  match(pattern: string, matcher: (pattern: string, name: string) => boolean): [string, string][] {
    const out: [string, string][] = [];
    for (const o of OPTIONS) {
      if (matcher(pattern, o.name)) out.push([o.name, this.values.get(o.name)!]);
    }
    return out;
  }
}

const IN_MEMORY_ONLY = "imds keeps data in memory only, persistence is not implemented yet";

function validate(o: OptionSpec, raw: string): string {
  const bad = (why: string) =>
    new ConfigError(`CONFIG SET failed (possibly related to argument '${o.name}') - ${why}`);
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
      if (o.name === "appendonly" && v === "yes")
        throw bad(`appendonly yes is not supported: ${IN_MEMORY_ONLY}`);
      return v;
    }
    case "enum": {
      const v = raw.toLowerCase();
      if (!o.values!.includes(v))
        throw bad(`argument(s) must be one of the following: ${o.values!.join(", ")}`);
      return v;
    }
    case "special":
      if (o.name === "client-output-buffer-limit") return validateOutputLimit(raw, bad);
      if (o.name === "save" && raw.trim() !== "") {
        throw bad(`save points are not supported (use save ""): ${IN_MEMORY_ONLY}`);
      }
      return raw.trim();
    default:
      return raw;
  }
}

/** `normal <hard> <soft> <seconds> [slave ...] [pubsub ...]`: merged into the current value. */
function validateOutputLimit(raw: string, bad: (why: string) => Error): string {
  const words = raw.trim().split(/\s+/);
  if (words.length % 4 !== 0) throw bad("Wrong number of arguments in buffer limit configuration.");
  const classes = new Map<string, number[]>([
    ["normal", [0, 0, 0]],
    ["slave", [268435456, 67108864, 60]],
    ["pubsub", [33554432, 8388608, 60]],
  ]);
  for (let i = 0; i < words.length; i += 4) {
    let cls = words[i]!.toLowerCase();
    if (cls === "replica") cls = "slave";
    if (!classes.has(cls))
      throw bad("Invalid client class specified in buffer limit configuration.");
    const hard = parseMemory(words[i + 1]!);
    const soft = parseMemory(words[i + 2]!);
    const secs = Number(words[i + 3]);
    if ([hard, soft, secs].some((n) => Number.isNaN(n) || n < 0)) {
      throw bad("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    classes.set(cls, [hard, soft, secs]);
  }
  return [...classes].map(([c, v]) => `${c} ${v.join(" ")}`).join(" ");
}

/** Split one config-file line into words, honouring "double" and 'single' quotes. */
export function splitConfigLine(line: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[1] !== undefined) words.push(m[1].replace(/\\(.)/g, "$1"));
    else if (m[2] !== undefined) words.push(m[2]);
    else words.push(m[3]!);
  }
  return words;
}

/**
 * Parse the start line: `[path/to/imds.conf] [--name value ...]`. The file is
 * applied first, then the flags (flags override the file), like redis-server.
 */
export function loadConfig(argv: string[], readFile: (path: string) => string): Config {
  const config = new Config();
  let i = 0;
  const lines: string[][] = [];
  if (argv[0] !== undefined && !argv[0].startsWith("--")) {
    const path = argv[0];
    let text: string;
    try {
      text = readFile(path);
    } catch {
      throw new ConfigError(`Fatal error, can't open config file '${resolve(path)}'`);
    }
    text.split(/\r?\n/).forEach((line, n) => {
      const t = line.trim();
      if (t === "" || t.startsWith("#")) return;
      const words = splitConfigLine(t);
      (words as string[] & { line?: number }).line = n + 1;
      lines.push(words);
    });
    i = 1;
  }
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--"))
      throw new ConfigError(`Invalid argument '${a}': options are --name value`);
    const words = [a.slice(2)];
    while (i + 1 < argv.length && !argv[i + 1]!.startsWith("--")) words.push(argv[++i]!);
    lines.push(words);
  }
  for (const words of lines) {
    const name = words[0]!;
    const o = findOption(name);
    if (!o) throw new ConfigError(`Bad directive or wrong number of arguments: '${name}'`);
    const rest = words.slice(1);
    if (rest.length === 0 && o.name !== "save") {
      throw new ConfigError(`Bad directive or wrong number of arguments: '${name}' needs a value`);
    }
    if (!o.multi && rest.length > 1) {
      throw new ConfigError(
        `Bad directive or wrong number of arguments: '${name}' takes one value`,
      );
    }
    try {
      config.set(o.name, rest.join(" "), true);
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new ConfigError(
          `Bad value for '${o.name}': ${e.message.replace(/^CONFIG SET failed \(possibly related to argument '[^']*'\) - /, "")}`,
        );
      }
      throw e;
    }
  }
  return config;
}
