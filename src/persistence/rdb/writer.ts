// RdbWriter: writes an RDB v10 (Redis 7.0) file, or one value of it (a DUMP payload), from
// plain data. It appends to a buffer; with a `sink` it hands the buffer over in chunks of about
// `chunkBytes` (the sink must consume a chunk before it returns: the buffer is reused), so a
// whole dataset never sits in memory twice. The CRC-64 is computed chunk by chunk.
//
// File layout written (rdb.c rdbSaveRio):
//   "REDIS0010" AUX* (SELECTDB n RESIZEDB size expires (key)*)* EOF crc64le
//   key = [EXPIRETIME_MS i64le] [IDLE len | FREQ u8] type key-string value
//
// Strings go through rdbSaveRawString's choices: int8/16/32 when <= 11 bytes and canonical,
// else LZF when compression is on, the string is > 20 bytes and it shrinks by >= 4 bytes,
// else raw. Aggregates get the encoding Redis 7.0 would pick under `limits` ("auto"), or the
// one the caller names (its in-memory encoding, so OBJECT ENCODING survives a reload).

import { formatDouble, parseInt64 } from "../../protocol/number.ts";
import { compareBytes } from "../../store/bytes.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_VERSION,
  STREAM_ITEM_FLAG_SAMEFIELDS,
} from "./constants.ts";
import { Crc64 } from "./crc64.ts";
import { encodeIntset } from "./intset.ts";
import {
  DEFAULT_LIMITS,
  type EncodingLimits,
  LIST_NODE_BYTES,
  LIST_SIZE_SAFETY_LIMIT,
} from "./limits.ts";
import { ListpackWriter } from "./listpack.ts";
import { LzfCompressor } from "./lzf.ts";
import type { RdbValue, StreamId, StreamValue } from "./value.ts";

const enc = new TextEncoder();

/** Which encoding an aggregate gets: Redis's choice under the limits, or a named one. */
export type EncodingHint = "auto" | "compact" | "full";

export interface KeyMeta {
  /** Absolute unix ms; -1 or undefined = no TTL. */
  expireMs?: number;
  /** LRU idle seconds (written when >= 0; Redis writes it under an LRU maxmemory-policy). */
  idleSec?: number;
  /** LFU counter 0..255 (written when >= 0; Redis writes it under an LFU policy). */
  freq?: number;
}

export interface RdbWriterOptions {
  /** rdbcompression: LZF for strings over 20 bytes (default true). */
  compression?: boolean;
  /** rdbchecksum: when false the footer is 8 zero bytes and no CRC is computed (default true). */
  checksum?: boolean;
  /** Receives the output in chunks; without it finish() returns the whole output. */
  sink?: (chunk: Uint8Array) => void;
  /** Chunk size handed to the sink (default 1 MiB). */
  chunkBytes?: number;
  limits?: Partial<EncodingLimits>;
}

export interface StandardAux {
  redisVer?: string;
  ctimeSec?: number;
  usedMem: number;
  /** 1 when the file is the base of a multi-part AOF (aof-use-rdb-preamble), else 0. */
  aofBase?: number;
}

type Bytes = Uint8Array;

function asBytes(s: string | Uint8Array): Uint8Array {
  return typeof s === "string" ? enc.encode(s) : s;
}

/** A zset score as Redis 7.0 stores it in a listpack (d2string: integers plain, else %.17g). */
function scoreBytes(score: number): Uint8Array {
  if (Number.isNaN(score)) throw new Error("zset score is NaN");
  return enc.encode(formatDouble(score));
}

/** rawRange copies runs up to this length in a loop rather than through a view. */
const RAW_LOOP_MAX = 256;

export class RdbWriter {
  readonly limits: EncodingLimits;
  private buf: Uint8Array;
  private pos = 0;
  private readonly crc = new Crc64();
  private readonly compression: boolean;
  private readonly checksum: boolean;
  private readonly sink: ((chunk: Uint8Array) => void) | null;
  private readonly chunkBytes: number;
  private readonly lzf = new LzfCompressor();
  private lzfOut = new Uint8Array(0);
  private readonly f64 = new Float64Array(1);
  private readonly f64b = new Uint8Array(this.f64.buffer);
  private finished = false;
  /** Bytes handed to the sink or returned so far (for progress reporting). */
  written = 0;

