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
  private slots: (CommandSpec | undefined)[] = new Array(512);
  private mask = 511;

  register(specs: readonly CommandSpec[]): void {
    for (const spec of specs) {
      if (this.get(spec.name)) throw new Error(`command ${spec.name} registered twice`);
      spec.denyoom = spec.flags.includes("denyoom");
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
}
