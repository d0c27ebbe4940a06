// Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH with Redis 7.0's rules (multi.c).
//
// - Queueing happens in the dispatcher (Server.execute): once MULTI is on, a command that
//   passed every check is copied into the client's Transaction and answered +QUEUED. A command
//   the dispatcher rejects (unknown, arity, NOAUTH, no_multi, OOM, pub/sub context) flags the
//   transaction (Redis's flagTransaction) and EXEC then fails with EXECABORT.
// - EXEC runs the queue through Server.call, one reply each inside one array; runtime errors
//   stay in place, nothing is rolled back. The run is one execution unit (Server.units:
//   beginUnit/endUnit, src/server/unit.ts) for the append-only file and blocking commands.
// - WATCH is a KeyObserver on the keyspace's write signal (src/store/notify.ts): any signal of
//   a watched key (a write by anyone, expiry, eviction), a flush of a database that held it, a
//   SWAPDB that changed it marks the transaction dirty and EXEC answers a null array. Keys are
//   kept per database in a byte-keyed ByteDict, each with the list of transactions watching.
//   A key already expired when watched is tracked as Redis 7.0 does (its deletion is no change).

import type { SessionContext } from "../commands/context.ts";
import type { CommandDef, CommandSpec, Handler } from "../commands/table.ts";
import { cmd } from "../commands/table.ts";
import { Args } from "../protocol/args.ts";
import { MODE_V1 } from "../protocol/reply.ts";
import { ByteDict, copyIn } from "../store/bytedict.ts";
import { bytesEqual } from "../store/bytes.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { KeyObserver } from "../store/notify.ts";
import type { Client } from "./client.ts";

export const EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
export const NOT_IN_MULTI = "ERR Command not allowed inside a transaction";

const EMPTY = new Uint8Array(0);

/** One WATCHed key of one transaction. */
interface WatchedKey {
  readonly tx: Transaction;
  readonly db: number;
  readonly key: Uint8Array;
  /** The key existed but had expired when WATCHed (Redis's wk->expired). */
  expired: boolean;
}

/** A client's MULTI state: the queued commands (arguments copied) and its WATCHed keys. */
export class Transaction {
  /** MULTI was called (Redis's CLIENT_MULTI). */
  active = false;
  /** A command was rejected while queueing (CLIENT_DIRTY_EXEC): EXEC answers EXECABORT. */
  dirtyExec = false;
  /** A WATCHed key changed (CLIENT_DIRTY_CAS): EXEC answers a null array. */
  dirtyCas = false;
  /** EXEC is running the queue. */
  executing = false;
  readonly watched: WatchedKey[] = [];
  /** Union of the queued commands' flags (EXEC counts as denyoom if one of them is). */
  flags = 0;
  private specs: CommandSpec[] = [];
  private argFirst = new Int32Array(8);
  private argCount = new Int32Array(8);
  private offs = new Int32Array(32);
  private lens = new Int32Array(32);
  private nargs = 0;
  private bytes = new Uint8Array(256);
  private nbytes = 0;
  /** The argument vector EXEC points the context at, one queued command at a time. */
  readonly execArgs = new Args(16);

  get count(): number {
    return this.specs.length;
  }

  /** Bytes the queue holds (CLIENT LIST multi-mem). */
  get memoryBytes(): number {
    return this.nbytes + this.nargs * 8 + this.specs.length * 16;
  }

  /** Copy the request in `a` into the queue. */
  queue(spec: CommandSpec, a: Args): void {
    const k = this.specs.length;
    if (k === this.argFirst.length) {
      this.argFirst = grown(this.argFirst, k * 2);
      this.argCount = grown(this.argCount, k * 2);
    }
    this.specs.push(spec);
    this.flags |= spec.flags;
    this.argFirst[k] = this.nargs;
    this.argCount[k] = a.count;
    if (this.nargs + a.count > this.offs.length) {
      let n = this.offs.length * 2;
      while (n < this.nargs + a.count) n *= 2;
      this.offs = grown(this.offs, n);
      this.lens = grown(this.lens, n);
    }
    let size = 0;
    for (let i = 0; i < a.count; i++) size += a.len(i);
    if (this.nbytes + size > this.bytes.length) {
      let n = this.bytes.length * 2;
      while (n < this.nbytes + size) n *= 2;
      const b = new Uint8Array(n);
      b.set(this.bytes.subarray(0, this.nbytes));
      this.bytes = b;
    }
    for (let i = 0; i < a.count; i++) {
      const len = a.len(i);
      copyIn(a.buf, a.off(i), this.bytes, this.nbytes, len); // no subarray per argument
      this.offs[this.nargs] = this.nbytes;
      this.lens[this.nargs] = len;
      this.nargs++;
      this.nbytes += len;
    }
  }