  constructor(opts: RdbWriterOptions = {}) {
    this.compression = opts.compression ?? true;
    this.checksum = opts.checksum ?? true;
    this.sink = opts.sink ?? null;
    this.chunkBytes = Math.max(4096, opts.chunkBytes ?? 1 << 20);
    this.buf = new Uint8Array(this.sink ? this.chunkBytes : 4096);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
  }

  // ---- file structure ----

  /** "REDIS" + the 4-digit version. */
  writeHeader(version = RDB_VERSION): void {
    this.raw(enc.encode(`REDIS${String(version).padStart(4, "0")}`));
  }

  writeAux(key: string | Bytes, value: string | Bytes | number): void {
    this.byte(RDB_OPCODE_AUX);
    this.writeStringBytes(asBytes(key));
    this.writeStringBytes(asBytes(typeof value === "number" ? String(value) : value));
  }

  /** The AUX fields Redis 7.0 writes (rdbSaveInfoAuxFields), without replication info. */
  writeStandardAux(a: StandardAux): void {
    this.writeAux("redis-ver", a.redisVer ?? "7.0.15");
    this.writeAux("redis-bits", 64);
    this.writeAux("ctime", a.ctimeSec ?? Math.floor(Date.now() / 1000));
    this.writeAux("used-mem", a.usedMem);
    this.writeAux("aof-base", a.aofBase ?? 0);
  }

  /** A function library (FUNCTION2 opcode): its code, as FUNCTION DUMP/LOAD carry it. */
  writeFunction(code: string | Bytes): void {
    this.byte(RDB_OPCODE_FUNCTION2);
    this.writeStringBytes(asBytes(code));
  }

  writeSelectDb(db: number): void {
    this.byte(RDB_OPCODE_SELECTDB);
    this.writeLen(db);
  }

  writeResizeDb(dbSize: number, expiresSize: number): void {
    this.byte(RDB_OPCODE_RESIZEDB);
    this.writeLen(dbSize);
    this.writeLen(expiresSize);
  }

  /** EOF opcode and checksum; flushes everything. Returns the output when there is no sink. */
  finish(): Uint8Array | null {
    if (this.finished) throw new Error("RdbWriter: finish() called twice");
    this.byte(RDB_OPCODE_EOF);
    this.finishWithCrc();
    return this.takeAll();
  }

  /**
   * The value written so far as a DUMP payload: + 2-byte version + CRC-64 (both little endian).
   * Use on a writer that wrote exactly one writeValue().
   */
  finishDump(): Uint8Array {
    if (this.finished || this.sink)
      throw new Error("RdbWriter: finishDump needs a fresh in-memory writer");
    this.ensure(2);
    this.buf[this.pos++] = RDB_VERSION & 0xff;
    this.buf[this.pos++] = RDB_VERSION >>> 8;
    this.finishWithCrc(true);
    return this.takeAll()!;
  }

