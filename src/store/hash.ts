// Hashes (binary-safe field -> value), stored in the two encodings Redis 7.0 uses, picked the
// same way: `listpack` while the hash has <= hash-max-listpack-entries fields and every field and
// value is <= hash-max-listpack-value bytes, then `hashtable` for good (Redis never converts back).
//
// listpack: the hash is packed into its key's own arena block in the keyspace Table (the value
// bytes after the key, `t.valLen[e]` of them): records back to back in insertion order,
//   [head: flen, vlen][field][value]   (head: 1 byte for short pairs, see lpHeadSize)
// so a small hash costs no JS object at all, only its key's row and block (a session hash of 5
// short fields: one 96..128-byte block). `t.objs[e]` stays undefined.
// hashtable: a ByteDict (withValues) in `t.objs[e]`; the key's block holds just the key.
//
// The API is functions over (table, entry). Elements are named by a *handle*: the record's offset
// in the value (listpack) or the dict id (hashtable). A handle stays valid while the hash is only
// read; any write may invalidate every handle. Readers fill a caller-owned ByteRef with where the
// bytes are (buf/off/len): a reply copies them, nothing is allocated.
//
// Writers take a StoreCtx (the Keyspace is one): a hashtable's growth is reported to
// objectBytesChanged (used_memory); the listpack lives in the arena, which counts itself. An
// emptied hash is NOT removed here: the caller checks hashLength() === 0 and removes the key
// (Keyspace.removeEntry), as Redis's commands do.

import {
  ByteDict,
  copyIn,
  Handles,
  keyHash,
  type Rng,
  readVarint,
  varintSize,
  writeVarint,
} from "./bytedict.ts";
import { bytesEqual } from "./bytes.ts";
import {
  ByteRef,
  cloneDictObject,
  dictDeleteId,
  dictKeyRef,
  dictOf,
  dictRandomHandles,
  dictScan,
  packedOrDictMemoryBytes,
  type StoreCtx,
} from "./packed.ts";
import { type Table, TYPE_HASH } from "./table.ts";

export { ByteRef, Handles, type StoreCtx };

/** hash-max-listpack-entries / hash-max-listpack-value (the command layer reads the config). */
export interface HashLimits {
  maxListpackEntries: number;
  maxListpackValue: number;
}

export const HASH_LIMITS_DEFAULT: Readonly<HashLimits> = Object.freeze({
  maxListpackEntries: 128,
  maxListpackValue: 64,
});

// ---- create, encoding, size -------------------------------------------------------------------

/** Add key (absent) as an empty listpack hash; returns its entry. Fill it before replying. */
export function hashCreate(t: Table, kbuf: Uint8Array, koff: number, klen: number): number {
  return t.add(kbuf, koff, klen, TYPE_HASH, 0);
}

/** hashCreate when the key is absent, in one probe (Table.addIfAbsent); -1 when it exists. */
export function hashCreateIfAbsent(t: Table, kbuf: Uint8Array, koff: number, klen: number): number {
  return t.addIfAbsent(kbuf, koff, klen, TYPE_HASH, 0);
}

// ---- building a listpack hash of known pairs in one block (an RDB load) ------------------------
// Instead of hashSet per pair (a block resize each): measure the pairs with hashPairBytes, add the
// key with Table.addIfAbsent(.., TYPE_HASH, total), then per pair hashWritePairHead and the bytes.
// Only for pairs that fit the listpack limits; the caller refuses duplicates (hashFindPair).

/** Bytes one pair takes in the listpack encoding. */
export function hashPairBytes(flen: number, vlen: number): number {
  return lpHeadSize(flen, vlen) + flen + vlen;
}

/** Write a pair's head at page[p]; the field's flen bytes go at the returned offset, then the value's. */
export function hashWritePairHead(page: Uint8Array, p: number, flen: number, vlen: number): number {
  return lpWriteHead(page, p, flen, vlen);
}

