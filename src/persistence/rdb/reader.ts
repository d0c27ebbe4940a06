// RDB reader: parses an RDB file (versions 1..10, i.e. what Redis 7.0 loads) and streams what it
// finds into a sink, one key at a time, as the neutral value model (value.ts).
//
// CONTRACT for loading into a server: the reader may fail at any point (truncation, a bad
// checksum found only at the end, an unsupported module type). The caller therefore loads into a
// FRESH keyspace and swaps it in only when readRdb* returned; on an RdbError it drops the fresh
// keyspace, and the live data is untouched. Nothing here is ever half-applied.
//
// The reader hands every key to the sink, expired ones included (Redis's loader drops expired
// keys on a master and keeps them on a replica: that is the adapter's decision), and skips empty
// aggregates as Redis does (counted in emptyKeysSkipped). Duplicate keys are the sink's to
// refuse (Redis stops with "Duplicate key").

import { closeSync, fstatSync, openSync } from "node:fs";
import { canonicalInt } from "./bytes.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED,
  QUICKLIST_NODE_CONTAINER_PLAIN,
  RDB_ENC_INT8,
  RDB_ENC_INT16,
  RDB_ENC_INT32,
  RDB_ENC_LZF,
  RDB_OPCODE_AUX,
  RDB_OPCODE_EOF,
  RDB_OPCODE_EXPIRETIME,
  RDB_OPCODE_EXPIRETIME_MS,
  RDB_OPCODE_FREQ,
  RDB_OPCODE_FUNCTION,
  RDB_OPCODE_FUNCTION2,
  RDB_OPCODE_IDLE,
  RDB_OPCODE_MODULE_AUX,
  RDB_OPCODE_RESIZEDB,
  RDB_OPCODE_SELECTDB,
  RDB_TYPE_HASH,
  RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST,
  RDB_TYPE_HASH_ZIPMAP,
  RDB_TYPE_LIST,
  RDB_TYPE_LIST_QUICKLIST,
  RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST,
  RDB_TYPE_MODULE,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_SET,
  RDB_TYPE_SET_INTSET,
  RDB_TYPE_STREAM_LISTPACKS,
  RDB_TYPE_STREAM_LISTPACKS_2,
  RDB_TYPE_STRING,
  RDB_TYPE_ZSET,
  RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK,
  RDB_TYPE_ZSET_ZIPLIST,
  RDB_VERSION,
  STREAM_ITEM_FLAG_DELETED,
  STREAM_ITEM_FLAG_SAMEFIELDS,
} from "./constants.ts";
import { RdbError, RdbInput } from "./input.ts";
import { intsetEntries } from "./intset.ts";
import { ListpackReader, listpackEntries } from "./listpack.ts";
import { lzfDecompress } from "./lzf.ts";
import type {
  RdbValue,
  StreamConsumer,
  StreamEntry,
  StreamGroup,
  StreamId,
  StreamPendingEntry,
  StreamValue,
} from "./value.ts";
import { ziplistEntries } from "./ziplist.ts";
import { zipmapEntries } from "./zipmap.ts";

export { RdbError };

export interface RdbSink {
  onAux?(key: Uint8Array, value: Uint8Array): void;
  onSelectDb?(db: number): void;
  /**
   * RESIZEDB: how many keys (and keys with a TTL) the current database's part of the file
   * holds, so the sink can size its tables once. Only a hint: a file may lack it or lie. The
   * reader clamps both to what the rest of the input could hold (3 bytes a key at least).
   */
  onResizeDb?(dbSize: number, expiresSize: number): void;
  /** A function library's code (FUNCTION2); without this hook such a file is refused. */
  onFunction?(code: Uint8Array): void;
  /**
   * One key. expireMs: absolute unix ms or -1; idleSec: LRU idle seconds or -1; freq: LFU
   * counter or -1. `value` and its byte arrays are fresh copies the sink may keep.
   */
  onKey(
    db: number,
    key: Uint8Array,
    value: RdbValue,
    expireMs: number,
    idleSec: number,
    freq: number,
  ): void;
  /**
   * Optional fast path for a value stored as one packed blob (RDB_TYPE_SET_INTSET,
   * RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK): the key is kbuf[0, klen) (the reader's
   * scratch), the blob buf[off, off + len); both valid only during the call (the blob may be
   * the reader's window). Return true when the key was taken
   * (stored, or dropped as expired); false, before changing anything, to have the reader decode
   * the blob into the neutral model and call onKey as usual (anything unusual: an empty or
   * malformed blob, past a limit). An Error thrown is reported at the blob's offset.
   */
  /**
   * Optional fast path for a string key: the key is kbuf[0, klen) (the reader's scratch), the
   * value vbuf[voff, voff + vlen) (the read window or a decoded copy); both valid only during
   * the call. Without it, string keys go to onKey.
   */
  onStringKey?(
    db: number,
    kbuf: Uint8Array,
    klen: number,
    vbuf: Uint8Array,
    voff: number,
    vlen: number,
    expireMs: number,
    idleSec: number,
    freq: number,
  ): void;
  onPackedKey?(
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
  ): boolean;
}