  /**
   * Bytes written so far by a writer without a sink, handed over and forgotten (a snapshot's
   * side buffer of keys for a database it has not reached yet; see writeRaw).
   */
  takeBytes(): Uint8Array {
    if (this.sink) throw new Error("RdbWriter: takeBytes needs an in-memory writer");
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Append bytes that are already RDB (what another writer's takeBytes() returned). */
  writeRaw(bytes: Uint8Array): void {
    this.raw(bytes);
  }

  /** Bytes buffered and not yet handed to the sink (memory accounting). */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  // ---- keys ----

  private keyMeta(meta: KeyMeta | undefined): void {
    if (meta === undefined) return;
    const e = meta.expireMs;
    if (e !== undefined && e >= 0) {
      this.byte(RDB_OPCODE_EXPIRETIME_MS);
      this.int64le(e);
    }
    if (meta.idleSec !== undefined && meta.idleSec >= 0) {
      this.byte(RDB_OPCODE_IDLE);
      this.writeLen(meta.idleSec);
    } else if (meta.freq !== undefined && meta.freq >= 0) {
      this.byte(RDB_OPCODE_FREQ);
      this.byte(meta.freq & 0xff);
    }
  }

  writeString(key: Bytes, value: Bytes, meta?: KeyMeta): void {
    this.keyMeta(meta);
    this.byte(RDB_TYPE_STRING);
    this.writeStringBytes(key);
    this.writeStringBytes(value);
  }

  /**
   * A key whose whole value is one blob already in Redis's encoding, `type` one of
   * HASH_LISTPACK, ZSET_LISTPACK, SET_INTSET, or LIST_QUICKLIST_2 with `oneNode` (a single
   * packed node): the snapshot's allocation-free path for small aggregates
   * (src/persistence/snapshot-write.ts builds the blob in a reused scratch).
   */
  writeBlobKey(
    type: number,
    kb: Bytes | null,
    ko: number,
    kl: number,
    blob: Bytes,
    blen: number,
    meta: KeyMeta | undefined,
  ): void {
    this.keyMeta(meta);
    this.byte(type);
    if (kb) this.writeStringRange(kb, ko, kl);
    if (type === RDB_TYPE_LIST_QUICKLIST_2) {
      this.writeLen(1);
      this.writeLen(QUICKLIST_NODE_CONTAINER_PACKED);
    }
    this.writeStringRange(blob, 0, blen);
  }

  /**
   * The start of a value written element by element (a snapshot's big key across slices):
   * key meta, type byte, key. The caller then writes the count and the elements exactly as
   * writeHash/writeSet/writeZset's "full" encodings do (writeLen, writeStringRange,
   * writeScoreBinary).
   */
  writeAggregateHead(type: number, kb: Bytes | null, ko: number, kl: number, meta?: KeyMeta): void {
    this.keyMeta(meta);
    this.byte(type);
    if (kb) this.writeStringRange(kb, ko, kl);
  }

  /** A ZSET_2 score: binary double, little endian. */
  writeScoreBinary(s: number): void {
    if (Number.isNaN(s)) throw new Error("zset score is NaN");
    this.f64[0] = s;
    this.raw(this.f64b);
  }

  /** A list as QUICKLIST_2: listpack nodes cut as list-max-listpack-size says. */
  writeList(key: Bytes | null, items: Iterable<Bytes>, meta?: KeyMeta): void {
    // The node count comes first, so the nodes are built before anything is written.
    const nodes: { plain: boolean; blob: Bytes }[] = [];
    const fill = this.limits.listMaxListpackSize;
    const byteLimit =
      fill < 0
        ? LIST_NODE_BYTES[Math.min(-fill, LIST_NODE_BYTES.length) - 1]!
        : LIST_SIZE_SAFETY_LIMIT;
    const countLimit = fill > 0 ? fill : Number.POSITIVE_INFINITY;
    let lp: ListpackWriter | null = null;
    let total = 0;
    for (const it of items) {
      total++;
      if (it.length >= this.limits.listPackedThreshold) {
        if (lp) nodes.push({ plain: false, blob: lp.finish() });
        lp = null;
        nodes.push({ plain: true, blob: it });
        continue;
      }
      // quicklist.c _quicklistNodeAllowInsert: node size + element + 11 bytes of overhead
      if (lp && (lp.count >= countLimit || lp.size + it.length + 11 > byteLimit)) {
        nodes.push({ plain: false, blob: lp.finish() });
        lp = null;
      }
      lp ??= new ListpackWriter(Math.min(byteLimit, 1024));
      lp.append(it);
    }
    if (lp) nodes.push({ plain: false, blob: lp.finish() });
    if (total === 0) throw new Error("RdbWriter: empty list (Redis never stores empty aggregates)");
    this.keyMeta(meta);
    this.byte(RDB_TYPE_LIST_QUICKLIST_2);
    if (key) this.writeStringBytes(key);
    this.writeLen(nodes.length);
    for (const n of nodes) {
      this.writeLen(n.plain ? QUICKLIST_NODE_CONTAINER_PLAIN : QUICKLIST_NODE_CONTAINER_PACKED);
      this.writeStringBytes(n.blob);
    }
  }

  /**
   * A set: SET_INTSET when every member is a canonical integer and there are at most
   * set-max-intset-entries ("auto"; "compact" insists, "full" never), else SET.
   */
  writeSet(
    key: Bytes | null,
    count: number,
    members: Iterable<Bytes>,
    meta?: KeyMeta,
    hint: EncodingHint = "auto",
  ): void {
    if (count === 0) throw new Error("RdbWriter: empty set (Redis never stores empty aggregates)");
    if (hint !== "full" && count <= this.limits.setMaxIntsetEntries) {
      const all = Array.from(members);
      const blob = encodeIntset(all);
      if (blob === null && hint === "compact")
        throw new Error("RdbWriter: intset member is not an integer");
      if (blob !== null) {
        this.keyMeta(meta);
        this.byte(RDB_TYPE_SET_INTSET);
        if (key) this.writeStringBytes(key);
        this.writeStringBytes(blob);
        return;
      }
      members = all;
    }
    this.keyMeta(meta);
    this.byte(RDB_TYPE_SET);
    if (key) this.writeStringBytes(key);
    this.writeLen(count);
    let n = 0;
    for (const m of members) {
      this.writeStringBytes(m);
      n++;
    }
    if (n !== count) throw new Error(`RdbWriter: set announced ${count} members, gave ${n}`);
  }

  /**
   * A sorted set: ZSET_LISTPACK (member, score pairs, sorted here by score then member) when within zset-max-listpack-*, else ZSET_2 (binary doubles;
   * Redis writes those from the highest score down, which makes its load append at the head).
   */
  writeZset(
    key: Bytes | null,
    count: number,
    entries: Iterable<readonly [Bytes, number]>,
    meta?: KeyMeta,
    hint: EncodingHint = "auto",
  ): void {
    if (count === 0) throw new Error("RdbWriter: empty zset (Redis never stores empty aggregates)");
    const L = this.limits;
    if (hint !== "full" && (hint === "compact" || count <= L.zsetMaxListpackEntries)) {
      const all = Array.from(entries);
      if (hint === "compact" || all.every(([m]) => m.length <= L.zsetMaxListpackValue)) {
        // a listpack zset is kept sorted (score, then member bytes): Redis trusts that order
        all.sort((x, y) => x[1] - y[1] || compareBytes(x[0], 0, x[0].length, y[0], 0, y[0].length));
        const lp = new ListpackWriter();
        for (const [m, s] of all) {
          lp.append(m);
          lp.append(scoreBytes(s));
        }
        this.keyMeta(meta);
        this.byte(RDB_TYPE_ZSET_LISTPACK);
        if (key) this.writeStringBytes(key);
        this.writeStringBytes(lp.finish());
        return;
      }
      entries = all;
    }
    this.keyMeta(meta);
    this.byte(RDB_TYPE_ZSET_2);
    if (key) this.writeStringBytes(key);
    this.writeLen(count);
    let n = 0;
    for (const [m, s] of entries) {
      if (Number.isNaN(s)) throw new Error("zset score is NaN");
      this.writeStringBytes(m);
      this.f64[0] = s;
      this.raw(this.f64b); // IEEE 754 little endian (x86 and ARM Redis write host order)
      n++;
    }
    if (n !== count) throw new Error(`RdbWriter: zset announced ${count} entries, gave ${n}`);
  }

  /** A hash: HASH_LISTPACK within hash-max-listpack-* ("auto"), else HASH. */
  writeHash(
    key: Bytes | null,
    count: number,
    entries: Iterable<readonly [Bytes, Bytes]>,
    meta?: KeyMeta,
    hint: EncodingHint = "auto",
  ): void {
    if (count === 0) throw new Error("RdbWriter: empty hash (Redis never stores empty aggregates)");
    const L = this.limits;
    if (hint !== "full" && (hint === "compact" || count <= L.hashMaxListpackEntries)) {
      const all = Array.from(entries);
      const fits = all.every(
        ([f, v]) => f.length <= L.hashMaxListpackValue && v.length <= L.hashMaxListpackValue,
      );
      if (hint === "compact" || fits) {
        const lp = new ListpackWriter();
        for (const [f, v] of all) {
          lp.append(f);
          lp.append(v);
        }
        this.keyMeta(meta);
        this.byte(RDB_TYPE_HASH_LISTPACK);
        if (key) this.writeStringBytes(key);
        this.writeStringBytes(lp.finish());
        return;
      }
      entries = all;
    }
    this.keyMeta(meta);
    this.byte(RDB_TYPE_HASH);
    if (key) this.writeStringBytes(key);
    this.writeLen(count);
    let n = 0;
    for (const [f, v] of entries) {
      this.writeStringBytes(f);
      this.writeStringBytes(v);
      n++;
    }
    if (n !== count) throw new Error(`RdbWriter: hash announced ${count} entries, gave ${n}`);
  }

  /** A stream as STREAM_LISTPACKS_2, nodes cut by stream-node-max-bytes/entries. */
  writeStream(key: Bytes | null, s: StreamValue, meta?: KeyMeta): void {
    const nodes = buildStreamNodes(s, this.limits);
    this.keyMeta(meta);
    this.byte(RDB_TYPE_STREAM_LISTPACKS_2);
    if (key) this.writeStringBytes(key);
    this.writeLen(nodes.length);
    for (const n of nodes) {
      this.writeStringBytes(n.masterKey);
      this.writeStringBytes(n.lp);
    }
    this.writeLen(s.length);
    this.writeId(s.lastId);
    this.writeId(s.firstId);
    this.writeId(s.maxDeletedId);
    this.writeLen(s.entriesAdded);
    this.writeLen(s.groups.length);
    for (const g of s.groups) {
      this.writeStringBytes(g.name);
      this.writeId(g.lastId);
      // entries_read is signed in Redis (-1 = unknown) but saved with rdbSaveLen: as uint64
      this.writeLenBig(BigInt.asUintN(64, BigInt(g.entriesRead)));
      const pel = [...g.pending].sort((a, b) => compareIds(a.id, b.id));
      this.writeLen(pel.length);
      for (const p of pel) {
        this.raw(idBytes(p.id));
        this.int64le(p.deliveryTimeMs);
        this.writeLen(p.deliveryCount);
      }
      const names = new Set(g.consumers.map((c) => latin1(c.name)));
      for (const p of pel) {
        if (!names.has(latin1(p.consumer))) {
          throw new Error("RdbWriter: a pending entry names a consumer the group does not list");
        }
      }
      this.writeLen(g.consumers.length);
      for (const c of g.consumers) {
        this.writeStringBytes(c.name);
        this.int64le(c.seenTimeMs);
        const own = latin1(c.name);
        const mine = pel.filter((p) => latin1(p.consumer) === own);
        this.writeLen(mine.length);
        for (const p of mine) this.raw(idBytes(p.id));
      }
    }
  }

  /** Any value of the neutral model as one key. */
  writeKey(key: Bytes, v: RdbValue, meta?: KeyMeta): void {
    this.writeTyped(key, v, meta);
  }

  /** Type byte + value without a key: the body of a DUMP payload. */
  writeValue(v: RdbValue): void {
    this.writeTyped(null, v, undefined);
  }

  private writeTyped(key: Bytes | null, v: RdbValue, meta: KeyMeta | undefined): void {
    switch (v.type) {
      case "string":
        this.keyMeta(meta);
        this.byte(RDB_TYPE_STRING);
        if (key) this.writeStringBytes(key);
        this.writeStringBytes(v.bytes);
        return;
      case "list":
        return this.writeList(key, v.items, meta);
      case "set":
        return this.writeSet(key, v.members.length, v.members, meta);
      case "zset":
        return this.writeZset(key, v.entries.length, v.entries, meta);
      case "hash":
        return this.writeHash(key, v.entries.length, v.entries, meta);
      case "stream":
        return this.writeStream(key, v, meta);
    }
  }

  // ---- primitives ----

  /** rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit big endian lengths. */
  writeLen(n: number): void {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`RdbWriter: bad length ${n}`);
    this.ensure(9);
    const b = this.buf;
    let p = this.pos;
    if (n < 64) b[p++] = n;
    else if (n < 16384) {
      b[p++] = 0x40 | (n >>> 8);
      b[p++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[p++] = 0x80;
      b[p++] = n >>> 24;
      b[p++] = (n >>> 16) & 0xff;
      b[p++] = (n >>> 8) & 0xff;
      b[p++] = n & 0xff;
    } else {
      b[p++] = 0x81;
      const hi = Math.floor(n / 4294967296);
      const lo = n >>> 0;
      b[p++] = hi >>> 24;
      b[p++] = (hi >>> 16) & 0xff;
      b[p++] = (hi >>> 8) & 0xff;
      b[p++] = hi & 0xff;
      b[p++] = lo >>> 24;
      b[p++] = (lo >>> 16) & 0xff;
      b[p++] = (lo >>> 8) & 0xff;
      b[p++] = lo & 0xff;
    }
    this.pos = p;
  }

  private writeLenBig(n: bigint): void {
    if (n <= 0xffffffffn) return this.writeLen(Number(n));
    this.byte(0x81);
    const b = new Uint8Array(8);
    for (let i = 7; i >= 0; i--) {
      b[i] = Number(n & 0xffn);
      n >>= 8n;
    }
    this.raw(b);
  }

  private writeId(id: StreamId): void {
    this.writeLenBig(id.ms);
    this.writeLenBig(id.seq);
  }

  /** rdbSaveRawString: int-encoded, LZF or length-prefixed raw bytes. */
  writeStringBytes(s: Bytes): void {
    this.writeStringRange(s, 0, s.length);
  }

  /** writeStringBytes of b[off, off + len) without making a view of it (the store's arena). */
  writeStringRange(s: Bytes, off: number, len: number): void {
    if (len <= 11 && len > 0) {
      const c = s[off]!;
      if ((c >= 48 && c <= 57) || c === 45) {
        const v = parseInt64(s, off, len); // strict: canonical decimal only, as string2ll
        if (v >= -2147483648 && v <= 2147483647) {
          this.ensure(5);
          const b = this.buf;
          if (v >= -128 && v <= 127) {
            b[this.pos++] = 0xc0 | RDB_ENC_INT8;
            b[this.pos++] = v & 0xff;
          } else if (v >= -32768 && v <= 32767) {
            b[this.pos++] = 0xc0 | RDB_ENC_INT16;
            b[this.pos++] = v & 0xff;
            b[this.pos++] = (v >> 8) & 0xff;
          } else {
            b[this.pos++] = 0xc0 | RDB_ENC_INT32;
            b[this.pos++] = v & 0xff;
            b[this.pos++] = (v >> 8) & 0xff;
            b[this.pos++] = (v >> 16) & 0xff;
            b[this.pos++] = (v >>> 24) & 0xff;
          }
          return;
        }
      }
    }
    if (this.compression && len > 20 && this.writeLzf(s, off, len)) return;
    this.writeLen(len);
    this.rawRange(s, off, len);
  }

  /** A string key from ranges (the store's arena page), no views made. */
  writeStringKV(
    kb: Bytes,
    ko: number,
    kl: number,
    vb: Bytes,
    vo: number,
    vl: number,
    meta?: KeyMeta,
  ): void {
    this.keyMeta(meta);
    this.byte(RDB_TYPE_STRING);
    this.writeStringRange(kb, ko, kl);
    this.writeStringRange(vb, vo, vl);
  }

  private writeLzf(s: Bytes, off: number, len: number): boolean {
    const limit = len - 4; // rdbSaveLzfStringObject: it must save at least 4 bytes
    if (this.lzfOut.length < limit) this.lzfOut = new Uint8Array(Math.max(limit, 256));
    const n = this.lzf.compress(s, this.lzfOut, limit, off, len);
    if (n === 0) return false;
    this.byte(0xc0 | RDB_ENC_LZF);
    this.writeLen(n);
    this.writeLen(len);
    this.rawRange(this.lzfOut, 0, n);
    return true;
  }

  private int64le(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`RdbWriter: bad time ${v}`);
    this.ensure(8);
    const b = this.buf;
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) | 0;
    b[this.pos++] = lo & 0xff;
    b[this.pos++] = (lo >>> 8) & 0xff;
    b[this.pos++] = (lo >>> 16) & 0xff;
    b[this.pos++] = lo >>> 24;
    b[this.pos++] = hi & 0xff;
    b[this.pos++] = (hi >>> 8) & 0xff;
    b[this.pos++] = (hi >>> 16) & 0xff;
    b[this.pos++] = (hi >>> 24) & 0xff;
  }

