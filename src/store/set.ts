// Sets of byte strings, in the two encodings Redis 7.0 uses (7.0 has no listpack sets; that is
// 7.2): `intset` while every member is an integer in canonical form (Redis's string2ll: no
// leading zeros, no '+', no spaces, "-0" is not one, fits int64) and the set has <=
// set-max-intset-entries members, then `hashtable` for good.
//
// intset: packed into the key's own arena block in the keyspace Table (the value bytes after the
// key): [width: 2|4|8][members as little-endian signed ints of that width, sorted ascending], the
// width upgraded (never downgraded) as Redis's intset does. No JS object: `t.objs[e]` stays
// undefined. Iteration is ascending, as SMEMBERS on a Redis intset.
// hashtable: a ByteDict (no values) in `t.objs[e]`.
//
// Handles name members: the index in the intset, or the dict id; valid while the set is only
// read. Members are read into a caller-owned ByteRef (an intset member is formatted into its
// scratch). Writers take a StoreCtx (the Keyspace): a dict's growth goes to objectBytesChanged.
// An emptied set is NOT removed here: the caller checks setSize() === 0 and removes the key.

import { ByteDict, Handles, keyHash, type Rng } from "./bytedict.ts";
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
import { type Table, TYPE_SET } from "./table.ts";

export { ByteRef, Handles, type StoreCtx };

/** set-max-intset-entries (the command layer reads the config). */
export interface SetLimits {
  maxIntsetEntries: number;
}

export const SET_LIMITS_DEFAULT: Readonly<SetLimits> = Object.freeze({ maxIntsetEntries: 512 });

const TWO32 = 4294967296;

// ---- canonical int64 (Redis string2ll) -------------------------------------------------------

/**
 * Parse buf[off, off+len) as Redis's string2ll does. Returns the high 32 bits (signed) when
 * wantHi, else the low 32 bits (unsigned); NaN when the bytes are not a canonical int64.
 * Two calls instead of an out-parameter: no allocation and no shared state (<= 20 digits).
 */
function parseI64(buf: Uint8Array, off: number, len: number, wantHi: boolean): number {
  if (len === 0 || len >= 21) return Number.NaN;
  let p = off;
  const end = off + len;
  if (len === 1 && buf[p] === 48) return 0; // "0"
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
    if (p === end) return Number.NaN;
  }
  const first = buf[p]!;
  if (first < 49 || first > 57) return Number.NaN; // 1-9: no leading zero, no "-0", no '+'
  // Magnitude as hi * 2^32 + lo, both unsigned, exact in doubles (hi * 10 < 2^36).
  let hi = 0;
  let lo = 0;
  for (; p < end; p++) {
    const c = buf[p]! - 48;
    if (c < 0 || c > 9) return Number.NaN;
    const l = lo * 10 + c;
    const carry = Math.floor(l / TWO32);
    lo = l - carry * TWO32;
    hi = hi * 10 + carry;
    if (hi > 0x80000000) return Number.NaN;
  }
  // Fits: magnitude <= 2^63 - 1, or == 2^63 when negative.
  if (hi === 0x80000000 && (lo !== 0 || !neg)) return Number.NaN;
  if (hi > 0x80000000) return Number.NaN;
  if (neg) {
    // Two's complement of the 64-bit magnitude.
    lo = (TWO32 - lo) % TWO32;
    hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
  } else {
    hi |= 0;
  }
  return wantHi ? hi : lo;
}

/** True when the bytes are an integer Redis would keep in an intset (string2ll succeeds). */
export function isCanonicalInt64(buf: Uint8Array, off: number, len: number): boolean {
  return !Number.isNaN(parseI64(buf, off, len, false));
}

/** Write the int64 (hi signed, lo unsigned) in decimal into out.scratch; out points at it. */
function formatI64(hi: number, lo: number, out: ByteRef): void {
  const s = out.scratch;
  let neg = false;
  if (hi < 0) {
    neg = true;
    lo = (TWO32 - lo) % TWO32;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0; // magnitude; 2^63 gives hi = 2^31
  }
  let p = s.length;
  if (hi === 0) {
    let v = lo;
    do {
      const q = Math.floor(v / 10);
      s[--p] = 48 + v - q * 10;
      v = q;
    } while (v > 0);
  } else {
    while (hi > 0 || lo > 0) {
      const qh = Math.floor(hi / 10);
      const rem = hi - qh * 10;
      const l = rem * TWO32 + lo; // < 10 * 2^32: exact
      const ql = Math.floor(l / 10);
      s[--p] = 48 + l - ql * 10;
      hi = qh;
      lo = ql;
    }
  }
  if (neg) s[--p] = 45;
  out.buf = s;
  out.off = p;
  out.len = s.length - p;
}

