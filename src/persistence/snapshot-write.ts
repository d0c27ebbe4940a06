// Store -> RDB: one keyspace entry straight into an RdbWriter, iterating the type's in-memory
// structure (no neutral-model copy, except streams), with the current encoding as the hint so
// OBJECT ENCODING survives a reload (listpack/intset stay compact, hashtable/skiplist full).
// Used by SAVE/BGSAVE (src/persistence/snapshot.ts) and DUMP (src/commands/persistence.ts).

import { formatDouble } from "../protocol/number.ts";
import {
  ByteRef,
  hashField,
  hashFirst,
  hashIsListpack,
  hashLength,
  hashNext,
  hashValue,
} from "../store/hash.ts";
import { CLOCK_LFU, type Keyspace } from "../store/keyspace.ts";
import type { List } from "../store/list.ts";
import { setFirst, setIsIntset, setMember, setNext, setSize } from "../store/set.ts";
import type { Stream } from "../store/stream.ts";
import { StreamIter } from "../store/stream.ts";
import { loadId, StreamId as MemStreamId } from "../store/stream-id.ts";
import {
  type Table,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STREAM,
  TYPE_STRING,
  TYPE_ZSET,
} from "../store/table.ts";
import type { ZSet } from "../store/zset.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
} from "./rdb/constants.ts";
import type { KeyMeta, RdbWriter, StreamGroup, StreamId, StreamValue } from "./rdb/index.ts";
import { LIST_NODE_BYTES, LIST_SIZE_SAFETY_LIMIT } from "./rdb/limits.ts";
import { ListpackWriter } from "./rdb/listpack.ts";

const enc = new TextEncoder();

/** Which access clock goes into the file (Redis: by maxmemory-policy, LRU -> IDLE, LFU -> FREQ). */
export const CLOCK_META_NONE = 0;
export const CLOCK_META_IDLE = 1;
export const CLOCK_META_FREQ = 2;

/** CLOCK_META_* for a maxmemory-policy name, as rdbSaveKeyValuePair's savelru/savelfu. */
export function clockMetaFor(policy: string): number {
  if (policy.endsWith("-lru")) return CLOCK_META_IDLE;
  if (policy.endsWith("-lfu")) return CLOCK_META_FREQ;
  return CLOCK_META_NONE;
}

/** Per-writer scratch, reused across entries (no allocation per key beyond the views). */
export class EntryWriterState {
  readonly f = new ByteRef();
  readonly v = new ByteRef();
  readonly meta: KeyMeta = { expireMs: -1, idleSec: -1, freq: -1 };
  /** The blob of a small aggregate (listpack, intset), rebuilt per key without allocating. */
  readonly lp = new ListpackWriter(1024);
  intset = new Uint8Array(1024);
  /** A zset score's text (formatDouble: at most 24 characters, "%.17g"). */
  readonly num = new Uint8Array(32);
}

/** KeyMeta of entry e: TTL (0 = none) and the access clock the policy asks for. */
export function entryMeta(
  ks: Keyspace,
  t: Table,
  e: number,
  clockMeta: number,
  out: KeyMeta,
): KeyMeta {
  const at = t.expireAt[e]!;
  out.expireMs = at === 0 ? -1 : at;
  out.idleSec = -1;
  out.freq = -1;
  if (clockMeta === CLOCK_META_IDLE && ks.clockMode !== CLOCK_LFU) {
    out.idleSec = Math.floor(ks.idleMs(t, e) / 1000);
  } else if (clockMeta === CLOCK_META_FREQ && ks.clockMode === CLOCK_LFU) {
    out.freq = ks.lfuFreq(t, e);
  }
  return out;
}

/**
 * Write entry e of table t as one key (key = its bytes) or, with key null, as a DUMP body.
 * Views into the arena are passed to the writer, which copies them before returning.
 */
