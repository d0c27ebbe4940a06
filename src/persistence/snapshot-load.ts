// RDB -> store: a value of the codec's neutral model becomes a keyspace entry built with the
// types' own store APIs (hashSet, setAdd, ZSet.insert, List.pushRight, Stream.append), so the
// encoding follows the same thresholds as the commands (a listpack-sized hash is a listpack
// again). Used by the file loader (into a FRESH keyspace, swapped in only when the whole file
// was read: SnapshotLoader) and by RESTORE.

import type { CommandLimits } from "../commands/context.ts";
import { copyBytes } from "../store/bytes.ts";
import { hashCreateIfAbsent, hashSet } from "../store/hash.ts";
import { CLOCK_LFU, type Keyspace, lfuWord } from "../store/keyspace.ts";
import { List } from "../store/list.ts";
import { isCanonicalInt64, setAdd, setCreateIfAbsent } from "../store/set.ts";
import { Stream } from "../store/stream.ts";
import { StreamId as MemStreamId } from "../store/stream-id.ts";
import { type Table, TYPE_LIST, TYPE_STREAM, TYPE_STRING, TYPE_ZSET } from "../store/table.ts";
import { ZSet } from "../store/zset.ts";
import { PACKED_DECLINED, PACKED_DUPLICATE, PACKED_SKIPPED, PackedLoader } from "./packed-load.ts";
import {
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_ZSET_LISTPACK,
} from "./rdb/constants.ts";
import type { RdbSink, RdbValue, StreamId, StreamValue } from "./rdb/index.ts";
import { RdbError } from "./rdb/index.ts";

const TWO32 = 4294967296;

/**
 * Add key holding `v`; returns the entry, or -1 (nothing changed) when t has the key already.
 * The caller sets TTL and clock. Empty aggregates never reach here (the codec skips or refuses
 * them).
 */
export function storeValue(
  ks: Keyspace,
  t: Table,
  key: Uint8Array,
  v: RdbValue,
  limits: CommandLimits,
): number {
  switch (v.type) {
    case "string": {
      const e = t.addIfAbsent(key, 0, key.length, TYPE_STRING, v.bytes.length);
      if (e < 0) return -1;
      copyBytes(v.bytes, 0, t.page(e), t.valueOffset(e), v.bytes.length);
      return e;
    }
    case "hash": {
      const e = hashCreateIfAbsent(t, key, 0, key.length);
      if (e < 0) return -1;
      const hl = {
        maxListpackEntries: limits.hashMaxListpackEntries,
        maxListpackValue: limits.hashMaxListpackValue,
      };
      for (const [f, val] of v.entries) hashSet(ks, t, e, f, 0, f.length, val, 0, val.length, hl);
      return e;
    }
    case "set": {
      const first = v.members[0]!;
      const intset =
        v.members.length <= limits.setMaxIntsetEntries && isCanonicalInt64(first, 0, first.length);
      const e = setCreateIfAbsent(t, key, 0, key.length, intset);
      if (e < 0) return -1;
      const sl = { maxIntsetEntries: limits.setMaxIntsetEntries };
      for (const m of v.members) setAdd(ks, t, e, m, 0, m.length, sl);
      return e;
    }
    case "zset": {
      const z = new ZSet();
      const small =
        v.entries.length <= limits.zsetMaxListpackEntries &&
        v.entries.every(([m]) => m.length <= limits.zsetMaxListpackValue);
      if (!small) z.toLarge();
      for (const [m, s] of v.entries) {
        const id = z.find(m, 0, m.length);
        if (id >= 0) throw new RdbError("duplicate zset member", 0);
        z.insert(m, 0, m.length, s);
      }
      const e = t.addIfAbsent(key, 0, key.length, TYPE_ZSET, 0);
      if (e < 0) return -1;
      t.setObj(e, z);
      return e;
    }
    case "list": {
      const l = new List(limits.listMaxListpackSize, limits.listCompressDepth);
      let bytes = 0;
      for (const it of v.items) bytes += it.length;
      l.reserveRight(v.items.length, bytes);
      for (const it of v.items) l.pushRight(it, 0, it.length);
      const e = t.addIfAbsent(key, 0, key.length, TYPE_LIST, 0);
      if (e < 0) return -1;
      t.setObj(e, l);
      return e;
    }
    case "stream": {
      const s = buildStream(v, limits);
      const e = t.addIfAbsent(key, 0, key.length, TYPE_STREAM, 0);
      if (e < 0) return -1;
      t.setObj(e, s);
      return e;
    }
  }
}