function widthFor(hi: number, lo: number): number {
  if (hi === 0) return lo <= 0x7fff ? 2 : lo <= 0x7fffffff ? 4 : 8;
  if (hi === -1) return lo >= 0xffff8000 ? 2 : lo >= 0x80000000 ? 4 : 8;
  return 8;
}

// ---- intset internals (the block: [width][ints]) ---------------------------------------------

function isHi(page: Uint8Array, o: number, w: number): number {
  if (w === 2) return page[o + 1]! & 0x80 ? -1 : 0;
  if (w === 4) return page[o + 3]! & 0x80 ? -1 : 0;
  return page[o + 4]! | (page[o + 5]! << 8) | (page[o + 6]! << 16) | (page[o + 7]! << 24);
}

function isLo(page: Uint8Array, o: number, w: number): number {
  if (w === 2) {
    const v = page[o]! | (page[o + 1]! << 8);
    return (v & 0x8000 ? v | 0xffff0000 : v) >>> 0;
  }
  return (page[o]! | (page[o + 1]! << 8) | (page[o + 2]! << 16) | (page[o + 3]! << 24)) >>> 0;
}

function isWrite(page: Uint8Array, o: number, w: number, hi: number, lo: number): void {
  page[o] = lo & 255;
  page[o + 1] = (lo >>> 8) & 255;
  if (w === 2) return;
  page[o + 2] = (lo >>> 16) & 255;
  page[o + 3] = (lo >>> 24) & 255;
  if (w === 4) return;
  page[o + 4] = hi & 255;
  page[o + 5] = (hi >>> 8) & 255;
  page[o + 6] = (hi >>> 16) & 255;
  page[o + 7] = (hi >>> 24) & 255;
}

/** Index of (hi, lo) in the intset at base, or -(insertion point) - 1. */
function isSearch(
  page: Uint8Array,
  base: number,
  n: number,
  w: number,
  hi: number,
  lo: number,
): number {
  let a = 0;
  let b = n - 1;
  while (a <= b) {
    const m = (a + b) >>> 1;
    const o = base + 1 + m * w;
    const eh = isHi(page, o, w);
    const c = eh !== hi ? eh - hi : isLo(page, o, w) - lo;
    if (c === 0) return m;
    if (c < 0) a = m + 1;
    else b = m - 1;
  }
  return -a - 1;
}

// ---- create, encoding, size -------------------------------------------------------------------

/**
 * Add key (absent) as an empty set; returns its entry. Redis's setTypeCreate picks the encoding
 * from the first member: pass isCanonicalInt64(first member) (SINTERSTORE & co. create an intset:
 * pass true). Fill it before replying.
 */
export function setCreate(
  t: Table,
  kbuf: Uint8Array,
  koff: number,
  klen: number,
  intset: boolean,
): number {
  if (!intset) {
    const e = t.add(kbuf, koff, klen, TYPE_SET, 0);
    t.setObj(e, new ByteDict(false));
    return e;
  }
  const e = t.add(kbuf, koff, klen, TYPE_SET, 1);
  t.page(e)[t.valueOffset(e)] = 2;
  return e;
}

/** setCreate when the key is absent, in one probe (Table.addIfAbsent); -1 when it exists. */
export function setCreateIfAbsent(
  t: Table,
  kbuf: Uint8Array,
  koff: number,
  klen: number,
  intset: boolean,
): number {
  const e = t.addIfAbsent(kbuf, koff, klen, TYPE_SET, intset ? 1 : 0);
  if (e < 0) return -1;
  if (intset) t.page(e)[t.valueOffset(e)] = 2;
  else t.setObj(e, new ByteDict(false));
  return e;
}