export function writeEntry(
  w: RdbWriter,
  st: EntryWriterState,
  t: Table,
  e: number,
  withKey: boolean,
  meta: KeyMeta | undefined,
): void {
  const page = t.page(e);
  const ko = t.keyOffset(e);
  const type = t.type[e]!;
  if (type === TYPE_STRING && withKey) {
    // the common case: straight from the arena page, no views
    const kl = t.keyLen[e]!;
    w.writeStringKV(page, ko, kl, page, ko + kl, t.valLen[e]!, meta);
    return;
  }
  // small aggregates (most of a typical data set): the blob built in st's scratch, written
  // without a per-key generator, array or copy (the garbage of those made BGSAVE's GC pauses
  // and RSS growth: docs/BENCHMARKS.md, "RDB snapshots")
  if (writeCompact(w, st, t, e, withKey ? page : null, ko, t.keyLen[e]!, type, meta)) return;
  writeEntryGeneral(w, st, t, e, withKey, meta);
}

/**
 * writeEntry through the writer's general methods (iterators, the writer picks and builds the
 * encoding): every aggregate that writeCompact does not take, and the reference a test holds
 * writeCompact's bytes to.
 */
export function writeEntryGeneral(
  w: RdbWriter,
  st: EntryWriterState,
  t: Table,
  e: number,
  withKey: boolean,
  meta: KeyMeta | undefined,
): void {
  const page = t.page(e);
  const ko = t.keyOffset(e);
  const type = t.type[e]!;
  const key = withKey ? page.subarray(ko, ko + t.keyLen[e]!) : null;
  switch (type) {
    case TYPE_STRING: {
      const vo = t.valueOffset(e);
      w.writeValue({ type: "string", bytes: page.subarray(vo, vo + t.valLen[e]!) });
      return;
    }
    case TYPE_HASH: {
      const n = hashLength(t, e);
      w.writeHash(key, n, hashPairs(t, e, st), meta, hashIsListpack(t, e) ? "compact" : "full");
      return;
    }
    case TYPE_SET: {
      const n = setSize(t, e);
      w.writeSet(key, n, setMembers(t, e, st), meta, setIsIntset(t, e) ? "compact" : "full");
      return;
    }
    case TYPE_ZSET: {
      const z = t.getObj(e) as ZSet;
      w.writeZset(key, z.size, zsetPairs(z), meta, z.listpack ? "compact" : "full");
      return;
    }
    case TYPE_LIST: {
      const l = t.getObj(e) as List;
      w.writeList(key, listItems(l), meta);
      return;
    }
    case TYPE_STREAM: {
      const s = t.getObj(e) as Stream;
      w.writeStream(key, streamValue(s), meta);
      return;
    }
    default:
      throw new Error(`snapshot: entry of unknown type ${type}`);
  }
}

/**
 * A listpack hash, listpack zset, intset set or one-node list straight from the store into
 * st's scratch and out as one blob; false (nothing written) when the value needs the general
 * path (a big or plain-node list, an intset wider than its members need).
 */