function memId(id: StreamId, out: MemStreamId = new MemStreamId()): MemStreamId {
  out.msHi = Number(id.ms >> 32n);
  out.msLo = Number(id.ms & 0xffffffffn);
  out.seqHi = Number(id.seq >> 32n);
  out.seqLo = Number(id.seq & 0xffffffffn);
  return out;
}

function buildStream(v: StreamValue, limits: CommandLimits): Stream {
  const s = new Stream();
  const nl = {
    nodeMaxBytes: limits.streamNodeMaxBytes,
    nodeMaxEntries: limits.streamNodeMaxEntries,
  };
  const id = new MemStreamId();
  for (const en of v.entries) {
    let total = 0;
    for (const f of en.fields) total += f.length;
    const buf = new Uint8Array(total);
    const offs = new Int32Array(en.fields.length);
    const lens = new Int32Array(en.fields.length);
    let p = 0;
    for (let i = 0; i < en.fields.length; i++) {
      const f = en.fields[i]!;
      buf.set(f, p);
      offs[i] = p;
      lens[i] = f.length;
      p += f.length;
    }
    memId(en.id, id);
    if (
      !(
        id.msHi > s.lastId.msHi ||
        (id.msHi === s.lastId.msHi &&
          (id.msLo > s.lastId.msLo ||
            (id.msLo === s.lastId.msLo &&
              (id.seqHi > s.lastId.seqHi ||
                (id.seqHi === s.lastId.seqHi && id.seqLo > s.lastId.seqLo)))))
      ) &&
      s.length > 0
    ) {
      throw new RdbError("stream entries out of order", 0);
    }
    s.append(id, { buf, offs, lens }, 0, en.fields.length / 2, nl);
  }
  memId(v.lastId, s.lastId);
  memId(v.firstId, s.firstId);
  if (s.length > 0 && v.firstId.ms === 0n && v.firstId.seq === 0n) {
    // an older file without v2 metadata: the first entry's ID
    memId(v.entries[0]!.id, s.firstId);
  }
  memId(v.maxDeletedId, s.maxDeletedId);
  s.entriesAdded = Math.max(v.entriesAdded, s.length);
  const tmp = new MemStreamId();
  for (const g of v.groups) {
    const cg = s.createGroup(g.name, 0, g.name.length, memId(g.lastId, tmp), g.entriesRead);
    if (cg === null) throw new RdbError("duplicate stream consumer group", 0);
    for (const c of g.consumers) {
      if (cg.createConsumer(c.name, 0, c.name.length, c.seenTimeMs) < 0) {
        throw new RdbError("duplicate stream consumer", 0);
      }
    }
    for (const p of g.pending) {
      const c = cg.findConsumer(p.consumer, 0, p.consumer.length);
      if (c < 0) throw new RdbError("stream PEL entry of an unknown consumer", 0);
      memId(p.id, tmp);
      cg.deliverNew(tmp, c, p.deliveryTimeMs);
      const slot = cg.pending(tmp);
      cg.nCount[slot] = p.deliveryCount;
    }
  }
  return s;
}

/** Set the access clock of a loaded key from the file's IDLE / FREQ, as objectSetLRUOrLFU. */
export function applyClock(ks: Keyspace, t: Table, e: number, idleSec: number, freq: number): void {
  if (ks.clockMode === CLOCK_LFU) {
    if (freq >= 0) t.clock[e] = lfuWord(ks.now, freq);
  } else if (idleSec >= 0) {
    const at = ks.now - idleSec * 1000;
    t.clock[e] = ((at % TWO32) + TWO32) % TWO32;
  }
}