/**
 * Add key (absent: else -1) as an intset of the n members at src[off, off + n * w), w-byte little
 * endian ints (an RDB intset's body), copied as they are: one block of its final size. The
 * caller checked that n <= set-max-intset-entries, that they ascend strictly and that w (2, 4
 * or 8) is the narrowest width that holds them (what setAdd one by one would have made).
 */
export function setCreateIntsetFrom(
  t: Table,
  kbuf: Uint8Array,
  koff: number,
  klen: number,
  w: number,
  src: Uint8Array,
  off: number,
  n: number,
): number {
  const e = t.addIfAbsent(kbuf, koff, klen, TYPE_SET, 1 + n * w);
  if (e < 0) return -1;
  const page = t.page(e);
  const base = t.valueOffset(e);
  page[base] = w;
  const bytes = n * w;
  for (let i = 0; i < bytes; i++) page[base + 1 + i] = src[off + i]!;
  return e;
}

export function setIsIntset(t: Table, e: number): boolean {
  return t.getObj(e) === undefined;
}

/** OBJECT ENCODING. */
export function setEncoding(t: Table, e: number): "intset" | "hashtable" {
  return t.getObj(e) === undefined ? "intset" : "hashtable";
}

/** SCARD. O(1). */
export function setSize(t: Table, e: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.size;
  const w = t.page(e)[t.valueOffset(e)]!;
  return (t.valLen[e]! - 1) / w;
}

/** Bytes this set holds beyond its table row: its arena block and its dict (MEMORY USAGE). */
export function setMemoryBytes(t: Table, e: number): number {
  return packedOrDictMemoryBytes(t, e);
}

// ---- reads ----------------------------------------------------------------------------------

/** Handle of a member, or -1. */
export function setFind(t: Table, e: number, mbuf: Uint8Array, moff: number, mlen: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.find(mbuf, moff, mlen);
  const lo = parseI64(mbuf, moff, mlen, false);
  if (Number.isNaN(lo)) return -1;
  const hi = parseI64(mbuf, moff, mlen, true);
  const page = t.page(e);
  const base = t.valueOffset(e);
  const w = page[base]!;
  if (widthFor(hi, lo) > w) return -1;
  const i = isSearch(page, base, (t.valLen[e]! - 1) / w, w, hi, lo);
  return i >= 0 ? i : -1;
}

/** SISMEMBER; the probe of intersections (iterate the smaller set, probe the larger). */
export function setHas(t: Table, e: number, mbuf: Uint8Array, moff: number, mlen: number): boolean {
  return setFind(t, e, mbuf, moff, mlen) >= 0;
}

/** Fill `out` with handle h's member bytes (an intset member is formatted into out.scratch). */
export function setMember(t: Table, e: number, h: number, out: ByteRef): void {
  const d = dictOf(t, e);
  if (d !== undefined) return dictKeyRef(d, h, out);
  const page = t.page(e);
  const base = t.valueOffset(e);
  const w = page[base]!;
  const o = base + 1 + h * w;
  formatI64(isHi(page, o, w), isLo(page, o, w), out);
}

/** First handle (intset: the smallest member), or -1 when empty. */
export function setFirst(t: Table, e: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.nextLive(0);
  return setSize(t, e) > 0 ? 0 : -1;
}

export function setNext(t: Table, e: number, h: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.nextLive(h + 1);
  return h + 1 < setSize(t, e) ? h + 1 : -1;
}

/** SSCAN step, as hashScan: an intset whole with cursor 0; a dict by id (never misses). */
export function setScan(t: Table, e: number, cursor: number, count: number, out: Handles): number {
  out.clear();
  const d = dictOf(t, e);
  if (d === undefined) {
    const n = setSize(t, e);
    for (let i = 0; i < n; i++) out.push(i);
    return 0;
  }
  return dictScan(d, cursor, count, out);
}

/** SRANDMEMBER / SPOP without a count: a uniformly random member's handle (-1 when empty). */
export function setRandom(rng: Rng, t: Table, e: number): number {
  const d = dictOf(t, e);
  if (d !== undefined) return d.randomId(rng);
  const n = setSize(t, e);
  return n === 0 ? -1 : Math.floor(rng.random() * n);
}

/**
 * SRANDMEMBER key count: fill `out` (cleared first) following Redis's cases (t_set.c
 * srandmemberWithCountCommand): count < 0: |count| uniform picks with repetition; count >= size:
 * the whole set; else `count` distinct members, a uniform subset. Callers bound |count|.
 */