/** Is the field among the pairs at page[base, base + total)? */
export function hashFindPair(
  page: Uint8Array,
  base: number,
  total: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
): boolean {
  return lpFind(page, base, total, fbuf, foff, flen) >= 0;
}

/** True while entry e (a hash) is a listpack. */
export function hashIsListpack(t: Table, e: number): boolean {
  return t.getObj(e) === undefined;
}

/** OBJECT ENCODING. */
export function hashEncoding(t: Table, e: number): "listpack" | "hashtable" {
  return t.getObj(e) === undefined ? "listpack" : "hashtable";
}

/** Fields in the hash (HLEN). O(n <= listpack entries) for a listpack, O(1) otherwise. */
export function hashLength(t: Table, e: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.size;
  const page = t.page(e);
  const base = t.valueOffset(e);
  const end = base + t.valLen[e]!;
  let n = 0;
  for (let p = base; p < end; n++) p = lpSkip(page, p);
  return n;
}

/** Bytes this hash holds beyond its table row: its arena block and its dict (MEMORY USAGE). */
export function hashMemoryBytes(t: Table, e: number): number {
  return packedOrDictMemoryBytes(t, e);
}

// ---- reads ----------------------------------------------------------------------------------

/** Handle of a field, or -1. */
export function hashFind(
  t: Table,
  e: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.find(fbuf, foff, flen);
  const r = lpFind(t.page(e), t.valueOffset(e), t.valLen[e]!, fbuf, foff, flen);
  return r >= 0 ? r : -1;
}

export function hashExists(
  t: Table,
  e: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
): boolean {
  return hashFind(t, e, fbuf, foff, flen) >= 0;
}

/** HGET: fill `out` with the value's bytes; false (out untouched) when the field is missing. */
export function hashGet(
  t: Table,
  e: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
  out: ByteRef,
): boolean {
  const h = hashFind(t, e, fbuf, foff, flen);
  if (h < 0) return false;
  hashValue(t, e, h, out);
  return true;
}

/** HSTRLEN: the value's length, or -1 when the field is missing. */
export function hashStrlen(
  t: Table,
  e: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
): number {
  const h = hashFind(t, e, fbuf, foff, flen);
  if (h < 0) return -1;
  const d = dictOf(t, e);
  if (d !== undefined) return d.valLen(h);
  return lpVlen(t.page(e), t.valueOffset(e) + h);
}

/** Fill `out` with handle h's field bytes. */
export function hashField(t: Table, e: number, h: number, out: ByteRef): void {
  const d = dictOf(t, e);
  if (d !== undefined) return dictKeyRef(d, h, out);
  const page = t.page(e);
  const p = t.valueOffset(e) + h;
  const fl = lpFlen(page, p);
  out.buf = page;
  out.off = p + lpHeadSize(fl, lpVlen(page, p));
  out.len = fl;
}

/** Fill `out` with handle h's value bytes. */
export function hashValue(t: Table, e: number, h: number, out: ByteRef): void {
  const d = dictOf(t, e);
  if (d !== undefined) {
    out.buf = d.memOf(h);
    out.off = d.valOff(h);
    out.len = d.valLen(h);
    return;
  }
  const page = t.page(e);
  const p = t.valueOffset(e) + h;
  const fl = lpFlen(page, p);
  const vl = lpVlen(page, p);
  out.buf = page;
  out.off = p + lpHeadSize(fl, vl) + fl;
  out.len = vl;
}

/**
 * First handle in iteration order (listpack: insertion order, as Redis), or -1 when empty.
 * HGETALL/HKEYS/HVALS: `for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h))`.
 */
export function hashFirst(t: Table, e: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.nextLive(0);
  return t.valLen[e]! > 0 ? 0 : -1;
}

export function hashNext(t: Table, e: number, h: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.nextLive(h + 1);
  const base = t.valueOffset(e);
  const next = lpSkip(t.page(e), base + h) - base;
  return next < t.valLen[e]! ? next : -1;
}