function writeCompact(
  w: RdbWriter,
  st: EntryWriterState,
  t: Table,
  e: number,
  kb: Uint8Array | null,
  ko: number,
  kl: number,
  type: number,
  meta: KeyMeta | undefined,
): boolean {
  const lp = st.lp;
  switch (type) {
    case TYPE_HASH: {
      if (!hashIsListpack(t, e)) return false;
      lp.reset();
      const f = st.f;
      const v = st.v;
      for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) {
        hashField(t, e, h, f);
        lp.appendRange(f.buf, f.off, f.len);
        hashValue(t, e, h, v);
        lp.appendRange(v.buf, v.off, v.len);
      }
      if (lp.count === 0) return false; // the writer refuses an empty hash
      const n = lp.finishInPlace();
      w.writeBlobKey(RDB_TYPE_HASH_LISTPACK, kb, ko, kl, lp.buf, n, meta);
      return true;
    }
    case TYPE_ZSET: {
      const z = t.getObj(e) as ZSet;
      if (!z.listpack || z.size === 0) return false;
      lp.reset();
      const n = z.size;
      z.seek(0); // rank order: score, then member bytes (what a listpack zset keeps)
      for (let i = 0; i < n; i++) {
        const id = z.nextId();
        lp.appendRange(z.mem, z.off(id), z.len(id));
        const s = z.score[id]!;
        // formatDouble prints a safe integer as its digits: the listpack keeps it as an int
        if (Number.isSafeInteger(s) && !Object.is(s, -0)) lp.appendInt(s);
        else {
          if (Number.isNaN(s)) throw new Error("zset score is NaN");
          // ASCII digits into st's scratch: encode() would make a Uint8Array per score
          const d = formatDouble(s);
          const nb = st.num;
          if (d.length > nb.length) lp.append(enc.encode(d));
          else {
            for (let k = 0; k < d.length; k++) nb[k] = d.charCodeAt(k);
            lp.appendRange(nb, 0, d.length);
          }
        }
      }
      const len = lp.finishInPlace();
      w.writeBlobKey(RDB_TYPE_ZSET_LISTPACK, kb, ko, kl, lp.buf, len, meta);
      return true;
    }
    case TYPE_SET: {
      if (!setIsIntset(t, e)) return false;
      const n = setSize(t, e);
      if (n === 0 || n > w.limits.setMaxIntsetEntries) return false;
      const page = t.page(e);
      const base = t.valueOffset(e);
      const width = page[base]!;
      if (!intsetWidthIsMinimal(page, base + 1, n, width)) return false;
      const len = 8 + n * width;
      if (st.intset.length < len) st.intset = new Uint8Array(Math.max(len, st.intset.length * 2));
      const b = st.intset;
      b[0] = width;
      b[1] = b[2] = b[3] = 0;
      b[4] = n & 0xff;
      b[5] = (n >>> 8) & 0xff;
      b[6] = (n >>> 16) & 0xff;
      b[7] = n >>> 24;
      // a loop, not set(subarray): a view per set is JS heap garbage (docs/BENCHMARKS.md)
      const m = n * width;
      for (let i = 0; i < m; i++) b[8 + i] = page[base + 1 + i]!;
      w.writeBlobKey(RDB_TYPE_SET_INTSET, kb, ko, kl, b, len, meta);
      return true;
    }
    case TYPE_LIST: {
      const l = t.getObj(e) as List;
      const lim = w.limits;
      const fill = lim.listMaxListpackSize;
      const byteLimit =
        fill < 0
          ? LIST_NODE_BYTES[Math.min(-fill, LIST_NODE_BYTES.length) - 1]!
          : LIST_SIZE_SAFETY_LIMIT;
      const countLimit = fill > 0 ? fill : Number.POSITIVE_INFINITY;
      lp.reset();
      l.seek(0);
      for (let len = l.next(); len >= 0; len = l.next()) {
        // a plain node or a second node: the general path (writer.writeList's rules)
        if (len >= lim.listPackedThreshold) return false;
        if (lp.count > 0 && (lp.count >= countLimit || lp.size + len + 11 > byteLimit))
          return false;
        lp.appendRange(l.cbuf, l.coff, len);
      }
      if (lp.count === 0) return false;
      const n = lp.finishInPlace();
      w.writeBlobKey(RDB_TYPE_LIST_QUICKLIST_2, kb, ko, kl, lp.buf, n, meta);
      return true;
    }
    default:
      return false;
  }
}

/**
 * Values with at least this many elements are written across BGSAVE slices (a hashtable hash,
 * a hashtable set, a skiplist zset); smaller ones take well under a slice.
 */
export const INCREMENTAL_MIN_ELEMENTS = 2048;