export function setRandomHandles(rng: Rng, t: Table, e: number, count: number, out: Handles): void {
  out.clear();
  const d = dictOf(t, e);
  if (d !== undefined) return dictRandomHandles(rng, d, count, out);
  const n = setSize(t, e);
  if (n === 0 || count === 0) return;
  if (count < 0) {
    for (let k = -count; k > 0; k--) out.push(Math.floor(rng.random() * n));
  } else if (count >= n) {
    for (let i = 0; i < n; i++) out.push(i);
  } else {
    let need = count;
    for (let i = 0; i < n && need > 0; i++) {
      if (rng.random() * (n - i) < need) {
        out.push(i);
        need--;
      }
    }
  }
}

// ---- writes ---------------------------------------------------------------------------------

/**
 * SADD one member: true when it was added. An intset converts to a hashtable when the member is
 * not a canonical integer or the set would pass set-max-intset-entries. The bytes must not come
 * from this set itself (the block may move). Throws RangeError past ByteDict.maxMemBytes.
 */
export function setAdd(
  ctx: StoreCtx,
  t: Table,
  e: number,
  mbuf: Uint8Array,
  moff: number,
  mlen: number,
  limits: SetLimits,
): boolean {
  let d = dictOf(t, e);
  if (d === undefined) {
    const lo = parseI64(mbuf, moff, mlen, false);
    if (!Number.isNaN(lo)) {
      const hi = parseI64(mbuf, moff, mlen, true);
      let page = t.page(e);
      let base = t.valueOffset(e);
      const w = page[base]!;
      const n = (t.valLen[e]! - 1) / w;
      const nw = widthFor(hi, lo);
      const at = nw > w ? -1 : isSearch(page, base, n, w, hi, lo);
      if (at >= 0) return false;
      if (n + 1 > limits.maxIntsetEntries) {
        d = setConvert(ctx, t, e);
      } else if (nw > w) {
        // Upgrade (Redis's intsetUpgradeAndAdd): the new member is below or above all others.
        t.resizeValueExact(e, 1 + (n + 1) * nw);
        page = t.page(e);
        base = t.valueOffset(e);
        const front = hi < 0 ? 1 : 0;
        for (let i = n - 1; i >= 0; i--) {
          const o = base + 1 + i * w;
          const eh = isHi(page, o, w);
          const el = isLo(page, o, w);
          isWrite(page, base + 1 + (i + front) * nw, nw, eh, el);
        }
        page[base] = nw;
        isWrite(page, base + 1 + (front === 1 ? 0 : n) * nw, nw, hi, lo);
        return true;
      } else {
        const pos = -at - 1;
        t.resizeValueExact(e, 1 + (n + 1) * w);
        page = t.page(e);
        base = t.valueOffset(e);
        const o = base + 1 + pos * w;
        page.copyWithin(o + w, o, base + 1 + n * w);
        isWrite(page, o, w, hi, lo);
        return true;
      }
    } else {
      d = setConvert(ctx, t, e);
    }
  }
  const h = keyHash(mbuf, moff, mlen); // once: a new member is not hashed again by add
  if (d.findHashed(h, mbuf, moff, mlen) >= 0) return false;
  const before = d.memoryBytes();
  d.addHashed(h, mbuf, moff, mlen, mbuf, 0, 0);
  const after = d.memoryBytes();
  if (after !== before) ctx.objectBytesChanged(after - before);
  return true;
}

/** Would adding this member pass the hashtable's byte limit? */
export function setWouldOverflow(t: Table, e: number, mlen: number): boolean {
  const d = dictOf(t, e);
  return d?.wouldOverflow(mlen, 0) === true;
}

/** SREM one member: true when it was there. The caller removes the key when the set is empty. */
export function setRemove(
  ctx: StoreCtx,
  t: Table,
  e: number,
  mbuf: Uint8Array,
  moff: number,
  mlen: number,
): boolean {
  const h = setFind(t, e, mbuf, moff, mlen);
  if (h < 0) return false;
  setRemoveHandle(ctx, t, e, h);
  return true;
}