/**
 * HSCAN step: push handles into `out` (cleared first) and return the next cursor (0 = done). A
 * listpack is returned whole with cursor 0, as Redis does. A hashtable's cursor is a dict id:
 * ids never move, so every field present for the whole scan is returned at least once (fields
 * added meanwhile may or may not be). `count` bounds the ids visited, like Redis's COUNT hint.
 */
export function hashScan(t: Table, e: number, cursor: number, count: number, out: Handles): number {
  out.clear();
  const d = dictOf(t, e);
  if (d === undefined) {
    for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) out.push(h);
    return 0;
  }
  return dictScan(d, cursor, count, out);
}

/** HRANDFIELD without a count: a uniformly random field's handle (-1 only for an empty hash). */
export function hashRandom(ctx: Rng, t: Table, e: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.randomId(ctx);
  const n = hashLength(t, e);
  if (n === 0) return -1;
  let k = Math.floor(ctx.random() * n);
  let h = 0;
  while (k-- > 0) h = hashNext(t, e, h);
  return h;
}

/**
 * HRANDFIELD key count: fill `out` (cleared first) with handles, following Redis's cases
 * (t_hash.c hrandfieldWithCountCommand): count < 0: |count| uniform picks with repetition;
 * count >= size: every field once, in iteration order; otherwise `count` distinct fields, a
 * uniform subset (listpack: in listpack order, like lpRandomPairsUnique). Callers bound |count|
 * (the reply size) before calling.
 */
export function hashRandomHandles(
  ctx: Rng,
  t: Table,
  e: number,
  count: number,
  out: Handles,
): void {
  out.clear();
  const d = dictOf(t, e);
  if (d !== undefined) return dictRandomHandles(ctx, d, count, out);
  const n = hashLength(t, e);
  if (n === 0 || count === 0) return;
  if (count < 0 || count < n) {
    // Listpacks are small: index the records once, then pick.
    const all = new Int32Array(n);
    let i = 0;
    for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) all[i++] = h;
    if (count < 0) {
      for (let k = -count; k > 0; k--) out.push(all[Math.floor(ctx.random() * n)]!);
    } else {
      selectOrdered(ctx, all, n, count, out);
    }
    return;
  }
  for (let h = hashFirst(t, e); h >= 0; h = hashNext(t, e, h)) out.push(h);
}

// ---- writes ---------------------------------------------------------------------------------

/**
 * Redis's hashTypeTryConversion, for HSET/HSETNX/HMSET to call once with the longest field or
 * value among the arguments before setting any: a listpack hash converts to a hashtable when one
 * is longer than hash-max-listpack-value. (hashSet checks each pair too, so this only makes the
 * moment of conversion match Redis; the end state is the same either way.)
 */
export function hashTryConversion(
  ctx: StoreCtx,
  t: Table,
  e: number,
  maxArgLen: number,
  limits: HashLimits,
): void {
  if (dictOf(t, e) === undefined && maxArgLen > limits.maxListpackValue) hashConvert(ctx, t, e);
}

/**
 * HSET one pair: true when the field is new, false when its value was replaced (a replaced value
 * keeps its position in a listpack). Converts to a hashtable first when the pair is too long for
 * a listpack or a new field would pass hash-max-listpack-entries. For HSETNX call hashExists
 * first. The bytes must not come from this hash itself (the block may move).
 * Throws RangeError when a hashtable would pass ByteDict.maxMemBytes (check hashWouldOverflow).
 */
