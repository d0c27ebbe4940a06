// RDB packed blobs -> the store's packed encodings, without the neutral model: an intset is
// copied into the set's block as it is, a hash listpack is written pair by pair into one block of
// its final size, a zset listpack is inserted from the blob's bytes. No array per element, no
// copy per element, no block resize per field, integers formatted in place (the element-by-
// element path, storeValue, made each of those; docs/BENCHMARKS.md "where the load time goes").
//
// Each load first reads the whole blob (validating it as the neutral-model decoders do) and
// DECLINES, before changing anything, whatever the fast path does not cover: an empty or
// malformed blob, a value past the store's packed limits, an intset wider than it needs. The
// reader then takes the ordinary path (same errors, same result as before). A value built here
// equals what storeValue builds from the decoded elements (test/persistence/rdb/packed-load.test.ts).

import type { CommandLimits } from "../commands/context.ts";
import { hashFindPair, hashPairBytes, hashWritePairHead } from "../store/hash.ts";
import { setCreateIntsetFrom } from "../store/set.ts";
import { type Table, TYPE_HASH, TYPE_ZSET } from "../store/table.ts";
import { ZSet } from "../store/zset.ts";
import { writeIntText } from "./rdb/bytes.ts";
import { RdbError } from "./rdb/index.ts";
import { ListpackReader } from "./rdb/listpack.ts";
import { parseScore } from "./rdb/reader.ts";

/** Not taken: decode the blob the ordinary way. */
export const PACKED_DECLINED = -1;
/** Valid and taken, nothing stored (the key had expired). */
export const PACKED_SKIPPED = -2;
/** The key exists already (the caller reports the duplicate). */
export const PACKED_DUPLICATE = -3;

/** One per load: a reused listpack cursor and integer scratch (nothing allocated per key). */
export class PackedLoader {
  private readonly lp = new ListpackReader(new Uint8Array([7, 0, 0, 0, 0, 0, 0xff]));
  private readonly scratch = new Uint8Array(24);

  constructor(private readonly limits: CommandLimits) {}

  /**
   * An RDB_TYPE_SET_INTSET body at buf[off, off + len) as the intset of key kbuf[0, klen): the entry id,
   * PACKED_DECLINED, PACKED_SKIPPED (skip: validate only) or PACKED_DUPLICATE.
   */
  intset(
    t: Table,
    kbuf: Uint8Array,
    klen: number,
    buf: Uint8Array,
    off: number,
    len: number,
    skip: boolean,
  ): number {
    if (len < 8) return PACKED_DECLINED;
    const w = u32(buf, off);
    const n = u32(buf, off + 4);
    if (w !== 2 && w !== 4 && w !== 8) return PACKED_DECLINED;
    if (len !== 8 + n * w || n === 0 || n > this.limits.setMaxIntsetEntries) {
      return PACKED_DECLINED;
    }
    const body = off + 8;
    // strictly ascending (intsetValidateIntegrity), compared as (signed hi, unsigned lo)
    let ph = intHi(buf, body, w);
    let pl = intLo(buf, body, w);
    for (let i = 1; i < n; i++) {
      const o = body + i * w;
      const h = intHi(buf, o, w);
      const l = intLo(buf, o, w);
      if (h < ph || (h === ph && l <= pl)) return PACKED_DECLINED;
      ph = h;
      pl = l;
    }
    // the narrowest width for the smallest and the largest member (setAdd's upgrades)
    const need = Math.max(widthFor(intHi(buf, body, w), intLo(buf, body, w)), widthFor(ph, pl));
    if (need !== w) return PACKED_DECLINED;
    if (skip) return PACKED_SKIPPED;
    const e = setCreateIntsetFrom(t, kbuf, 0, klen, w, buf, body, n);
    return e < 0 ? PACKED_DUPLICATE : e;
  }