/**
 * One big value being written element by element, resumable between slices. Valid only while
 * the value is not modified: the snapshot's guard finishes it before any write reaches it.
 * The bytes are the general path's ("full" encodings), so a file is the same however sliced.
 */
export class IncrementalValue {
  /** Elements written so far (and the rank a zset resumes at). */
  private done = 0;
  /** The next hash/set handle (dict id), -1 at the end. */
  private h = -1;
  /**
   * A list: its quicklist nodes are counted first (the count precedes them in the file), in
   * slices too, with the writer's cutting rules; then written node by node. `lp` is the node
   * being built (its own, not st's: keys written meanwhile use st), `nodes` the count.
   */
  private lp: ListpackWriter | null = null;
  private counting = false;
  private nodes = 0;
  private byteLimit = 0;
  private countLimit = 0;
  private plainAt = 0;
  private head: { withKey: boolean; meta: KeyMeta | undefined } | null = null;

  private constructor(
    readonly t: Table,
    readonly e: number,
    private readonly type: number,
    private readonly n: number,
  ) {}

  /**
   * Start writing entry e when it is big enough to need slicing (its head and count go out
   * now); null when it should be written in one go.
   */
  static begin(
    w: RdbWriter,
    t: Table,
    e: number,
    withKey: boolean,
    meta: KeyMeta | undefined,
  ): IncrementalValue | null {
    const type = t.type[e]!;
    let n = 0;
    let rdbType = 0;
    if (type === TYPE_HASH && !hashIsListpack(t, e)) {
      n = hashLength(t, e);
      rdbType = RDB_TYPE_HASH;
    } else if (type === TYPE_SET && !setIsIntset(t, e)) {
      n = setSize(t, e);
      rdbType = RDB_TYPE_SET;
    } else if (type === TYPE_ZSET && !(t.getObj(e) as ZSet).listpack) {
      n = (t.getObj(e) as ZSet).size;
      rdbType = RDB_TYPE_ZSET_2;
    } else if (type === TYPE_LIST) {
      n = (t.getObj(e) as List).length;
      rdbType = RDB_TYPE_LIST_QUICKLIST_2;
    }
    if (n < INCREMENTAL_MIN_ELEMENTS) return null;
    const v = new IncrementalValue(t, e, type, n);
    if (type === TYPE_LIST) {
      // nothing is written until the nodes are counted (the head goes out then)
      const lim = w.limits;
      const fill = lim.listMaxListpackSize;
      v.byteLimit =
        fill < 0
          ? LIST_NODE_BYTES[Math.min(-fill, LIST_NODE_BYTES.length) - 1]!
          : LIST_SIZE_SAFETY_LIMIT;
      v.countLimit = fill > 0 ? fill : Number.POSITIVE_INFINITY;
      v.plainAt = lim.listPackedThreshold;
      v.lp = new ListpackWriter(Math.min(v.byteLimit, 1024));
      v.counting = true;
      v.head = { withKey, meta: meta ? { ...meta } : undefined };
      return v;
    }
    const page = t.page(e);
    w.writeAggregateHead(rdbType, withKey ? page : null, t.keyOffset(e), t.keyLen[e]!, meta);
    w.writeLen(n);
    if (type === TYPE_HASH) v.h = hashFirst(t, e);
    else if (type === TYPE_SET) v.h = setFirst(t, e);
    return v;
  }

