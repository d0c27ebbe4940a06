// The command table: data, not a switch. One table serves both protocols.
//
// A command is one typed record (CommandSpec): name, arity, flag bits, ACL categories, Redis 7.0
// key specs, docs, handler. The metadata is Redis 7.0's own, generated from a real redis-server
// into redis-spec/commands.json (as Redis generates commands.def from its JSON files); a family
// file declares only what imds adds: the handler (and the original protocol's v1 handler where
// its reply differs). register() joins the two, validates the record, and refuses a command
// Redis does not describe unless the family gives a full record itself. Lookup hashes the name
// bytes case-insensitively, so dispatch allocates nothing.

import { readFileSync } from "node:fs";
import { assert } from "../assert.ts";
import type { SessionContext } from "./context.ts";
import { bucketOf, CommandHistograms } from "./histogram.ts";

/** A handler writes exactly one reply. Data families take a CommandContext (a narrower type). */
export type Handler = (c: SessionContext) => void;

// Command flags as bits, in Redis's COMMAND INFO order (server.c addCommandFlags).
export const FLAG_NAMES = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "asking",
  "fast",
  "no_auth",
  "may_replicate",
  "no_mandatory_keys",
  "no_async_loading",
  "no_multi",
  "allow_busy",
  "movablekeys",
  "no_async_loading", // aof: BGREWRITEAOF's
] as const;
export type FlagName = (typeof FLAG_NAMES)[number];
const flagBit = (name: FlagName): number => 1 << FLAG_NAMES.indexOf(name);
export const CMD_WRITE = flagBit("write");
export const CMD_READONLY = flagBit("readonly");
export const CMD_DENYOOM = flagBit("denyoom");
export const CMD_ADMIN = flagBit("admin");
export const CMD_PUBSUB = flagBit("pubsub");
export const CMD_NOSCRIPT = flagBit("noscript");
export const CMD_BLOCKING = flagBit("blocking");
export const CMD_LOADING = flagBit("loading");
export const CMD_STALE = flagBit("stale");
export const CMD_FAST = flagBit("fast");
export const CMD_SKIP_MONITOR = flagBit("skip_monitor");
export const CMD_SKIP_SLOWLOG = flagBit("skip_slowlog");
export const CMD_NO_AUTH = flagBit("no_auth");
export const CMD_MAY_REPLICATE = flagBit("may_replicate");
export const CMD_NO_MANDATORY_KEYS = flagBit("no_mandatory_keys");
export const CMD_NO_MULTI = flagBit("no_multi");
export const CMD_ALLOW_BUSY = flagBit("allow_busy");
export const CMD_MOVABLE_KEYS = flagBit("movablekeys");
/** imds's own bit, past Redis's names (never shown): the handler needs the Lua VM, which is
 * loaded on first use; the dispatcher holds the client until it is (ScriptRunner.whenLoaded). */
export const CMD_NEEDS_ENGINE = 1 << 30;

/** Redis 7.0 key spec (COMMAND INFO's "key_specs"), as the JSON carries it. */
export interface KeySpec {
  notes?: string;
  flags: readonly string[];
  begin_search:
    | { type: "index"; spec: { index: number } }
    | { type: "keyword"; spec: { keyword: string; startfrom: number } }
    | { type: "unknown"; spec: Record<string, never> };
  find_keys:
    | { type: "range"; spec: { lastkey: number; keystep: number; limit: number } }
    | { type: "keynum"; spec: { keynumidx: number; firstkey: number; keystep: number } }
    | { type: "unknown"; spec: Record<string, never> };
}

/** COMMAND DOCS's record (summary, since, group, complexity, history, arguments ...). */
export type CommandDocs = Record<string, unknown>;

/** One command's metadata as Redis 7.0 describes it (redis-spec/commands.json). */
export interface RedisCommandRecord {
  name: string;
  arity: number;
  flags: readonly string[];
  firstKey: number;
  lastKey: number;
  step: number;
  acl: readonly string[];
  tips: readonly string[];
  keySpecs: readonly KeySpec[];
  /** A family's own record gives its docs here; Redis's are in redis-spec/docs.json. */
  docs?: CommandDocs | null;
  subcommands?: readonly RedisCommandRecord[];
}