  /** An RDB_TYPE_HASH_LISTPACK blob as key's listpack hash; returns as intset(). */
  hash(
    t: Table,
    kbuf: Uint8Array,
    klen: number,
    buf: Uint8Array,
    off: number,
    len: number,
    skip: boolean,
  ): number {
    const r = this.lp;
    const maxV = this.limits.hashMaxListpackValue;
    let pairs = 0;
    let total = 0;
    try {
      r.reset(buf, off, len);
      while (r.next()) {
        const fl = r.textLen();
        if (!r.next()) return PACKED_DECLINED; // odd count
        const vl = r.textLen();
        if (fl > maxV || vl > maxV) return PACKED_DECLINED;
        total += hashPairBytes(fl, vl);
        pairs++;
      }
    } catch {
      return PACKED_DECLINED;
    }
    if (pairs === 0 || pairs > this.limits.hashMaxListpackEntries) return PACKED_DECLINED;
    if (skip) return PACKED_SKIPPED;
    const e = t.addIfAbsent(kbuf, 0, klen, TYPE_HASH, total);
    if (e < 0) return PACKED_DUPLICATE;
    const page = t.page(e);
    const base = t.valueOffset(e);
    let p = base;
    r.rewind();
    while (r.next()) {
      const fInt = r.isInt;
      const fv = r.int;
      const fOff = r.strOff;
      const fl = r.textLen();
      r.next();
      const vl = r.textLen();
      const fo = hashWritePairHead(page, p, fl, vl);
      if (fInt) writeIntText(page, fo, fv);
      else for (let i = 0; i < fl; i++) page[fo + i] = buf[fOff + i]!;
      if (hashFindPair(page, base, p - base, page, fo, fl)) {
        // a field twice: leave it to the ordinary path (hashSet replaces, as before)
        t.remove(e);
        return PACKED_DECLINED;
      }
      p = r.writeText(page, fo + fl);
    }
    if (p !== base + total) throw new Error(`packed hash: wrote ${p - base} of ${total} bytes`);
    return e;
  }

  /** An RDB_TYPE_ZSET_LISTPACK blob as key's zset; returns as intset(). */
  zset(
    t: Table,
    kbuf: Uint8Array,
    klen: number,
    buf: Uint8Array,
    off: number,
    len: number,
    skip: boolean,
  ): number {
    const r = this.lp;
    const lim = this.limits;
    let pairs = 0;
    let small = true;
    let bytes = 0;
    try {
      r.reset(buf, off, len);
      while (r.next()) {
        const ml = r.textLen();
        if (ml > lim.zsetMaxListpackValue) small = false;
        bytes += ml;
        if (!r.next()) return PACKED_DECLINED;
        if (Number.isNaN(this.score(r))) return PACKED_DECLINED;
        pairs++;
      }
    } catch {
      return PACKED_DECLINED;
    }
    if (pairs === 0) return PACKED_DECLINED;
    if (skip) return PACKED_SKIPPED;
    if (pairs > lim.zsetMaxListpackEntries) small = false;
    const z = new ZSet();
    if (!small) z.toLarge();
    else z.reserveSmall(pairs, bytes);
    const sc = this.scratch;
    r.rewind();
    while (r.next()) {
      let mb = buf;
      let mo = r.strOff;
      const ml = r.textLen();
      if (r.isInt) {
        writeIntText(sc, 0, r.int);
        mb = sc;
        mo = 0;
      }
      r.next();
      const s = this.score(r);
      if (z.find(mb, mo, ml) >= 0) throw new RdbError("duplicate zset member", 0);
      z.insert(mb, mo, ml, s);
    }
    const e = t.addIfAbsent(kbuf, 0, klen, TYPE_ZSET, 0);
    if (e < 0) return PACKED_DUPLICATE;
    t.setObj(e, z);
    return e;
  }

  /** The current entry as a score (parseScore's forms), NaN when it is not one. */
  private score(r: ListpackReader): number {
    if (r.isInt) return Number(r.int);
    return parseScore(r.buf.subarray(r.strOff, r.strOff + r.strLen));
  }
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** High 32 bits (signed) of the w-byte little-endian int at o. */
function intHi(b: Uint8Array, o: number, w: number): number {
  if (w === 2) return b[o + 1]! & 0x80 ? -1 : 0;
  if (w === 4) return b[o + 3]! & 0x80 ? -1 : 0;
  return b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24);
}

/** Low 32 bits (unsigned) of the w-byte little-endian int at o, sign-extended from w. */
function intLo(b: Uint8Array, o: number, w: number): number {
  if (w === 2) {
    const v = b[o]! | (b[o + 1]! << 8);
    return (v & 0x8000 ? v | 0xffff0000 : v) >>> 0;
  }
  return u32(b, o);
}

function widthFor(hi: number, lo: number): number {
  if (hi === 0) return lo <= 0x7fff ? 2 : lo <= 0x7fffffff ? 4 : 8;
  if (hi === -1) return lo >= 0xffff8000 ? 2 : lo >= 0x80000000 ? 4 : 8;
  return 8;
}