  /** Write up to `max` more elements; true when the value is complete. */
  step(w: RdbWriter, st: EntryWriterState, max: number): boolean {
    const { t, e } = this;
    const stop = Math.min(this.n, this.done + max);
    if (this.type === TYPE_HASH) {
      const f = st.f;
      const v = st.v;
      let h = this.h;
      for (; h >= 0 && this.done < stop; h = hashNext(t, e, h)) {
        hashField(t, e, h, f);
        w.writeStringRange(f.buf, f.off, f.len);
        hashValue(t, e, h, v);
        w.writeStringRange(v.buf, v.off, v.len);
        this.done++;
      }
      this.h = h;
    } else if (this.type === TYPE_SET) {
      const m = st.f;
      let h = this.h;
      for (; h >= 0 && this.done < stop; h = setNext(t, e, h)) {
        setMember(t, e, h, m);
        w.writeStringRange(m.buf, m.off, m.len);
        this.done++;
      }
      this.h = h;
    } else if (this.type === TYPE_LIST) {
      return this.stepList(w, max);
    } else {
      const z = t.getObj(e) as ZSet;
      z.seek(this.done); // by rank: a client's read of the zset may have moved its cursor
      for (; this.done < stop; this.done++) {
        const id = z.nextId();
        w.writeStringRange(z.mem, z.off(id), z.len(id));
        w.writeScoreBinary(z.score[id]!);
      }
    }
    if (this.done < this.n && (this.type === TYPE_ZSET || this.h >= 0)) return false;
    if (this.done !== this.n)
      throw new Error(`snapshot: a big value announced ${this.n} elements, gave ${this.done}`);
    return true;
  }

  /** writer.writeList's node cutting, counted (first pass) or written (second). */
  private stepList(w: RdbWriter, max: number): boolean {
    const l = this.t.getObj(this.e) as List;
    const lp = this.lp!;
    const stop = Math.min(this.n, this.done + max);
    l.seek(this.done); // by index: a client's read of the list may have moved its cursor
    for (; this.done < stop; this.done++) {
      const len = l.next();
      if (len < 0) throw new Error("snapshot: a big list ended early");
      if (len >= this.plainAt) {
        if (lp.count > 0) this.cutNode(w);
        if (this.counting) this.nodes++;
        else {
          w.writeLen(QUICKLIST_NODE_CONTAINER_PLAIN);
          w.writeStringRange(l.cbuf, l.coff, len);
        }
        continue;
      }
      // quicklist.c _quicklistNodeAllowInsert: node size + element + 11 bytes of overhead
      if (lp.count > 0 && (lp.count >= this.countLimit || lp.size + len + 11 > this.byteLimit))
        this.cutNode(w);
      lp.appendRange(l.cbuf, l.coff, len);
    }
    if (this.done < this.n) return false;
    if (lp.count > 0) this.cutNode(w);
    if (!this.counting) return true;
    // counted: the head, then the second pass writes the nodes
    this.counting = false;
    const { withKey, meta } = this.head!;
    const t = this.t;
    // the key's page is read now: the arena may have moved it since the count began
    const kb = withKey ? t.page(this.e) : null;
    w.writeAggregateHead(
      RDB_TYPE_LIST_QUICKLIST_2,
      kb,
      t.keyOffset(this.e),
      t.keyLen[this.e]!,
      meta,
    );
    w.writeLen(this.nodes);
    this.done = 0;
    return false;
  }

  private cutNode(w: RdbWriter): void {
    const lp = this.lp!;
    if (this.counting) this.nodes++;
    else {
      const n = lp.finishInPlace();
      w.writeLen(QUICKLIST_NODE_CONTAINER_PACKED);
      w.writeStringRange(lp.buf, 0, n);
    }
    lp.reset();
  }
}

/** True when no member of the store's intset would fit a narrower width (encodeIntset's). */
function intsetWidthIsMinimal(page: Uint8Array, o: number, n: number, width: number): boolean {
  if (width === 2) return true;
  for (let i = 0; i < n; i++) {
    const p = o + i * width;
    const lo = page[p]! | (page[p + 1]! << 8) | (page[p + 2]! << 16) | (page[p + 3]! << 24);
    if (width === 4) {
      if (lo < -32768 || lo > 32767) return true;
    } else {
      const hi = page[p + 4]! | (page[p + 5]! << 8) | (page[p + 6]! << 16) | (page[p + 7]! << 24);
      if (hi !== lo >> 31) return true; // needs 8 bytes
    }
  }
  return false;
}