/** Remove the member at handle h (SPOP after setRandom). Invalidates every handle. */
export function setRemoveHandle(ctx: StoreCtx, t: Table, e: number, h: number): void {
  const d = dictOf(t, e);
  if (d !== undefined) return dictDeleteId(ctx, d, h);
  const page = t.page(e);
  const base = t.valueOffset(e);
  const w = page[base]!;
  const total = t.valLen[e]!;
  const o = base + 1 + h * w;
  page.copyWithin(o, o + w, base + total);
  t.resizeValueExact(e, total - w); // the width stays (Redis never downgrades an intset)
}

/**
 * SPOP key count (count >= 0): remove min(count, size) uniformly chosen distinct members, calling
 * `sink` with each one's bytes just before it goes (copy them if kept: they are overwritten).
 * Redis's cases (t_set.c spopWithCountCommand): count >= size pops everything; when what remains
 * is small (remaining * 5 <= count) it picks the members to keep instead of those to pop. Returns
 * the number popped; the caller removes the key when the set is empty.
 */
export function setPop(
  ctx: StoreCtx,
  t: Table,
  e: number,
  count: number,
  sink: (buf: Uint8Array, off: number, len: number) => void,
): number {
  const size = setSize(t, e);
  const ref = new ByteRef();
  if (count <= 0 || size === 0) return 0;
  if (count >= size) {
    for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
      setMember(t, e, h, ref);
      sink(ref.buf, ref.off, ref.len);
    }
    // Empty it in place (the caller deletes the key): handles are walked back to front.
    emptySet(ctx, t, e);
    return size;
  }
  const remaining = size - count;
  if (remaining * 5 > count) {
    for (let k = 0; k < count; k++) {
      const h = setRandom(ctx, t, e);
      setMember(t, e, h, ref);
      sink(ref.buf, ref.off, ref.len);
      setRemoveHandle(ctx, t, e, h);
    }
    return count;
  }
  // Keep `remaining` random members, pop every other one.
  const keep = new Handles();
  setRandomHandles(ctx, t, e, remaining, keep);
  const d = dictOf(t, e);
  const limit = d !== undefined ? d.idHighWater : size;
  const kept = new Uint8Array(limit);
  for (let i = 0; i < keep.n; i++) kept[keep.ids[i]!] = 1;
  for (let h = setFirst(t, e); h >= 0; h = setNext(t, e, h)) {
    if (kept[h] === 1) continue;
    setMember(t, e, h, ref);
    sink(ref.buf, ref.off, ref.len);
  }
  if (d !== undefined) {
    const before = d.memoryBytes();
    for (let h = limit - 1; h >= 0; h--) if (d.isLive(h) && kept[h] !== 1) d.delete(h);
    const after = d.memoryBytes();
    if (after !== before) ctx.objectBytesChanged(after - before);
  } else {
    for (let h = size - 1; h >= 0; h--) if (kept[h] !== 1) setRemoveHandle(ctx, t, e, h);
  }
  return count;
}

function emptySet(ctx: StoreCtx, t: Table, e: number): void {
  const d = dictOf(t, e);
  if (d === undefined) {
    t.resizeValueExact(e, 1);
    return;
  }
  const before = d.memoryBytes();
  for (let h = d.idHighWater - 1; h >= 0; h--) if (d.isLive(h)) d.delete(h);
  ctx.objectBytesChanged(d.memoryBytes() - before);
}

/** Convert an intset to a hashtable (one way) and return its dict. */
export function setConvert(_ctx: StoreCtx, t: Table, e: number): ByteDict {
  const existing = dictOf(t, e);
  if (existing !== undefined) return existing;
  const n = setSize(t, e);
  const d = new ByteDict(false, n + 1);
  const ref = new ByteRef();
  for (let i = 0; i < n; i++) {
    setMember(t, e, i, ref);
    d.add(ref.buf, ref.off, ref.len, ref.buf, 0, 0);
  }
  t.resizeValueExact(e, 0);
  t.setObj(e, d); // the table's hook adds the dict's bytes to used_memory
  return d;
}

// ---- per-type hooks (src/store/objects.ts; the command layer registers them) -------------------

/** cloneObject hook for TYPE_SET: COPY already copied the key's value bytes (the intset). */
export const cloneSetObject = cloneDictObject;

/** objectEncoding hook for TYPE_SET. */
export function setObjectEncoding(obj: unknown): string {
  return obj === undefined ? "intset" : "hashtable";
}