/** Where a string read by the parser is: buf[off, off + len) (the window, or a decoded copy). */
class StringRef {
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
}

export interface RdbReaderOptions {
  /** Check the footer CRC-64 (a stored 0 means "saved with rdbchecksum no": not checked). */
  verifyChecksum?: boolean;
  /** Read window for files (default 1 MiB). */
  chunkBytes?: number;
}

export interface RdbReadResult {
  version: number;
  keys: number;
  emptyKeysSkipped: number;
  /** The stored footer checksum (0n when absent or disabled) and whether it was verified. */
  checksum: bigint;
  checksumVerified: boolean;
  /** Bytes consumed, footer included. */
  bytes: number;
}

const dec = new TextDecoder();

function typeName(t: number): string {
  return `RDB type ${t}`;
}

/** A whole RDB image in memory. */
export function readRdb(
  bytes: Uint8Array,
  sink: RdbSink,
  opts: RdbReaderOptions = {},
): RdbReadResult {
  return new RdbParser(RdbInput.fromBytes(bytes), opts).file(sink);
}

/** An RDB file, read through a bounded window (never held in memory whole). */
export function readRdbFile(
  path: string,
  sink: RdbSink,
  opts: RdbReaderOptions = {},
): RdbReadResult {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    return new RdbParser(RdbInput.fromFd(fd, size, opts.chunkBytes), opts).file(sink);
  } finally {
    closeSync(fd);
  }
}

/**
 * One value (type byte + encoding) from buf, as in a DUMP payload body. Returns null for an
 * empty aggregate. Throws RdbError when malformed or when bytes are left over.
 */
export function readValue(buf: Uint8Array): RdbValue | null {
  const inp = RdbInput.fromBytes(buf);
  const p = new RdbParser(inp, {});
  const at = inp.offset;
  const type = inp.u8();
  if (!isValueType(type)) p.unknownType(type, at);
  const v = p.value(type);
  if (inp.remaining !== 0) inp.fail(`${inp.remaining} bytes after the value`);
  return v;
}

function isValueType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
}

function isPackedType(t: number): boolean {
  return t === RDB_TYPE_SET_INTSET || t === RDB_TYPE_HASH_LISTPACK || t === RDB_TYPE_ZSET_LISTPACK;
}

function packedName(t: number): string {
  return t === RDB_TYPE_SET_INTSET ? "intset" : "listpack";
}

class RdbParser {
  emptyKeys = 0;
  /** stringRef's result (one per parser, reused). */
  private readonly ref = new StringRef();
  /** keyToScratch's copy of a key (grows to the longest key). */
  keyBuf = new Uint8Array(64);

  constructor(
    private readonly inp: RdbInput,
    private readonly opts: RdbReaderOptions,
  ) {}

  unknownType(type: number, at: number): never {
    if (type === RDB_TYPE_MODULE || type === RDB_TYPE_MODULE_2) {
      this.inp.fail(`module values (${typeName(type)}) are not supported`, at);
    }
    this.inp.fail(`unknown value type or opcode ${type}`, at);
  }