export function hashSet(
  ctx: StoreCtx,
  t: Table,
  e: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
  vbuf: Uint8Array,
  voff: number,
  vlen: number,
  limits: HashLimits,
): boolean {
  let d = dictOf(t, e);
  if (d === undefined) {
    const max = limits.maxListpackValue;
    if (flen > max || vlen > max) {
      d = hashConvert(ctx, t, e);
    } else {
      const total = t.valLen[e]!;
      const r = lpFind(t.page(e), t.valueOffset(e), total, fbuf, foff, flen);
      if (r >= 0) {
        lpReplace(t, e, r, vbuf, voff, vlen);
        return false;
      }
      const count = -r - 1;
      if (count + 1 > limits.maxListpackEntries) {
        d = hashConvert(ctx, t, e);
      } else {
        const rec = lpHeadSize(flen, vlen) + flen + vlen;
        t.resizeValueExact(e, total + rec);
        const page = t.page(e);
        const p = lpWriteHead(page, t.valueOffset(e) + total, flen, vlen);
        copyIn(fbuf, foff, page, p, flen);
        copyIn(vbuf, voff, page, p + flen, vlen);
        return true;
      }
    }
  }
  const before = d.memoryBytes();
  const h = keyHash(fbuf, foff, flen); // once: a new field is not hashed again by add
  const id = d.findHashed(h, fbuf, foff, flen);
  if (id >= 0) d.setValue(id, vbuf, voff, vlen);
  else d.addHashed(h, fbuf, foff, flen, vbuf, voff, vlen);
  const after = d.memoryBytes();
  if (after !== before) ctx.objectBytesChanged(after - before);
  return id < 0;
}

/** Would setting this pair pass the hashtable's byte limit? (A listpack never does.) */
export function hashWouldOverflow(t: Table, e: number, flen: number, vlen: number): boolean {
  const d = dictOf(t, e);
  return d?.wouldOverflow(flen, vlen) === true;
}

/** HDEL one field: true when it existed. The caller removes the key when the hash is empty. */
export function hashDelete(
  ctx: StoreCtx,
  t: Table,
  e: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
): boolean {
  const d = dictOf(t, e);
  if (d !== undefined) {
    const id = d.find(fbuf, foff, flen);
    if (id < 0) return false;
    dictDeleteId(ctx, d, id);
    return true;
  }
  const total = t.valLen[e]!;
  const page = t.page(e);
  const base = t.valueOffset(e);
  const r = lpFind(page, base, total, fbuf, foff, flen);
  if (r < 0) return false;
  const end = lpSkip(page, base + r);
  page.copyWithin(base + r, end, base + total);
  t.resizeValueExact(e, total - (end - base - r));
  return true;
}

/** Convert a listpack hash to a hashtable (one way) and return its dict. */
export function hashConvert(_ctx: StoreCtx, t: Table, e: number): ByteDict {
  const existing = dictOf(t, e);
  if (existing !== undefined) return existing;
  const page = t.page(e);
  const base = t.valueOffset(e);
  const end = base + t.valLen[e]!;
  const d = new ByteDict(true, hashLength(t, e) + 1);
  for (let p = base; p < end; ) {
    const fl = lpFlen(page, p);
    const vl = lpVlen(page, p);
    const fo = p + lpHeadSize(fl, vl);
    d.add(page, fo, fl, page, fo + fl, vl);
    p = fo + fl + vl;
  }
  t.resizeValueExact(e, 0);
  t.setObj(e, d); // the table's hook adds the dict's bytes to used_memory
  return d;
}

// ---- per-type hooks (src/store/objects.ts; the command layer registers them) -------------------

/** cloneObject hook for TYPE_HASH: COPY already copied the key's value bytes (the listpack). */
export const cloneHashObject = cloneDictObject;

/** objectEncoding hook for TYPE_HASH. */
export function hashObjectEncoding(obj: unknown): string {
  return obj === undefined ? "listpack" : "hashtable";
}

// ---- listpack sampling ------------------------------------------------------------------------

/** `count` (< n) distinct entries of all[0, n), uniformly, kept in their order (selection sampling). */
function selectOrdered(rng: Rng, all: Int32Array, n: number, count: number, out: Handles): void {
  let need = count;
  for (let i = 0; i < n && need > 0; i++) {
    if (rng.random() * (n - i) < need) {
      out.push(all[i]!);
      need--;
    }
  }
}