/**
 * RdbSink that fills a fresh keyspace: keys already expired are dropped (a master's rdbLoad),
 * then a key twice is refused (an RdbError, so the load fails whole; Redis 7.0 checks in the
 * same order, so a duplicate of an expired key loads). RESIZEDB pre-sizes the database's table.
 * Strings come as ranges (onStringKey: no copy but the one into the arena), intsets and
 * hash/zset listpacks go straight into the store's encodings (PackedLoader); the rest through
 * storeValue. Counts kept for the log.
 */
export class SnapshotLoader implements RdbSink {
  keys = 0;
  expiredSkipped = 0;
  /** FUNCTION2 records' library code, in file order (the caller hands them to the VM). */
  readonly functions: Uint8Array[] = [];
  private db = 0;
  private readonly packed: PackedLoader;
  constructor(
    readonly ks: Keyspace,
    readonly limits: CommandLimits,
    readonly now: number,
  ) {
    this.packed = new PackedLoader(limits);
  }

  onSelectDb(db: number): void {
    if (db >= this.ks.databases) {
      throw new RdbError(
        `FATAL: Data file was created with a Redis server configured to handle more than ${this.ks.databases} databases`,
        0,
      );
    }
    this.db = db;
  }

  onResizeDb(dbSize: number): void {
    // clamped by the reader to what the file could hold; a lie only costs lazily-backed room
    const t = this.ks.db(this.db);
    t.reserve(t.count + dbSize);
  }

  onFunction(code: Uint8Array): void {
    this.functions.push(code.slice()); // rare and small: never a view of the read window
  }

  onKey(
    db: number,
    key: Uint8Array,
    value: RdbValue,
    expireMs: number,
    idleSec: number,
    freq: number,
  ): void {
    if (this.expired(expireMs)) {
      this.expiredSkipped++;
      return;
    }
    const ks = this.ks;
    const t = ks.db(db);
    const e = storeValue(ks, t, key, value, this.limits);
    if (e < 0) duplicate(key);
    this.stamp(t, e, expireMs, idleSec, freq);
  }

  onStringKey(
    db: number,
    kbuf: Uint8Array,
    klen: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
    expireMs: number,
    idleSec: number,
    freq: number,
  ): void {
    if (this.expired(expireMs)) {
      this.expiredSkipped++;
      return;
    }
    const t = this.ks.db(db);
    const e = t.addIfAbsent(kbuf, 0, klen, TYPE_STRING, vlen);
    if (e < 0) duplicate(kbuf.subarray(0, klen));
    copyBytes(vbuf, voff, t.page(e), t.valueOffset(e), vlen);
    this.stamp(t, e, expireMs, idleSec, freq);
  }

  onPackedKey(
    db: number,
    kbuf: Uint8Array,
    klen: number,
    type: number,
    buf: Uint8Array,
    off: number,
    len: number,
    expireMs: number,
    idleSec: number,
    freq: number,
  ): boolean {
    const t = this.ks.db(db);
    const skip = this.expired(expireMs);
    const p = this.packed;
    const e =
      type === RDB_TYPE_SET_INTSET
        ? p.intset(t, kbuf, klen, buf, off, len, skip)
        : type === RDB_TYPE_HASH_LISTPACK
          ? p.hash(t, kbuf, klen, buf, off, len, skip)
          : type === RDB_TYPE_ZSET_LISTPACK
            ? p.zset(t, kbuf, klen, buf, off, len, skip)
            : PACKED_DECLINED;
    if (e === PACKED_DECLINED) return false;
    if (e === PACKED_SKIPPED) this.expiredSkipped++;
    else if (e === PACKED_DUPLICATE) duplicate(kbuf.subarray(0, klen));
    else this.stamp(t, e, expireMs, idleSec, freq);
    return true;
  }

  /** Already expired when the load began (absolute ms; -1: no TTL): dropped, as a master does. */
  private expired(expireMs: number): boolean {
    return expireMs !== -1 && expireMs < this.now;
  }

  private stamp(t: Table, e: number, expireMs: number, idleSec: number, freq: number): void {
    if (expireMs !== -1) this.ks.setExpire(t, e, Math.max(1, expireMs));
    applyClock(this.ks, t, e, idleSec, freq);
    this.keys++;
  }
}

function duplicate(key: Uint8Array): never {
  throw new RdbError(`Duplicate key '${new TextDecoder().decode(key)}' found in RDB file`, 0);
}