  file(sink: RdbSink): RdbReadResult {
    const inp = this.inp;
    const magic = inp.bytes(9);
    const head = dec.decode(magic.subarray(0, 5));
    if (head !== "REDIS") inp.fail("not an RDB file (no REDIS magic)", 0);
    const vtext = dec.decode(magic.subarray(5));
    const version = /^\d{4}$/.test(vtext) ? Number(vtext) : Number.NaN;
    if (!(version >= 1)) inp.fail(`bad RDB version "${vtext}"`, 5);
    if (version > RDB_VERSION) inp.fail(`can't handle RDB format version ${version}`, 5);
    let db = 0;
    let expireMs = -1;
    let idle = -1;
    let freq = -1;
    let keys = 0;
    for (;;) {
      const at = inp.offset;
      const op = inp.u8();
      switch (op) {
        case RDB_OPCODE_EXPIRETIME:
          expireMs = (inp.u32le() | 0) * 1000;
          continue;
        case RDB_OPCODE_EXPIRETIME_MS:
          expireMs = inp.i64le();
          continue;
        case RDB_OPCODE_FREQ:
          freq = inp.u8();
          continue;
        case RDB_OPCODE_IDLE:
          idle = this.len();
          continue;
        case RDB_OPCODE_SELECTDB:
          db = this.len();
          sink.onSelectDb?.(db);
          continue;
        case RDB_OPCODE_RESIZEDB: {
          const size = this.len();
          const exp = this.len();
          const most = Math.floor(inp.remaining / 3);
          sink.onResizeDb?.(Math.min(size, most), Math.min(exp, most));
          continue;
        }
        case RDB_OPCODE_AUX: {
          const k = this.string();
          const v = this.string();
          sink.onAux?.(k, v);
          continue;
        }
        case RDB_OPCODE_MODULE_AUX:
          inp.fail("module auxiliary data is not supported", at);
          break;
        case RDB_OPCODE_FUNCTION:
          inp.fail("pre-GA function data (Redis 7.0 release candidates) is not supported", at);
          break;
        case RDB_OPCODE_FUNCTION2: {
          const code = this.string();
          if (sink.onFunction === undefined) {
            inp.fail("the file holds functions and the loader takes none", at);
          }
          sink.onFunction!(code);
          continue;
        }
        case RDB_OPCODE_EOF:
          break;
        default: {
          if (!isValueType(op)) this.unknownType(op, at);
          if (op === RDB_TYPE_STRING && sink.onStringKey !== undefined) {
            const klen = this.keyToScratch();
            const r = this.ref;
            this.stringRef(r);
            sink.onStringKey(db, this.keyBuf, klen, r.buf, r.off, r.len, expireMs, idle, freq);
            keys++;
            expireMs = -1;
            idle = -1;
            freq = -1;
            continue;
          }
          let key: Uint8Array;
          let value: RdbValue | null;
          if (sink.onPackedKey !== undefined && isPackedType(op)) {
            const klen = this.keyToScratch();
            const kb = this.keyBuf;
            const bat = inp.offset;
            const r = this.ref;
            this.stringRef(r);
            let taken: boolean;
            try {
              taken = sink.onPackedKey(db, kb, klen, op, r.buf, r.off, r.len, expireMs, idle, freq);
            } catch (err) {
              if (err instanceof RdbError) throw err;
              return inp.fail(`bad ${packedName(op)}: ${(err as Error).message}`, bat);
            }
            if (taken) {
              keys++;
              expireMs = -1;
              idle = -1;
              freq = -1;
              continue;
            }
            key = kb.slice(0, klen);
            value = this.packedValue(op, r.buf.slice(r.off, r.off + r.len), bat);
          } else {
            key = this.string();
            value = this.value(op);
          }
          if (value === null) this.emptyKeys++;
          else {
            sink.onKey(db, key, value, expireMs, idle, freq);
            keys++;
          }
          expireMs = -1;
          idle = -1;
          freq = -1;
          continue;
        }
      }
      break;
    }
    let checksum = 0n;
    let verified = false;
    if (version >= 5) {
      const crc = inp.crcSoFar();
      const at = inp.offset;
      const footer = inp.view(8);
      const stored = new DataView(footer.buffer, footer.byteOffset, 8).getBigUint64(0, true);
      checksum = stored;
      if (stored !== 0n && (this.opts.verifyChecksum ?? true)) {
        if (!crc.equalsLE(footer, 0)) {
          inp.fail(
            `wrong RDB checksum: file has ${stored.toString(16)}, content gives ${crc.value().toString(16)}`,
            at,
          );
        }
        verified = true;
      }
    }
    return {
      version,
      keys,
      emptyKeysSkipped: this.emptyKeys,
      checksum,
      checksumVerified: verified,
      bytes: inp.offset,
    };
  }

