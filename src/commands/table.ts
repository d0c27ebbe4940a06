// The command table: data, not a switch. One table serves both protocols.
// Each family file (strings.ts, keys.ts, server.ts...) exports an array of
// CommandSpecs; index.ts registers them all. Lookup hashes the name bytes
// case-insensitively, so dispatch allocates nothing.

import type { Client } from "../server/client.ts";

export type Handler = (c: Client) => void;

export interface CommandSpec {
  /** Lowercase name. */
  name: string;
  /** Redis arity: N = exactly N args (name included), -N = at least N. */
  arity: number;
  /** Redis command flags: write, readonly, denyoom, admin, fast, noauth, loading, stale, ... */
  flags: readonly string[];
  /** Key positions (1-based, Redis's first/last/step; last -1 = to the end). */
  firstKey: number;
  lastKey: number;
  step: number;
  /** Command group for COMMAND DOCS (string, generic, connection, server, sorted-set...). */
  group: string;
  summary: string;
  /** Redis version the command appeared in (COMMAND DOCS "since"). */
  since?: string;
  handler: Handler;
  /**
   * The original imds behaviour on an untyped v1 connection, where it differs
   * from Redis's (e.g. DEL answers OK / not found instead of an integer).
   */
  v1Handler?: Handler;
  subcommands?: readonly CommandSpec[];
  /** flags has "denyoom" (set by CommandTable.register; read per command under maxmemory). */
  denyoom?: boolean;
  /** Index into each CommandTable's INFO commandstats columns (set by register). */
  statId?: number;
}

/** Specs are module-level objects shared by every Server in the process: ids are global. */
const MAX_STAT_IDS = 1024;
let nextStatId = 0;

/** Commands of one read batch whose time is not yet shared out (more flush early). */
const BATCH_IDS = 4096;

/**
 * INFO commandstats counters of one command table, a column per figure indexed by
 * CommandSpec.statId: calls, usec, rejected_calls (refused before running: arity, NOAUTH, OOM)
 * and failed_calls (ran and replied at least one error), as Redis 7.0.
 *
 * usec: reading the clock around every command costs ~75 ns, about 10% of a pipelined GET, so
 * the clock is read once per batch of commands (one read callback, docs/COMMANDS.md), and the
 * batch's time (decoding and reply encoding included) is shared out evenly among its commands.
 * Without pipelining a batch is one command, so the figure is that command's own time.
 */
export class CommandStats {
  readonly calls = new Float64Array(MAX_STAT_IDS);
  readonly usec = new Float64Array(MAX_STAT_IDS);
  readonly rejected = new Float64Array(MAX_STAT_IDS);
  readonly failed = new Float64Array(MAX_STAT_IDS);
  private readonly batch = new Int32Array(BATCH_IDS);
  private batchN = 0;
  private batchT0 = 0;

  /** Before a command runs: start the clock if this is the batch's first command. */
  begin(): void {
    if (this.batchN === 0) this.batchT0 = performance.now();
  }

  /** After command `id` ran (calls and failed_calls are counted by the caller). */
  record(id: number): void {
    this.batch[this.batchN++] = id;
    if (this.batchN === BATCH_IDS) this.endBatch();
  }

  /** Share the batch's time out among its commands (end of a read callback; before INFO). */
  endBatch(): void {
    const n = this.batchN;
    if (n === 0) return;
    const now = performance.now();
    const each = ((now - this.batchT0) * 1000) / n;
    for (let k = 0; k < n; k++) this.usec[this.batch[k]!]! += each;
    this.batchN = 0;
    this.batchT0 = now;
  }

  reset(): void {
    this.calls.fill(0);
    this.usec.fill(0);
    this.rejected.fill(0);
    this.failed.fill(0);
    this.batchN = 0;
    this.batchT0 = performance.now();
  }
}

/** Shorthand used by the family files. */
export function command(
  name: string,
  arity: number,
  flags: string,
  keys: [number, number, number],
  group: string,
  summary: string,
  handler: Handler,
  extra: Partial<CommandSpec> = {},
): CommandSpec {
  return {
    name,
    arity,
    flags: flags === "" ? [] : flags.split(" "),
    firstKey: keys[0],
    lastKey: keys[1],
    step: keys[2],
    group,
    summary,
    handler,
    ...extra,
  };
}

function assignStatId(spec: CommandSpec): void {
  if (spec.statId !== undefined) return;
  if (nextStatId >= MAX_STAT_IDS) throw new Error("too many commands for INFO commandstats");
  spec.statId = nextStatId++;
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
  private mask = 511;

  register(specs: readonly CommandSpec[]): void {
    for (const spec of specs) {
      if (this.get(spec.name)) throw new Error(`command ${spec.name} registered twice`);
      spec.denyoom = spec.flags.includes("denyoom");
      assignStatId(spec);
      for (const sub of spec.subcommands ?? []) assignStatId(sub);
      this.all.push(spec);
      if (this.all.length * 2 > this.slots.length) this.rebuild(this.slots.length * 2);
      else this.place(spec);
    }
  }

  private rebuild(size: number): void {
    this.slots = new Array(size);
    this.mask = size - 1;
    for (const s of this.all) this.place(s);
  }

  private place(spec: CommandSpec): void {
    const b = new TextEncoder().encode(spec.name);
    let i = foldHash(b, 0, b.length) & this.mask;
    while (this.slots[i] !== undefined) i = (i + 1) & this.mask;
    this.slots[i] = spec;
  }

  /** Find a command by its name bytes, case-insensitively. */
  lookup(buf: Uint8Array, off: number, len: number): CommandSpec | undefined {
    let i = foldHash(buf, off, len) & this.mask;
    for (;;) {
      const s = this.slots[i];
      if (s === undefined) return undefined;
      if (foldEquals(buf, off, len, s.name)) return s;
      i = (i + 1) & this.mask;
    }
  }

  get(name: string): CommandSpec | undefined {
    const b = new TextEncoder().encode(name);
    return this.lookup(b, 0, b.length);
  }

  get size(): number {
    return this.all.length;
  }

  /** INFO commandstats lines ("cmdstat_get:calls=...") of the commands used since the reset. */
  statLines(): [string, string][] {
    const st = this.stats;
    st.endBatch();
    const out: [string, string][] = [];
    const add = (spec: CommandSpec) => {
      const i = spec.statId!;
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