function* hashPairs(
  t: Table,
  e: number,
  st: EntryWriterState,
): Generator<[Uint8Array, Uint8Array]> {
  const f = st.f;
  const v = st.v;
  for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) {
    hashField(t, e, h, f);
    hashValue(t, e, h, v);
    yield [f.buf.subarray(f.off, f.off + f.len), v.buf.subarray(v.off, v.off + v.len)];
  }
}

function* setMembers(t: Table, e: number, st: EntryWriterState): Generator<Uint8Array> {
  const m = st.f;
  for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
    setMember(t, e, h, m);
    // an intset member is formatted into the ref's scratch: copy it (the writer may keep it)
    yield m.buf === m.scratch ? m.bytes() : m.buf.subarray(m.off, m.off + m.len);
  }
}

function* zsetPairs(z: ZSet): Generator<[Uint8Array, number]> {
  const n = z.size;
  z.seek(0);
  for (let i = 0; i < n; i++) {
    const id = z.nextId();
    const o = z.off(id);
    yield [z.mem.subarray(o, o + z.len(id)), z.score[id]!];
  }
}

function* listItems(l: List): Generator<Uint8Array> {
  l.seek(0);
  for (let len = l.next(); len >= 0; len = l.next()) yield l.cbuf.subarray(l.coff, l.coff + len);
}

// ---- streams: through the neutral model (the codec builds its nodes from it) ----

function bigId(id: MemStreamId): StreamId {
  return {
    ms: (BigInt(id.msHi) << 32n) | BigInt(id.msLo),
    seq: (BigInt(id.seqHi) << 32n) | BigInt(id.seqLo),
  };
}

/** The stream as the codec's StreamValue (copies every entry; one key at a time). */
export function streamValue(s: Stream): StreamValue {
  const entries: StreamValue["entries"] = [];
  const it = new StreamIter();
  it.seek(s, new MemStreamId().setMin(), new MemStreamId().setMax(), false);
  while (it.next()) {
    const fields: Uint8Array[] = [];
    for (let i = 0; i < it.pairs; i++) {
      fields.push(it.buf.slice(it.fieldOff(i), it.fieldOff(i) + it.fieldLen(i)));
      fields.push(it.buf.slice(it.valueOff(i), it.valueOff(i) + it.valueLen(i)));
    }
    entries.push({ id: bigId(it.id), fields });
  }
  const groups: StreamGroup[] = [];
  const tmp = new MemStreamId();
  for (const g of s.groups) {
    const consumers: StreamGroup["consumers"] = [];
    for (let i = 0; i < g.consumerCount; i++) {
      const c = g.consumerByRank(i);
      const o = g.consumerNameOff(c);
      consumers.push({ name: g.names.slice(o, o + g.consumerNameLen(c)), seenTimeMs: g.cSeen[c]! });
    }
    const pending: StreamGroup["pending"] = [];
    for (let cur = g.pelSeek(tmp.setMin()); cur >= 0; cur = g.pelNext(cur)) {
      const slot = g.pelSlot(cur);
      const c = g.nCons[slot]!;
      const o = g.consumerNameOff(c);
      pending.push({
        id: bigId(loadId(g.nId, slot, tmp)),
        consumer: g.names.slice(o, o + g.consumerNameLen(c)),
        deliveryTimeMs: g.nTime[slot]!,
        deliveryCount: g.nCount[slot]!,
      });
    }
    groups.push({
      name: g.name,
      lastId: bigId(g.lastId),
      entriesRead: g.entriesRead,
      pending,
      consumers,
    });
  }
  return {
    type: "stream",
    entries,
    length: s.length,
    lastId: bigId(s.lastId),
    firstId: bigId(s.firstId),
    maxDeletedId: bigId(s.maxDeletedId),
    entriesAdded: s.entriesAdded,
    groups,
  };
}