  // ---- primitives ----

  /** rdbLoadLen as a safe integer (string encodings are handled by string()). */
  len(): number {
    const at = this.inp.offset;
    return this.lenFrom(this.inp.u8(), at);
  }

  /** A length that may use all 64 bits (stream IDs, counters). */
  lenBig(): bigint {
    const inp = this.inp;
    const at = inp.offset;
    const c = inp.u8();
    if (c === 0x81) {
      const hi = inp.u32be();
      const lo = inp.u32be();
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    if (c >>> 6 === 3) inp.fail(`bad length encoding 0x${c.toString(16)}`, at);
    // re-dispatch the one byte we took
    if (c >>> 6 === 0) return BigInt(c & 0x3f);
    if (c >>> 6 === 1) return BigInt(((c & 0x3f) << 8) | inp.u8());
    if (c === 0x80) return BigInt(inp.u32be());
    return inp.fail(`bad length encoding 0x${c.toString(16)}`, at);
  }

  /** A count of things that take at least `minBytes` each: refuse counts the input cannot hold. */
  count(minBytes = 1): number {
    const at = this.inp.offset;
    const n = this.len();
    if (n * minBytes > this.inp.remaining) {
      this.inp.fail(`count ${n} exceeds what is left of the input`, at);
    }
    return n;
  }

  /** rdbGenericLoadStringObject: int8/16/32, LZF or raw; always a fresh copy. */
  string(): Uint8Array {
    const inp = this.inp;
    const at = inp.offset;
    const c = inp.u8();
    if (c >>> 6 === 3) {
      const e = c & 0x3f;
      if (e === RDB_ENC_INT8) return intText((inp.u8() << 24) >> 24);
      if (e === RDB_ENC_INT16) {
        const lo = inp.u8();
        return intText(((inp.u8() << 24) >> 16) | lo);
      }
      if (e === RDB_ENC_INT32) return intText(inp.u32le() | 0);
      if (e === RDB_ENC_LZF) {
        const clen = this.len();
        const ulen = this.len();
        if (clen > inp.remaining) inp.fail(`LZF string of ${clen} bytes past the end`, at);
        if (ulen > 0x7fffffff) inp.fail(`LZF string of ${ulen} bytes is too long`, at);
        const packed = inp.view(clen);
        try {
          return lzfDecompress(packed, ulen);
        } catch (err) {
          return inp.fail(`invalid LZF-compressed string: ${(err as Error).message}`, at);
        }
      }
      return inp.fail(`unknown string encoding ${e}`, at);
    }
    const n = this.lenFrom(c, at);
    if (n > inp.remaining) inp.fail(`string of ${n} bytes past the end of the input`, at);
    return inp.bytes(n);
  }

  /**
   * string() without the copy: a raw string is left in the read window (valid until the next
   * read), an int- or LZF-encoded one is decoded into a fresh array.
   */
  private stringRef(out: StringRef): void {
    const inp = this.inp;
    const at = inp.offset;
    const c = inp.u8();
    if (c >>> 6 === 3) {
      inp.rewindOne();
      const b = this.string();
      out.buf = b;
      out.off = 0;
      out.len = b.length;
      return;
    }
    const n = this.lenFrom(c, at);
    if (n > inp.remaining) inp.fail(`string of ${n} bytes past the end of the input`, at);
    out.off = inp.window(n);
    out.buf = inp.windowBuf;
    out.len = n;
  }

  /** The next string copied into keyBuf (no allocation once it is long enough); its length. */
  private keyToScratch(): number {
    const r = this.ref;
    this.stringRef(r);
    const n = r.len;
    if (n > this.keyBuf.length) this.keyBuf = new Uint8Array(Math.max(n, 2 * this.keyBuf.length));
    const kb = this.keyBuf;
    const src = r.buf;
    const o = r.off;
    for (let i = 0; i < n; i++) kb[i] = src[o + i]!;
    return n;
  }

  private lenFrom(c: number, at: number): number {
    const inp = this.inp;
    const kind = c >>> 6;
    if (kind === 0) return c & 0x3f;
    if (kind === 1) return ((c & 0x3f) << 8) | inp.u8();
    if (c === 0x80) return inp.u32be();
    if (c === 0x81) {
      const hi = inp.u32be();
      const lo = inp.u32be();
      const v = hi * 4294967296 + lo;
      if (!Number.isSafeInteger(v)) inp.fail("length over 2^53", at);
      return v;
    }
    return inp.fail(`bad length encoding 0x${c.toString(16)}`, at);
  }

  private binaryDouble(): number {
    const b = this.inp.view(8);
    return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
  }

  /** RDB_TYPE_ZSET's text double: length byte, 253 nan, 254 +inf, 255 -inf. */
  private textDouble(): number {
    const at = this.inp.offset;
    const n = this.inp.u8();
    if (n === 253) return Number.NaN;
    if (n === 254) return Number.POSITIVE_INFINITY;
    if (n === 255) return Number.NEGATIVE_INFINITY;
    const v = parseScore(this.inp.view(n));
    if (Number.isNaN(v)) this.inp.fail("bad double value", at);
    return v;
  }

  /** A blob inside a value, decoded by `fn`; its errors are reported at the blob's offset. */
  private blob<T>(what: string, fn: (b: Uint8Array) => T): T {
    const at = this.inp.offset;
    const b = this.string();
    try {
      return fn(b);
    } catch (err) {
      if (err instanceof RdbError) throw err;
      return this.inp.fail(`bad ${what}: ${(err as Error).message}`, at);
    }
  }

  // ---- values ----

  /** rdbLoadObject for one type; null for an empty aggregate (which Redis skips). */
  value(type: number): RdbValue | null {
    const inp = this.inp;
    const at = inp.offset;
    switch (type) {
      case RDB_TYPE_STRING:
        return { type: "string", bytes: this.string() };
      case RDB_TYPE_LIST: {
        const n = this.count();
        const items: Uint8Array[] = new Array(n);
        for (let i = 0; i < n; i++) items[i] = this.string();
        return n === 0 ? null : { type: "list", items };
      }
      case RDB_TYPE_SET: {
        const n = this.count();
        const members: Uint8Array[] = new Array(n);
        for (let i = 0; i < n; i++) members[i] = this.string();
        return n === 0 ? null : { type: "set", members };
      }
      case RDB_TYPE_ZSET_2:
      case RDB_TYPE_ZSET: {
        const n = this.count(2);
        const entries: [Uint8Array, number][] = new Array(n);
        for (let i = 0; i < n; i++) {
          const m = this.string();
          const sat = inp.offset;
          const s = type === RDB_TYPE_ZSET_2 ? this.binaryDouble() : this.textDouble();
          if (Number.isNaN(s)) inp.fail("zset score is NaN", sat);
          entries[i] = [m, s];
        }
        return n === 0 ? null : { type: "zset", entries };
      }
      case RDB_TYPE_HASH: {
        const n = this.count(2);
        const entries: [Uint8Array, Uint8Array][] = new Array(n);
        for (let i = 0; i < n; i++) entries[i] = [this.string(), this.string()];
        return n === 0 ? null : { type: "hash", entries };
      }
      case RDB_TYPE_SET_INTSET:
      case RDB_TYPE_HASH_LISTPACK:
      case RDB_TYPE_ZSET_LISTPACK:
        return this.packedValue(type, this.string(), at);
      case RDB_TYPE_LIST_ZIPLIST: {
        const items = this.blob("ziplist", ziplistEntries);
        return items.length === 0 ? null : { type: "list", items };
      }
      case RDB_TYPE_HASH_ZIPMAP: {
        const entries = this.blob("zipmap", zipmapEntries);
        return entries.length === 0 ? null : { type: "hash", entries };
      }
      case RDB_TYPE_ZSET_ZIPLIST:
        return this.zsetFromFlat(this.blob("ziplist", ziplistEntries), at);
      case RDB_TYPE_HASH_ZIPLIST:
        return this.hashFromFlat(this.blob("ziplist", ziplistEntries), at);
      case RDB_TYPE_LIST_QUICKLIST:
      case RDB_TYPE_LIST_QUICKLIST_2: {
        const nodes = this.count();
        const items: Uint8Array[] = [];
        for (let i = 0; i < nodes; i++) {
          let container = QUICKLIST_NODE_CONTAINER_PACKED;
          if (type === RDB_TYPE_LIST_QUICKLIST_2) {
            const cat = inp.offset;
            container = this.len();
            if (
              container !== QUICKLIST_NODE_CONTAINER_PACKED &&
              container !== QUICKLIST_NODE_CONTAINER_PLAIN
            ) {
              inp.fail(`bad quicklist node container ${container}`, cat);
            }
          }
          if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
            items.push(this.string());
            continue;
          }
          const part =
            type === RDB_TYPE_LIST_QUICKLIST
              ? this.blob("ziplist", ziplistEntries)
              : this.blob("listpack", listpackEntries);
          for (const it of part) items.push(it); // an empty node is skipped, as Redis does
        }
        return items.length === 0 ? null : { type: "list", items };
      }
      case RDB_TYPE_STREAM_LISTPACKS:
      case RDB_TYPE_STREAM_LISTPACKS_2:
        return this.stream(type === RDB_TYPE_STREAM_LISTPACKS_2);
      default:
        return this.unknownType(type, at - 1);
    }
  }