  /** Point execArgs at queued command j; its spec. */
  load(j: number): CommandSpec {
    const args = this.execArgs;
    const first = this.argFirst[j]!;
    const n = this.argCount[j]!;
    args.reserve(n);
    args.buf = this.bytes;
    args.count = n;
    for (let i = 0; i < n; i++) {
      args.offs[i] = this.offs[first + i]!;
      args.lens[i] = this.lens[first + i]!;
    }
    return this.specs[j]!;
  }

  /** Forget the queue and the MULTI flags (not the WATCHes: WatchRegistry.unwatchAll). */
  clearQueue(): void {
    this.active = false;
    this.dirtyExec = false;
    this.dirtyCas = false;
    this.flags = 0;
    this.specs.length = 0;
    this.nargs = 0;
    this.nbytes = 0;
    if (this.bytes.length > 64 * 1024) this.bytes = new Uint8Array(256); // do not pin a big queue
    this.execArgs.buf = EMPTY;
    this.execArgs.count = 0;
  }
}

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/**
 * Every WATCHed key, per database index (a client watches a key of the database it had
 * selected; SWAPDB moves data, not watches). Attached to the keyspace as a KeyObserver while
 * at least one key is watched, so writes cost nothing when nobody watches.
 */
export class WatchRegistry implements KeyObserver {
  private readonly keyspace: Keyspace;
  private readonly dicts: (ByteDict | undefined)[] = [];
  private readonly lists: WatchedKey[][][] = [];
  private total = 0;

  constructor(keyspace: Keyspace) {
    this.keyspace = keyspace;
  }

  /** Watched (transaction, key) pairs (tests). */
  get size(): number {
    return this.total;
  }

  /** WATCH key buf[off, off+len) of database db for tx (no-op if tx already watches it). */
  watch(tx: Transaction, db: number, buf: Uint8Array, off: number, len: number): void {
    for (const wk of tx.watched) {
      if (wk.db === db && wk.key.length === len && bytesEqual(wk.key, 0, buf, off, len)) return;
    }
    let d = this.dicts[db];
    if (d === undefined) {
      d = new ByteDict(false);
      this.dicts[db] = d;
      this.lists[db] = [];
    }
    const lists = this.lists[db]!;
    let id = d.find(buf, off, len);
    if (id < 0) {
      id = d.add(buf, off, len, EMPTY, 0, 0);
      lists[id] = [];
    }
    const wk: WatchedKey = {
      tx,
      db,
      key: buf.slice(off, off + len),
      expired: this.isExpired(db, buf, off, len),
    };
    lists[id]!.push(wk);
    tx.watched.push(wk);
    if (this.total++ === 0) this.keyspace.addObserver(this);
  }

  /** UNWATCH: drop every key tx watches. */
  unwatchAll(tx: Transaction): void {
    if (tx.watched.length === 0) return;
    for (const wk of tx.watched) {
      const d = this.dicts[wk.db]!;
      const id = d.find(wk.key, 0, wk.key.length);
      const list = this.lists[wk.db]![id]!;
      list.splice(list.indexOf(wk), 1);
      if (list.length === 0) {
        d.delete(id);
        this.lists[wk.db]![id] = EMPTY_LIST;
      }
      this.total--;
    }
    tx.watched.length = 0;
    if (this.total === 0) this.keyspace.removeObserver(this);
  }

  /** EXEC's isWatchedKeyExpired: a watched key (live when watched) has expired since. */
  anyExpired(tx: Transaction): boolean {
    for (const wk of tx.watched) {
      if (!wk.expired && this.isExpired(wk.db, wk.key, 0, wk.key.length)) return true;
    }
    return false;
  }

  /** The key is in the table but past its expiry time (not removed yet: keyIsExpired). */
  private isExpired(db: number, buf: Uint8Array, off: number, len: number): boolean {
    const t = this.keyspace.db(db);
    const e = t.find(buf, off, len);
    if (e < 0) return false;
    const at = t.expireAt[e]!;
    return at !== 0 && at <= this.keyspace.now;
  }

  private exists(db: number, buf: Uint8Array, off: number, len: number): boolean {
    return this.keyspace.db(db).find(buf, off, len) >= 0;
  }

  // ---- KeyObserver: Redis's touchWatchedKey / touchAllWatchedKeysInDb ----

  keyModified(db: number, buf: Uint8Array, off: number, len: number): void {
    const d = this.dicts[db];
    if (d === undefined || d.size === 0) return;
    const id = d.find(buf, off, len);
    if (id < 0) return;
    // unwatchAll edits the list: walk a copy (only when a watched key changed).
    for (const wk of this.lists[db]![id]!.slice()) {
      if (wk.expired && !this.exists(db, buf, off, len)) {
        wk.expired = false; // the expired key got deleted: logically no change
        continue;
      }
      wk.tx.dirtyCas = true;
      this.unwatchAll(wk.tx); // dirty already: no need to hear more
    }
  }

  flushing(db: number): void {
    if (db >= 0) this.touchAll(db, -1);
    else for (let i = 0; i < this.dicts.length; i++) this.touchAll(i, -1);
  }

