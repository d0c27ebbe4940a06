// Keyspace: the 16 logical databases over one shared Arena, plus lazy expiry on lookup.
// Always reach a table through db(i): swapDb() exchanges the Table objects between indexes.

import { Arena, type ArenaOptions } from "./arena.ts";
import { Table } from "./table.ts";

export const DEFAULT_DATABASES = 16;
/** Bound on SELECT indexes; each Table costs ~1 KiB empty. */
export const MAX_DATABASES = 1024;

export class Keyspace {
  readonly arena: Arena;
  readonly dbs: Table[] = [];
  /** Wall clock in unix ms, refreshed by the server once per event-loop tick (not per key). */
  now = Date.now();
  /** Keys removed because a lookup found them expired. */
  expiredKeys = 0;

  constructor(databases = DEFAULT_DATABASES, arenaOptions: ArenaOptions = {}) {
    if (!(Number.isInteger(databases) && databases >= 1 && databases <= MAX_DATABASES)) {
      throw new RangeError(`keyspace: databases must be 1..${MAX_DATABASES}`);
    }
    this.arena = new Arena(arenaOptions);
    for (let i = 0; i < databases; i++) this.dbs.push(new Table(this.arena));
  }

  get databases(): number {
    return this.dbs.length;
  }

  db(i: number): Table {
    const t = this.dbs[i];
    if (t === undefined) throw new RangeError(`keyspace: no database ${i}`);
    return t;
  }

  swapDb(a: number, b: number): void {
    const ta = this.db(a);
    this.dbs[a] = this.db(b);
    this.dbs[b] = ta;
  }

  /** FLUSHALL: drop the arena's pages wholesale instead of freeing key by key. */
  flushAll(): void {
    for (const t of this.dbs) t.reset();
    this.arena.reset();
  }

  /** Arena pages reserved plus every table's columns and indexes. */
  memoryBytes(): number {
    let n = this.arena.reservedBytes + this.arena.overheadBytes;
    for (const t of this.dbs) n += t.memoryBytes();
    return n;
  }

  /** Entry id of a live, unexpired key, or -1. An expired key is removed on the way. */
  lookupRead(db: number, kbuf: Uint8Array, koff: number, klen: number): number {
    return this.lookup(this.db(db), kbuf, koff, klen);
  }

  /** Same as lookupRead today; kept separate so eviction/replication can treat writes apart. */
  lookupWrite(db: number, kbuf: Uint8Array, koff: number, klen: number): number {
    return this.lookup(this.db(db), kbuf, koff, klen);
  }

  /** True (and the key is removed) if entry e of table t has expired at `now`. */
  expireIfNeeded(t: Table, e: number): boolean {
    const at = t.expireAt[e]!;
    if (at === 0 || at > this.now) return false;
    t.remove(e);
    this.expiredKeys++;
    return true;
  }

  private lookup(t: Table, kbuf: Uint8Array, koff: number, klen: number): number {
    const e = t.find(kbuf, koff, klen);
    if (e < 0 || this.expireIfNeeded(t, e)) return -1;
    return e;
  }
}