/** What a family file declares for a command. */
export interface CommandDef {
  name: string;
  handler: Handler;
  /**
   * The original imds behaviour on an untyped v1 connection, where it differs from Redis's
   * (e.g. DEL answers OK / not found instead of an integer).
   */
  v1Handler?: Handler;
  subcommands?: readonly CommandDef[];
  /** A command Redis 7.0 does not have gives its whole record here. */
  record?: RedisCommandRecord;
  /** The handler uses the Lua VM (CMD_NEEDS_ENGINE). */
  needsEngine?: boolean;
}

/** A registered command: Redis's record joined with imds's handler. */
export interface CommandSpec {
  /** Lowercase full name ("get", "client|list"). */
  readonly name: string;
  /** Redis arity: N = exactly N args (name included), -N = at least N. */
  readonly arity: number;
  /** CMD_* bits. */
  readonly flags: number;
  readonly flagNames: readonly string[];
  readonly acl: readonly string[];
  readonly tips: readonly string[];
  /** Legacy key positions (1-based first/last/step; last -1 = to the end). */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  readonly keySpecs: readonly KeySpec[];
  /** COMMAND DOCS of a command with its own record; Redis's are read on demand (docsOf). */
  readonly ownDocs: CommandDocs | null;
  readonly handler: Handler;
  readonly v1Handler: Handler | undefined;
  readonly subcommands: readonly CommandSpec[] | undefined;
  /** Index into the table's INFO commandstats columns. */
  readonly statId: number;
}

/**
 * Redis 7.0's command records, by name (generated; see redis-spec/generate.ts), without their
 * COMMAND DOCS: those are most of the bytes and only COMMAND DOCS reads them (docsOf).
 */
const REDIS_COMMANDS: Readonly<Record<string, RedisCommandRecord>> = JSON.parse(
  readFileSync(new URL("./redis-spec/commands.json", import.meta.url), "utf8"),
);

/** Redis's record for a command or "container|sub", if Redis 7.0 has it. */
export function redisRecord(name: string): RedisCommandRecord | undefined {
  const bar = name.indexOf("|");
  if (bar < 0) return REDIS_COMMANDS[name];
  return REDIS_COMMANDS[name.slice(0, bar)]?.subcommands?.find((s) => s.name === name);
}

/** Shorthand used by the family files. */
export function cmd(name: string, handler: Handler, extra: Partial<CommandDef> = {}): CommandDef {
  return { name, handler, ...extra };
}

const MAX_STAT_IDS = 1024;
/** Commands of one read batch whose time is not yet shared out (more flush early). */
export const BATCH_IDS = 4096;

/**
 * INFO commandstats counters of one command table, a column per figure indexed by
 * CommandSpec.statId: calls, usec, rejected_calls (refused before running: arity, NOAUTH, OOM)
 * and failed_calls (ran and replied at least one error), as Redis 7.0; and the per-command
 * latency histograms (latency-tracking) fed from the same durations.
 *
 * usec: reading the clock around every command costs ~40-80 ns, about 10% of a pipelined GET,
 * so by default the clock is read once per batch of commands (one read callback,
 * docs/COMMANDS.md), and the batch's time (decoding and reply encoding included) is shared out
 * evenly among its commands. Without pipelining a batch is one command, so the figure is that
 * command's own time. A command the server asks to time on its own (`begin(true)`, for SLOWLOG
 * and LATENCY: docs/COMMANDS.md "Timing rule") gets its exact duration instead: the clock read
 * after it ends its time and starts the next one's, so a run of timed commands costs one read
 * per command.
 */
export class CommandStats {
  readonly calls = new Float64Array(MAX_STAT_IDS);
  readonly usec = new Float64Array(MAX_STAT_IDS);
  readonly rejected = new Float64Array(MAX_STAT_IDS);
  readonly failed = new Float64Array(MAX_STAT_IDS);
  readonly histograms = new CommandHistograms(MAX_STAT_IDS);
  /** latency-tracking: feed the histograms. */
  tracking = true;
  /**
   * A run of untimed commands that took at least this long (µs) is reported to onSlowRun
   * (LATENCY "fast-command"; the server's timing rule). Infinity: never.
   */
  slowRunUs = Number.POSITIVE_INFINITY;
  onSlowRun: ((us: number, commands: number) => void) | null = null;
  /** Most untimed commands per run (a clock read closes it): BATCH_IDS, less while observing. */
  runCap = BATCH_IDS;
  /** Untimed commands since the last clock read, waiting for their share of the time. */
  private readonly batch = new Int32Array(BATCH_IDS);
  private batchN = 0;
  /** The last clock read (performance.now() ms); valid while `open` (inside a read batch). */
  private t0 = 0;
  private open = false;