  /**
   * An intset / hash listpack / zset listpack value from its blob `b`, read at `at` (the
   * blob's offset: where its errors are reported).
   */
  packedValue(type: number, b: Uint8Array, at: number): RdbValue | null {
    const what = packedName(type);
    let flat: Uint8Array[];
    try {
      flat = type === RDB_TYPE_SET_INTSET ? intsetEntries(b) : listpackEntries(b);
    } catch (err) {
      return this.inp.fail(`bad ${what}: ${(err as Error).message}`, at);
    }
    if (type === RDB_TYPE_SET_INTSET) {
      return flat.length === 0 ? null : { type: "set", members: flat };
    }
    return type === RDB_TYPE_HASH_LISTPACK
      ? this.hashFromFlat(flat, at)
      : this.zsetFromFlat(flat, at);
  }

  private zsetFromFlat(flat: Uint8Array[], at: number): RdbValue | null {
    const inp = this.inp;
    if (flat.length % 2 !== 0) inp.fail("zset listpack with an odd number of entries", at);
    const entries: [Uint8Array, number][] = new Array(flat.length / 2);
    for (let i = 0; i < flat.length; i += 2) {
      const s = parseScore(flat[i + 1]!);
      if (Number.isNaN(s)) inp.fail("bad score in a zset listpack", at);
      entries[i / 2] = [flat[i]!, s];
    }
    return entries.length === 0 ? null : { type: "zset", entries };
  }