  private byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /**
   * raw() of the len bytes of s at off. Up to RAW_LOOP_MAX bytes copied in a loop, not through
   * a view: a view is ~80 bytes of JS heap garbage, the writer runs once per element of a
   * snapshot, and JSC lets garbage pile up to an eden budget proportional to the whole heap
   * (the store's arenas included): 390K views were +34 MB of RSS in a 1M-key BGSAVE. A longer
   * run is cut as a view (its garbage is small beside its bytes).
   */
  private rawRange(s: Bytes, off: number, len: number): void {
    if (len > RAW_LOOP_MAX || (this.sink && len >= this.chunkBytes)) {
      this.raw(off === 0 && len === s.length ? s : s.subarray(off, off + len));
      return;
    }
    this.ensure(len);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < len; i++) b[p++] = s[off + i]!;
    this.pos = p;
  }

  /** Append bytes; a big block bypasses the buffer straight to the sink. */
  private raw(s: Bytes): void {
    if (this.sink && s.length >= this.chunkBytes) {
      this.flush();
      this.emit(s);
      return;
    }
    this.ensure(s.length);
    this.buf.set(s, this.pos);
    this.pos += s.length;
  }

  private ensure(n: number): void {
    if (this.finished) throw new Error("RdbWriter: write after finish()");
    if (this.pos + n <= this.buf.length) return;
    if (this.sink) {
      this.flush();
      if (n <= this.buf.length) return;
    }
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private emit(chunk: Bytes): void {
    if (this.checksum) this.crc.update(chunk);
    this.written += chunk.length;
    this.sink!(chunk);
  }

  private flush(): void {
    if (this.sink === null || this.pos === 0) return;
    this.emit(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private finishWithCrc(always = false): void {
    if (this.sink === null) {
      if (this.checksum || always) this.crc.update(this.buf, 0, this.pos);
    } else this.flush();
    this.ensure(8);
    if (this.checksum || always) this.crc.writeLE(this.buf, this.pos);
    else this.buf.fill(0, this.pos, this.pos + 8);
    this.pos += 8;
    this.finished = true;
  }

  private takeAll(): Uint8Array | null {
    if (this.sink) {
      if (this.pos > 0) {
        this.written += this.pos;
        this.sink(this.buf.subarray(0, this.pos));
      }
      this.pos = 0;
      return null;
    }
    this.written = this.pos;
    return this.buf.subarray(0, this.pos);
  }
}

// ---- streams ----

function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

/** The 16-byte big-endian form of a stream ID (the rax key of a node, a PEL key). */
export function idBytes(id: StreamId): Uint8Array {
  const out = new Uint8Array(16);
  let ms = BigInt.asUintN(64, id.ms);
  let seq = BigInt.asUintN(64, id.seq);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(ms & 0xffn);
    out[8 + i] = Number(seq & 0xffn);
    ms >>= 8n;
    seq >>= 8n;
  }
  return out;
}

function sameFields(fields: Uint8Array[], master: Uint8Array[]): boolean {
  if (fields.length !== master.length * 2) return false;
  for (let i = 0; i < master.length; i++) {
    const a = fields[2 * i]!;
    const b = master[i]!;
    if (a.length !== b.length) return false;
    for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  }
  return true;
}

/**
 * Stream nodes as t_stream.c builds them: a master entry (count, deleted, num-fields, fields,
 * 0) then per entry: flags, ms-diff, seq-diff, [num-fields, field, value... | values...],
 * lp-count. A node closes at stream-node-max-entries entries or stream-node-max-bytes bytes.
 */
function buildStreamNodes(
  s: StreamValue,
  limits: EncodingLimits,
): { masterKey: Uint8Array; lp: Uint8Array }[] {
  const nodes: { masterKey: Uint8Array; lp: Uint8Array }[] = [];
  const maxEntries = limits.streamNodeMaxEntries > 0 ? limits.streamNodeMaxEntries : Infinity;
  const maxBytes = limits.streamNodeMaxBytes > 0 ? limits.streamNodeMaxBytes : Infinity;
  let i = 0;
  const es = s.entries;
  let prev: StreamId | null = null;
  while (i < es.length) {
    const first = es[i]!;
    if (first.fields.length % 2 !== 0 || first.fields.length === 0) {
      throw new Error("RdbWriter: a stream entry needs field/value pairs");
    }
    const master: Uint8Array[] = [];
    for (let k = 0; k < first.fields.length; k += 2) master.push(first.fields[k]!);
    // The live count is the first element; build the entries first, then prepend the header.
    const body = new ListpackWriter(1024);
    let n = 0;
    while (i < es.length && n < maxEntries && (n === 0 || body.size < maxBytes)) {
      const e = es[i]!;
      if (e.fields.length % 2 !== 0 || e.fields.length === 0) {
        throw new Error("RdbWriter: a stream entry needs field/value pairs");
      }
      if (prev !== null && compareIds(e.id, prev) <= 0) {
        throw new Error("RdbWriter: stream entries must be in ascending ID order");
      }
      prev = e.id;
      const same = sameFields(e.fields, master);
      const nf = e.fields.length / 2;
      body.appendInt(same ? STREAM_ITEM_FLAG_SAMEFIELDS : 0);
      body.appendInt(BigInt.asIntN(64, e.id.ms - first.id.ms));
      body.appendInt(BigInt.asIntN(64, e.id.seq - first.id.seq));
      if (same) {
        for (let k = 1; k < e.fields.length; k += 2) body.append(e.fields[k]!);
      } else {
        body.appendInt(nf);
        for (const f of e.fields) body.append(f);
      }
      body.appendInt(same ? nf + 3 : nf * 2 + 4);
      n++;
      i++;
    }
    const lp = new ListpackWriter(body.size + 64);
    lp.appendInt(n);
    lp.appendInt(0);
    lp.appendInt(master.length);
    for (const f of master) lp.append(f);
    lp.appendInt(0);
    const head = lp.finish();
    const tail = body.finish();
    nodes.push({ masterKey: idBytes(first.id), lp: joinListpacks(head, tail) });
  }
  return nodes;
}

/** Concatenate two listpacks' entries into one (headers recomputed). */
function joinListpacks(a: Uint8Array, b: Uint8Array): Uint8Array {
  const na = a[4]! | (a[5]! << 8);
  const nb = b[4]! | (b[5]! << 8);
  const total = a.length + b.length - 7;
  const out = new Uint8Array(total);
  out.set(a.subarray(0, a.length - 1), 0);
  out.set(b.subarray(6), a.length - 1);
  out[0] = total & 0xff;
  out[1] = (total >>> 8) & 0xff;
  out[2] = (total >>> 16) & 0xff;
  out[3] = (total >>> 24) & 0xff;
  const n = na === 65535 || nb === 65535 || na + nb >= 65535 ? 65535 : na + nb;
  out[4] = n & 0xff;
  out[5] = n >>> 8;
  return out;
}