  /** Before a command runs; `timed`: it wants its own duration from end(). */
  begin(timed: boolean): void {
    if (!this.open) {
      this.t0 = performance.now();
      this.open = true;
    } else if (timed && this.batchN > 0) this.closeRun(performance.now());
  }

  /** After untimed command `id` ran (calls and failed_calls are counted by the caller). */
  record(id: number): void {
    this.batch[this.batchN++] = id;
    if (this.batchN >= this.runCap) this.closeRun(performance.now());
  }

  /** After timed command `id` ran: its duration in µs, counted in usec and its histogram. */
  end(id: number): number {
    const now = performance.now();
    const us = (now - this.t0) * 1000;
    this.t0 = now;
    this.usec[id]! += us;
    if (this.tracking) this.histograms.record(id, us);
    return us;
  }

  /** End of a read callback (and before INFO): share the pending time out. */
  endBatch(): void {
    if (!this.open) return;
    this.open = false;
    if (this.batchN > 0) this.closeRun(performance.now());
  }

  /** Share the time since t0 out among the untimed commands of the run. */
  private closeRun(now: number): void {
    const n = this.batchN;
    const total = (now - this.t0) * 1000;
    const each = total / n;
    const batch = this.batch;
    const usec = this.usec;
    for (let k = 0; k < n; k++) usec[batch[k]!]! += each;
    if (this.tracking) {
      const hist = this.histograms;
      const b = bucketOf(each * 1000);
      for (let k = 0; k < n; k++) hist.add(batch[k]!, b);
    }
    this.batchN = 0;
    this.t0 = now;
    if (total >= this.slowRunUs) this.onSlowRun?.(total, n);
  }

  reset(): void {
    this.calls.fill(0);
    this.usec.fill(0);
    this.rejected.fill(0);
    this.failed.fill(0);
    this.histograms.reset();
    this.batchN = 0;
    this.open = false;
  }
}

function foldHash(buf: Uint8Array, off: number, len: number): number {
  let h = 2166136261;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (buf[off + i]! | 0x20), 16777619);
  return h >>> 0;
}

function foldEquals(buf: Uint8Array, off: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) {
    const c = buf[off + i]!;
    const lower = c >= 65 && c <= 90 ? c | 0x20 : c;
    if (lower !== name.charCodeAt(i)) return false;
  }
  return true;
}

export class CommandTable {
  readonly all: CommandSpec[] = [];
  readonly stats = new CommandStats();
  private slots: (CommandSpec | undefined)[] = new Array(512);
  /** The name each slot answers to: the spec's own, or a rename-command's new name. */
  private slotNames: string[] = new Array(512);
  private mask = 511;
  /** Every command by its own name (rename-command leaves these): see lookupOrOriginal. */
  private originals: Map<string, CommandSpec> | null = null;
  private nextStatId = 0;
  /** Redis's COMMAND DOCS records by full name, read at the first COMMAND DOCS. */
  private redisDocs: Readonly<Record<string, CommandDocs | null>> | null = null;

  /** Join each definition with its Redis record, validate it, and make it callable. */
  register(defs: readonly CommandDef[]): void {
    for (const def of defs) {
      if (this.get(def.name)) throw new Error(`command ${def.name} registered twice`);
      const spec = this.build(def, "");
      this.all.push(spec);
      if (this.all.length * 2 > this.slots.length) this.rebuild(this.slots.length * 2);
      this.place(spec.name, spec);
    }
  }