  private hashFromFlat(flat: Uint8Array[], at: number): RdbValue | null {
    if (flat.length % 2 !== 0) this.inp.fail("hash listpack with an odd number of entries", at);
    const entries: [Uint8Array, Uint8Array][] = new Array(flat.length / 2);
    for (let i = 0; i < flat.length; i += 2) entries[i / 2] = [flat[i]!, flat[i + 1]!];
    return entries.length === 0 ? null : { type: "hash", entries };
  }

  private id(): StreamId {
    return { ms: this.lenBig(), seq: this.lenBig() };
  }

  private stream(v2: boolean): StreamValue {
    const inp = this.inp;
    const nodes = this.count(2);
    const entries: StreamEntry[] = [];
    for (let i = 0; i < nodes; i++) {
      const kat = inp.offset;
      const key = this.string();
      if (key.length !== 16) inp.fail("stream node key is not a 16-byte ID", kat);
      const master = idFromBytes(key, 0);
      const lat = inp.offset;
      const lp = this.string();
      try {
        readStreamNode(lp, master, entries);
      } catch (err) {
        if (err instanceof RdbError) throw err;
        inp.fail(`bad stream listpack: ${(err as Error).message}`, lat);
      }
    }
    const length = this.len();
    const lastId = this.id();
    let firstId: StreamId = { ms: 0n, seq: 0n };
    let maxDeletedId: StreamId = { ms: 0n, seq: 0n };
    let entriesAdded = length;
    if (v2) {
      firstId = this.id();
      maxDeletedId = this.id();
      entriesAdded = this.len();
    } else if (entries.length > 0) {
      firstId = entries[0]!.id;
    }
    const ngroups = this.count();
    const groups: StreamGroup[] = [];
    for (let g = 0; g < ngroups; g++) {
      const name = this.string();
      const glast = this.id();
      const entriesRead = v2 ? Number(BigInt.asIntN(64, this.lenBig())) : -1;
      const npel = this.count(17);
      const pending: StreamPendingEntry[] = [];
      const byId = new Map<string, StreamPendingEntry>();
      for (let k = 0; k < npel; k++) {
        const pat = inp.offset;
        const raw = inp.view(16);
        const id = idFromBytes(raw, 0);
        const idKey = idText(id);
        const deliveryTimeMs = inp.i64le();
        const deliveryCount = this.len();
        if (byId.has(idKey)) inp.fail("duplicated global PEL entry", pat);
        const p: StreamPendingEntry = { id, consumer: NO_CONSUMER, deliveryTimeMs, deliveryCount };
        byId.set(idKey, p);
        pending.push(p);
      }
      const ncons = this.count(10);
      const consumers: StreamConsumer[] = [];
      for (let c = 0; c < ncons; c++) {
        const cname = this.string();
        const seenTimeMs = inp.i64le();
        consumers.push({ name: cname, seenTimeMs });
        const n = this.count(16);
        for (let k = 0; k < n; k++) {
          const pat = inp.offset;
          const id = idFromBytes(inp.view(16), 0);
          const found = byId.get(idText(id));
          const p = found ?? inp.fail("consumer PEL entry not found in the group PEL", pat);
          if (p.consumer !== NO_CONSUMER) inp.fail("PEL entry owned by two consumers", pat);
          p.consumer = cname;
        }
      }
      for (const p of pending) {
        if (p.consumer === NO_CONSUMER) inp.fail("group PEL entry without a consumer");
      }
      groups.push({ name, lastId: glast, entriesRead, pending, consumers });
    }
    return {
      type: "stream",
      entries,
      length,
      lastId,
      firstId,
      maxDeletedId,
      entriesAdded,
      groups,
    };
  }
}