// ---- listpack internals ----------------------------------------------------------------------

/** Offset just past the record at p. */
function lpSkip(page: Uint8Array, p: number): number {
  const fl = lpFlen(page, p);
  const vl = lpVlen(page, p);
  return p + lpHeadSize(fl, vl) + fl + vl;
}

/** The field's record offset relative to base (>= 0), or -(record count) - 1 when missing. */
function lpFind(
  page: Uint8Array,
  base: number,
  total: number,
  fbuf: Uint8Array,
  foff: number,
  flen: number,
): number {
  const end = base + total;
  let n = 0;
  for (let p = base; p < end; n++) {
    const fl = lpFlen(page, p);
    const vl = lpVlen(page, p);
    const fo = p + lpHeadSize(fl, vl);
    if (fl === flen && bytesEqual(page, fo, fbuf, foff, flen)) return p - base;
    p = fo + fl + vl;
  }
  return -n - 1;
}

/** Replace the value of the record at relative offset r, keeping its place. */
function lpReplace(
  t: Table,
  e: number,
  r: number,
  vbuf: Uint8Array,
  voff: number,
  vlen: number,
): void {
  let page = t.page(e);
  let base = t.valueOffset(e);
  const total = t.valLen[e]!;
  let p = base + r;
  const fl = lpFlen(page, p);
  const old = lpVlen(page, p);
  const oh = lpHeadSize(fl, old);
  const nh = lpHeadSize(fl, vlen);
  const oldRec = oh + fl + old;
  const newRec = nh + fl + vlen;
  const delta = newRec - oldRec;
  if (delta > 0) {
    t.resizeValueExact(e, total + delta);
    page = t.page(e);
    base = t.valueOffset(e);
    p = base + r;
    page.copyWithin(p + newRec, p + oldRec, base + total); // the tail first: frees room
  }
  // The field moves when the head changes size (it only grows with the value), then the head
  // and the value are written.
  if (oh !== nh) page.copyWithin(p + nh, p + oh, p + oh + fl);
  lpWriteHead(page, p, fl, vlen);
  copyIn(vbuf, voff, page, p + nh + fl, vlen);
  if (delta < 0) {
    page.copyWithin(p + newRec, p + oldRec, base + total);
    t.resizeValueExact(e, total + delta);
  }
}

// Record head: one byte 0fffvvvv when flen <= 7 and vlen <= 15 (most small-hash pairs: "ts" ->
// "1700000000" costs 1 byte of head, not 2); else 1xxxxxxx with xxxxxxx = flen, or 127 followed
// by the varint of flen - 127; then the varint of vlen. Writers always pick the short form, so
// the head's size follows from the two lengths.

function lpHeadSize(flen: number, vlen: number): number {
  if (flen <= 7 && vlen <= 15) return 1;
  return 1 + (flen >= 127 ? varintSize(flen - 127) : 0) + varintSize(vlen);
}

/** Write the head at p; returns the offset of the field bytes. */
function lpWriteHead(page: Uint8Array, p: number, flen: number, vlen: number): number {
  if (flen <= 7 && vlen <= 15) {
    page[p] = (flen << 4) | vlen;
    return p + 1;
  }
  if (flen < 127) {
    page[p] = 0x80 | flen;
    return writeVarint(page, p + 1, vlen);
  }
  page[p] = 0xff;
  return writeVarint(page, writeVarint(page, p + 1, flen - 127), vlen);
}

function lpFlen(page: Uint8Array, p: number): number {
  const h = page[p]!;
  if (h < 0x80) return h >>> 4;
  const f = h & 0x7f;
  return f < 127 ? f : 127 + readVarint(page, p + 1);
}

function lpVlen(page: Uint8Array, p: number): number {
  const h = page[p]!;
  if (h < 0x80) return h & 15;
  if ((h & 0x7f) < 127) return readVarint(page, p + 1);
  const x = readVarint(page, p + 1);
  return readVarint(page, p + 1 + varintSize(x));
}