  private build(def: CommandDef, container: string): CommandSpec {
    const name = def.name;
    if (name !== name.toLowerCase()) throw new Error(`command ${name}: names are lowercase`);
    if (container !== "" && !name.startsWith(`${container}|`)) {
      throw new Error(`subcommand ${name} must be named ${container}|<sub>`);
    }
    const rec = def.record ?? redisRecord(name);
    if (rec === undefined) {
      throw new Error(`command ${name}: Redis 7.0 has no such command; give its record`);
    }
    validateRecord(rec);
    if (this.nextStatId >= MAX_STAT_IDS) throw new Error("too many commands for commandstats");
    const subs = def.subcommands?.map((s) => this.build(s, name));
    if (subs !== undefined && rec.subcommands === undefined && def.record === undefined) {
      throw new Error(`command ${name}: Redis 7.0 has no subcommands for it`);
    }
    let flags = 0;
    for (const f of rec.flags) {
      const bit = FLAG_NAMES.indexOf(f as FlagName);
      if (bit < 0) throw new Error(`command ${name}: unknown flag ${f}`);
      flags |= 1 << bit;
    }
    if (def.needsEngine === true) flags |= CMD_NEEDS_ENGINE;
    return {
      name,
      arity: rec.arity,
      flags,
      flagNames: rec.flags,
      acl: rec.acl,
      tips: rec.tips,
      firstKey: rec.firstKey,
      lastKey: rec.lastKey,
      step: rec.step,
      keySpecs: rec.keySpecs,
      ownDocs: def.record === undefined ? null : (rec.docs ?? {}),
      handler: def.handler,
      v1Handler: def.v1Handler,
      subcommands: subs,
      statId: this.nextStatId++,
    };
  }

  private rebuild(size: number): void {
    const names = this.slotNames;
    const specs = this.slots;
    this.slots = new Array(size);
    this.slotNames = new Array(size);
    this.mask = size - 1;
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i];
      if (s !== undefined) this.place(names[i]!, s);
    }
  }

  private place(name: string, spec: CommandSpec): void {
    const b = new TextEncoder().encode(name);
    let i = foldHash(b, 0, b.length) & this.mask;
    while (this.slots[i] !== undefined) i = (i + 1) & this.mask;
    this.slots[i] = spec;
    this.slotNames[i] = name;
  }

  /** Find a command by its name bytes, case-insensitively. */
  lookup(buf: Uint8Array, off: number, len: number): CommandSpec | undefined {
    let i = foldHash(buf, off, len) & this.mask;
    for (;;) {
      const s = this.slots[i];
      if (s === undefined) return undefined;
      if (foldEquals(buf, off, len, this.slotNames[i]!)) return s;
      i = (i + 1) & this.mask;
    }
  }

  /**
   * rename-command: `from` answers to `to` from now on, or to nothing when `to` is "" (removed
   * from COMMAND and INFO commandstats too, as Redis drops it from its command dict). Returns
   * Redis's error text when refused, null when done.
   */
  rename(from: string, to: string): string | null {
    const spec = from.includes("|") ? undefined : this.get(from.toLowerCase());
    if (spec === undefined) return "No such command in rename-command";
    const target = to.toLowerCase();
    if (target !== "" && this.get(target) !== undefined && this.get(target) !== spec)
      return "Target command name already exists";
    if (this.originals === null) {
      this.originals = new Map();
      for (const s of this.all) this.originals.set(s.name, s);
    }
    const kept: [string, CommandSpec][] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s !== undefined && s !== spec) kept.push([this.slotNames[i]!, s]);
    }
    if (target !== "") kept.push([target, spec]);
    else this.all.splice(this.all.indexOf(spec), 1);
    this.slots = new Array(this.slots.length);
    this.slotNames = new Array(this.slots.length);
    for (const [name, s] of kept) this.place(name, s);
    return null;
  }

  /**
   * Redis's lookupCommandOrOriginal, for replaying an AOF: the current name, else the
   * command's own name (an AOF rewrite writes SET, RPUSH ... whatever rename-command says).
   */
  lookupOrOriginal(buf: Uint8Array, off: number, len: number): CommandSpec | undefined {
    const spec = this.lookup(buf, off, len);
    if (spec !== undefined || this.originals === null) return spec;
    return this.originals.get(new TextDecoder().decode(buf.subarray(off, off + len)).toLowerCase());
  }

  get(name: string): CommandSpec | undefined {
    const b = new TextEncoder().encode(name);
    return this.lookup(b, 0, b.length);
  }

  /** A command or "container|sub" by (any case) name. */
  find(name: string): CommandSpec | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf("|");
    const top = this.get(bar < 0 ? lower : lower.slice(0, bar));
    if (top === undefined || bar < 0) return top;
    // By the part after "|": the container may answer to a rename-command name.
    const sub = lower.slice(bar);
    return top.subcommands?.find((s) => s.name.slice(s.name.indexOf("|")) === sub);
  }

  get size(): number {
    return this.all.length;
  }

  /** COMMAND DOCS's record for a command (redis-spec/docs.json is read the first time). */
  docsOf(spec: CommandSpec): CommandDocs {
    if (spec.ownDocs !== null) return spec.ownDocs;
    this.redisDocs ??= JSON.parse(
      readFileSync(new URL("./redis-spec/docs.json", import.meta.url), "utf8"),
    ) as Record<string, CommandDocs | null>;
    return this.redisDocs[spec.name] ?? {};
  }

  /** INFO commandstats lines ("cmdstat_get:calls=...") of the commands used since the reset. */
  statLines(): [string, string][] {
    const st = this.stats;
    st.endBatch();
    const out: [string, string][] = [];
    const add = (spec: CommandSpec) => {
      const i = spec.statId;
      const calls = st.calls[i]!;
      if (calls === 0 && st.rejected[i] === 0 && st.failed[i] === 0) return;
      const usec = Math.round(st.usec[i]!);
      const per = calls === 0 ? 0 : usec / calls;
      out.push([
        `cmdstat_${spec.name}`,
        `calls=${calls},usec=${usec},usec_per_call=${per.toFixed(2)},rejected_calls=${st.rejected[i]},failed_calls=${st.failed[i]}`,
      ]);
    };
    for (const spec of this.all) {
      add(spec);
      for (const sub of spec.subcommands ?? []) add(sub);
    }
    return out;
  }
}