const NO_CONSUMER = new Uint8Array(0);

function intText(v: number): Uint8Array {
  const s = String(v);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function idText(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

function idFromBytes(b: Uint8Array, at: number): StreamId {
  const dv = new DataView(b.buffer, b.byteOffset + at, 16);
  return { ms: dv.getBigUint64(0, false), seq: dv.getBigUint64(8, false) };
}

/** A score in text (listpack/ziplist element or ZSET's text double): strtod's forms. */
export function parseScore(b: Uint8Array): number {
  const iv = canonicalInt(b);
  if (typeof iv === "number") return iv;
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  const t = s.toLowerCase();
  if (t === "inf" || t === "+inf" || t === "infinity") return Number.POSITIVE_INFINITY;
  if (t === "-inf" || t === "-infinity") return Number.NEGATIVE_INFINITY;
  if (t === "nan" || t.trim() !== t || t === "") return Number.NaN;
  return Number(s);
}

/** Decode one stream node (master entry + entries) and append its live entries. */
function readStreamNode(lp: Uint8Array, master: StreamId, out: StreamEntry[]): void {
  const r = new ListpackReader(lp);
  const more = () => {
    if (!r.next()) throw new Error("stream listpack ends inside an entry");
  };
  more();
  r.number(); // live count
  more();
  r.number(); // deleted count
  more();
  const nMaster = r.number();
  const masterFields: Uint8Array[] = [];
  for (let i = 0; i < nMaster; i++) {
    more();
    masterFields.push(r.bytes());
  }
  more();
  if (r.number() !== 0) throw new Error("stream master entry without its 0 terminator");
  while (r.next()) {
    const flags = r.number();
    more();
    const ms = master.ms + r.bigInt();
    more();
    const seq = master.seq + r.bigInt();
    const fields: Uint8Array[] = [];
    if (flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
      for (let i = 0; i < nMaster; i++) {
        more();
        fields.push(masterFields[i]!, r.bytes());
      }
    } else {
      more();
      const nf = r.number();
      for (let i = 0; i < 2 * nf; i++) {
        more();
        fields.push(r.bytes());
      }
    }
    more(); // lp-count
    if (!(flags & STREAM_ITEM_FLAG_DELETED)) {
      out.push({ id: { ms: BigInt.asUintN(64, ms), seq: BigInt.asUintN(64, seq) }, fields });
    }
  }
}