  flushed(): void {}

  swapped(a: number, b: number): void {
    // Called after the swap: db a now holds what b held (and b what a held).
    this.touchAll(a, b);
    this.touchAll(b, a);
  }

  /**
   * Database `db`'s contents are replaced: emptied (old = -1: its keys still in db, about to
   * go) or swapped (its old contents are now in `old`, the new ones in db).
   */
  private touchAll(db: number, old: number): void {
    const d = this.dicts[db];
    if (d === undefined || d.size === 0) return;
    const lists = this.lists[db]!;
    for (let id = d.nextLive(0); id >= 0; id = d.nextLive(id + 1)) {
      const off = d.keyOff(id);
      const len = d.keyLen(id);
      const key = d.memOf(id);
      const inEmptied = this.exists(old < 0 ? db : old, key, off, len);
      const inNew = old >= 0 && this.exists(db, key, off, len);
      if (!inEmptied && !inNew) continue;
      for (const wk of lists[id]!) {
        if (wk.expired) {
          if (!inNew) {
            wk.expired = false; // expired key deleted: no logical change
            continue;
          }
          if (this.isExpired(db, key, off, len)) continue; // still expired
        } else if (!inEmptied && this.isExpired(db, key, off, len)) {
          wk.expired = true; // a missing key replaced by an expired one
          continue;
        }
        wk.tx.dirtyCas = true;
      }
    }
  }
}

const EMPTY_LIST: WatchedKey[] = [];

// ---- the commands --------------------------------------------------------------------------

/**
 * Transactions and pub/sub are the server's own commands: their handlers need the calling
 * Client (its transaction, subscriptions) and the server. The dispatcher runs every command
 * with a Client as the session, so the cast is safe; it lives here only.
 */
export function onClient(h: (cl: Client, c: SessionContext) => void): Handler {
  return (c) => h(c.client as Client, c);
}

function multi(cl: Client, c: SessionContext): void {
  const tx = cl.tx;
  if (tx.active) return c.reply.error("ERR MULTI calls can not be nested");
  tx.active = true;
  c.reply.ok();
}

function discard(cl: Client, c: SessionContext): void {
  if (!cl.tx.active) return c.reply.error("ERR DISCARD without MULTI");
  discardTransaction(cl);
  c.reply.ok();
}

/** Redis's discardTransaction: queue and flags gone, keys unwatched. */
export function discardTransaction(cl: Client): void {
  cl.tx.clearQueue();
  cl.server.watches.unwatchAll(cl.tx);
}

function watch(cl: Client, c: SessionContext): void {
  const tx = cl.tx;
  if (tx.active) return c.reply.error("ERR WATCH inside MULTI is not allowed");
  if (!tx.dirtyCas) {
    const a = c.argv;
    const reg = cl.server.watches;
    for (let i = 1; i < a.count; i++) reg.watch(tx, c.db, a.buf, a.off(i), a.len(i));
  }
  c.reply.ok();
}

function unwatch(cl: Client, c: SessionContext): void {
  cl.server.watches.unwatchAll(cl.tx);
  cl.tx.dirtyCas = false;
  c.reply.ok();
}

function exec(cl: Client, c: SessionContext): void {
  const tx = cl.tx;
  const server = cl.server;
  if (!tx.active) return c.reply.error("ERR EXEC without MULTI");
  if (!tx.dirtyCas && server.watches.anyExpired(tx)) tx.dirtyCas = true;
  if (tx.dirtyExec || tx.dirtyCas) {
    if (tx.dirtyExec) c.reply.error(EXECABORT);
    else c.reply.nilArray();
    discardTransaction(cl);
    return;
  }
  server.watches.unwatchAll(tx); // as Redis: unwatch before running, nothing to hear now
  const n = tx.count;
  const saved = c.argv;
  const legacy = c.reply.mode === MODE_V1;
  c.reply.array(n);
  tx.executing = true;
  server.units.begin();
  // Inside EXEC a blocking command answers as on timeout (BLPOP: null), as Redis.
  const couldBlock = c.denyBlocking;
  c.denyBlocking = true;
  for (let j = 0; j < n; j++) {
    const spec = tx.load(j);
    c.argv = tx.execArgs;
    server.call(cl, c, spec, legacy);
  }
  c.denyBlocking = couldBlock;
  c.argv = saved;
  server.units.end();
  tx.executing = false;
  discardTransaction(cl);
  cl.lastCommand = "exec";
  c.commandName = "exec";
}

export const multiCommands: CommandDef[] = [
  cmd("multi", onClient(multi)),
  cmd("exec", onClient(exec)),
  cmd("discard", onClient(discard)),
  cmd("watch", onClient(watch)),
  cmd("unwatch", onClient(unwatch)),
];

/** Commands that run at once inside MULTI instead of being queued (processCommand's list). */
export const NOT_QUEUED = ["exec", "discard", "multi", "watch", "quit", "reset"];