/** The shape Redis guarantees for a record; a broken one stops the start. */
function validateRecord(rec: RedisCommandRecord): void {
  const where = `command ${rec.name}`;
  assert(Number.isInteger(rec.arity) && rec.arity !== 0, `${where}: arity`);
  assert(rec.firstKey >= 0 && rec.step >= 0, `${where}: key positions`);
  for (const ks of rec.keySpecs) {
    const bs = ks.begin_search.type;
    const fk = ks.find_keys.type;
    assert(bs === "index" || bs === "keyword" || bs === "unknown", `${where}: begin_search`);
    assert(fk === "range" || fk === "keynum" || fk === "unknown", `${where}: find_keys`);
    if (ks.begin_search.type === "index") {
      assert(ks.begin_search.spec.index >= 1, `${where}: begin_search index`);
    }
    if (ks.find_keys.type === "range") {
      const r = ks.find_keys.spec;
      assert(r.keystep >= 1 && (r.limit === 0 || r.lastkey === -1), `${where}: find_keys range`);
    }
  }
  if (rec.keySpecs.length === 0) assert(rec.firstKey === 0, `${where}: keys without key specs`);
}

/**
 * The argument positions holding keys (Redis 7.0's getKeysUsingKeySpecs), for argv[0..argc):
 * a list of indexes, or null when the arguments do not match the specs (an invalid spec).
 */
export function keyPositions(
  spec: CommandSpec,
  argc: number,
  argIs: (i: number, lowerWord: string) => boolean,
  argInt: (i: number) => number,
): number[] | null {
  const keys: number[] = [];
  for (const ks of spec.keySpecs) {
    if (ks.flags.includes("not_key")) continue;
    let first = 0;
    const bs = ks.begin_search;
    if (bs.type === "index") first = bs.spec.index;
    else if (bs.type === "keyword") {
      const { startfrom } = bs.spec;
      const word = bs.spec.keyword.toLowerCase();
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argIs(i, word)) {
          first = i + 1;
          break;
        }
      }
      // Redis compares up to the end index exclusive, then stops; the last index is not
      // tried (a keyword there could not be followed by a key anyway).
      if (first === 0) continue;
    } else return null;
    let last: number;
    let step: number;
    const fk = ks.find_keys;
    if (fk.type === "range") {
      step = fk.spec.keystep;
      if (fk.spec.lastkey >= 0) last = first + fk.spec.lastkey;
      else if (fk.spec.limit === 0) last = argc + fk.spec.lastkey;
      else last = first + (Math.floor((argc - first) / fk.spec.limit) + fk.spec.lastkey);
    } else if (fk.type === "keynum") {
      step = fk.spec.keystep;
      if (fk.spec.keynumidx >= argc) return null;
      const numIdx = first + fk.spec.keynumidx;
      if (numIdx >= argc) return null;
      const numkeys = argInt(numIdx);
      if (!Number.isInteger(numkeys) || numkeys < 0) return null;
      first += fk.spec.firstkey;
      last = first + numkeys - 1;
    } else return null;
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) keys.push(i);
  }
  return keys;
}
