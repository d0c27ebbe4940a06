// Stream: entries (ID + field/value pairs) in nodes, as Redis keeps them in listpacks under a
// radix tree, and the 7.0 metadata (length, last/first ID, max deleted ID, entries added).
//
// Nodes. Entries are appended to the tail node until Redis would open a new listpack: when the
// tail's listpack bytes + the new entry's field/value bytes reach stream-node-max-bytes, or its
// entries (live + deleted) reach stream-node-max-entries. To decide exactly as Redis does, each
// node tracks the byte size Redis's listpack would have (`rlp`, from listpack.c's encodings);
// our own bytes are a smaller encoding. Mirroring the node boundaries matters because XTRIM/XADD
// with `~` remove whole nodes only, so the counts they report must match redis-server's.
//
// A node is one Uint8Array (its bytes) plus a row in typed-array columns (master ID, last ID,
// counts). Per node, no JS object per entry. Bytes of a node:
//   master fields:  varint nf, (varint len, bytes) x nf      -- the first entry's field names
//   entries:        u8 flags (1 deleted, 2 same fields as master)
//                   varint msDelta (ms - master.ms), varint seq (seq - master.seq if msDelta=0,
//                   else seq), then either (varint len, value) x nf_master (same fields) or
//                   varint nf, (varint len, field, varint len, value) x nf
// Entry IDs are increasing within and across nodes, so a lookup is a binary search over the
// nodes' master IDs and a scan of <= one node. XDEL sets the deleted flag; a node is rewritten
// without its deleted entries once they outnumber the live ones (Redis never compacts; its
// counters, which decide node boundaries, are kept as Redis has them), and dropped when its
// last live entry goes (as Redis drops the listpack).
//
// Limits: a node holds < 2^31 bytes (Int32 offsets); Redis refuses an entry whose field/value
// bytes exceed 2^30 (ERANGE, "Elements are too large to be stored"): see entryTooLarge().

import { assert } from "../assert.ts";
import {
  dec,
  getVar,
  getVar32,
  lpIntSize,
  lpIntSizeU64,
  lpStrSize,
  putVar,
  putVar32,
  varSize,
  varSize32,
} from "./stream-codec.ts";
import { ConsumerGroup } from "./stream-group.ts";
import {
  compareIdAt,
  compareIds,
  idsEqual,
  incrId,
  loadId,
  StreamId,
  storeId,
  TWO32,
} from "./stream-id.ts";

/** The arguments of a request: byte ranges in one buffer (protocol/args.ts Args fits). */
export interface ByteRanges {
  buf: Uint8Array;
  offs: Int32Array;
  lens: Int32Array;
}

/** stream-node-max-bytes / stream-node-max-entries (redis.conf names; 0 = unlimited). */
export interface StreamNodeLimits {
  nodeMaxBytes: number;
  nodeMaxEntries: number;
}

export const DEFAULT_NODE_LIMITS: StreamNodeLimits = { nodeMaxBytes: 4096, nodeMaxEntries: 100 };

/** STREAM_LISTPACK_MAX_SIZE: the cap on a listpack, and on one entry's field/value bytes. */
export const STREAM_LISTPACK_MAX_SIZE = 1 << 30;
export const ERR_TOO_LARGE = "ERR Elements are too large to be stored";

export const TRIM_MAXLEN = 1;
export const TRIM_MINID = 2;

/** resolveAddId results. */
export const ADD_OK = 0;
/** The ID is <= the top item (or the sequence would overflow): ERR_XADD_SMALLER. */
export const ADD_SMALLER = 1;

const F_DELETED = 1;
const F_SAMEFIELDS = 2;
/** Listpack header (6) + end byte (1). */
const LP_EMPTY = 7;
/** Bytes a node's Uint8Array costs beyond its data (JSC object + backing store header). */
const NODE_OBJ_BYTES = 64;
/** Bytes of one Stream object and its fixed parts (IDs, column headers), for memoryBytes. */
const STREAM_FIXED_BYTES = 400;
const EMPTY = new Uint8Array(0);

export class Stream {
  /** Live entries. */
  length = 0;
  readonly lastId = new StreamId();
  /** First live entry's ID (0-0 when XDEL emptied the stream; see trim for Redis's rule). */
  readonly firstId = new StreamId();
  readonly maxDeletedId = new StreamId();
  /** Entries ever added (7.0 entries_added; XSETID may set it). */
  entriesAdded = 0;
  /** Consumer groups, sorted by name bytes (Redis's rax order). */
  groups: ConsumerGroup[] = [];

  // ---- nodes, in ID order; row i across the columns ----
  private bufs: Uint8Array[] = [];
  private nodeN = 0;
  private nMaster: Uint32Array = new Uint32Array(4 * 4);
  /** Last entry ID in the node, deleted or not (listpack's last entry, used by MINID trim). */
  private nLast: Uint32Array = new Uint32Array(4 * 4);
  /** Redis's per-listpack counters: live entries ("count") and deleted-flagged ones. */
  private nLive: Int32Array = new Int32Array(4);
  private nDel: Int32Array = new Int32Array(4);
  /** Entries physically in our bytes (live + deleted not yet compacted away). */
  private nStored: Int32Array = new Int32Array(4);
  /** Bytes used in bufs[i]. */
  private nUsed: Int32Array = new Int32Array(4);
  /** Redis listpack bytes except the count/deleted master fields (added by rlpBytes). */
  private nRlp: Float64Array = new Float64Array(4);
  private bufBytes = 0;
  /** Scratch entry-offsets for reverse scans and compaction (grows to a node's entries). */
  private scratch = new Int32Array(16);

  get nodeCount(): number {
    return this.nodeN;
  }

  /** The byte size Redis's listpack for node i has (tests, XINFO-like introspection). */
  rlpBytes(i: number): number {
    return this.nRlp[i]! + lpIntSize(this.nLive[i]!) + lpIntSize(this.nDel[i]!);
  }

  /** Live and deleted-flagged entries of node i, as Redis counts them. */
  nodeLive(i: number): number {
    return this.nLive[i]!;
  }
  nodeDeleted(i: number): number {
    return this.nDel[i]!;
  }

  // ---- XADD ----

  /** Redis refuses an entry whose field and value bytes add up past 2^30 (ERR_TOO_LARGE). */
  static entryTooLarge(args: ByteRanges, first: number, pairs: number): boolean {
    let total = 0;
    for (let i = 0; i < 2 * pairs; i++) total += args.lens[first + i]!;
    return total > STREAM_LISTPACK_MAX_SIZE;
  }

  /**
   * XADD's ID (streamAppendItem): `given` null for `*` (streamNextID from nowMs), seqGiven false
   * for "<ms>-*". Writes `out`; ADD_SMALLER when it is not above lastId. The caller checks
   * ERR_XADD_ZERO and ERR_EXHAUSTED first, as xaddCommand does.
   */
  resolveAddId(given: StreamId | null, seqGiven: boolean, nowMs: number, out: StreamId): number {
    const last = this.lastId;
    if (given === null) {
      const nowHi = Math.floor(nowMs / TWO32);
      const nowLo = nowMs >>> 0;
      if (nowHi > last.msHi || (nowHi === last.msHi && nowLo > last.msLo)) {
        out.msHi = nowHi;
        out.msLo = nowLo;
        out.seqHi = out.seqLo = 0;
      } else {
        out.set(last);
        if (!incrId(out)) return ADD_SMALLER;
      }
    } else if (!seqGiven && given.msHi === last.msHi && given.msLo === last.msLo) {
      if (last.seqHi === 0xffffffff && last.seqLo === 0xffffffff) return ADD_SMALLER;
      out.set(last);
      incrId(out);
    } else {
      out.set(given);
    }
    return compareIds(out, last) <= 0 ? ADD_SMALLER : ADD_OK;
  }

  /**
   * Append an entry (streamAppendItem after the ID checks): fields are args[first + 2i], values
   * args[first + 2i + 1], i < pairs. `id` must be above lastId (resolveAddId).
   */
  append(
    id: StreamId,
    args: ByteRanges,
    first: number,
    pairs: number,
    limits: StreamNodeLimits,
  ): void {
    assert(compareIds(id, this.lastId) > 0, "append: id must be above last id");
    const { buf: ab, offs, lens } = args;
    let totelelen = 0;
    for (let i = 0; i < 2 * pairs; i++) totelelen += lens[first + i]!;
    let t = this.nodeN - 1;
    let newNode = t < 0;
    if (!newNode) {
      let maxBytes = limits.nodeMaxBytes;
      if (maxBytes === 0 || maxBytes > STREAM_LISTPACK_MAX_SIZE)
        maxBytes = STREAM_LISTPACK_MAX_SIZE;
      if (this.rlpBytes(t) + totelelen >= maxBytes) newNode = true;
      else if (
        limits.nodeMaxEntries > 0 &&
        this.nLive[t]! + this.nDel[t]! >= limits.nodeMaxEntries
      ) {
        newNode = true;
      }
      if (newNode) this.shrinkNode(t);
    }
    if (newNode) t = this.openNode(id, args, first, pairs);

    // Same fields as the master entry?
    let buf = this.bufs[t]!;
    let p = getVar32(buf, 0);
    const mnf = dec[1]!;
    let same = mnf === pairs;
    for (let i = 0; same && i < pairs; i++) {
      p = getVar32(buf, p);
      const fl = dec[1]!;
      const fo = offs[first + 2 * i]!;
      if (fl !== lens[first + 2 * i]) same = false;
      else {
        for (let k = 0; k < fl; k++) {
          if (buf[p + k] !== ab[fo + k]) {
            same = false;
            break;
          }
        }
      }
      p += fl;
    }

    // ID deltas against the master (u64 arithmetic on halves).
    const mo = 4 * t;
    const m = this.nMaster;
    let dHi = id.msHi - m[mo]!;
    let dLo = id.msLo - m[mo + 1]!;
    if (dLo < 0) {
      dLo += TWO32;
      dHi--;
    }
    let sHi: number;
    let sLo: number;
    if (dHi === 0 && dLo === 0) {
      sHi = id.seqHi - m[mo + 2]!;
      sLo = id.seqLo - m[mo + 3]!;
      if (sLo < 0) {
        sLo += TWO32;
        sHi--;
      }
    } else {
      sHi = id.seqHi;
      sLo = id.seqLo;
    }
    // Redis's listpack bytes for this entry: flags, ms-diff, seq-diff (int64 of the u64
    // differences), [num-fields], fields/values, lp-count.
    let rSeqHi = id.seqHi - m[mo + 2]!;
    let rSeqLo = id.seqLo - m[mo + 3]!;
    if (rSeqLo < 0) {
      rSeqLo += TWO32;
      rSeqHi--;
    }
    if (rSeqHi < 0) rSeqHi += TWO32;
    let rlp = 2 + lpIntSizeU64(dHi, dLo) + lpIntSizeU64(rSeqHi, rSeqLo);
    let need = 1 + varSize(dHi, dLo) + varSize(sHi, sLo);
    if (!same) need += varSize32(pairs);
    for (let i = 0; i < pairs; i++) {
      const vl = lens[first + 2 * i + 1]!;
      need += varSize32(vl) + vl;
      rlp += lpStrSize(ab, offs[first + 2 * i + 1]!, vl);
      if (!same) {
        const fl = lens[first + 2 * i]!;
        need += varSize32(fl) + fl;
        rlp += lpStrSize(ab, offs[first + 2 * i]!, fl);
      }
    }
    rlp += lpIntSize(same ? pairs + 3 : 2 * pairs + 4) + (same ? 0 : lpIntSize(pairs));

    p = this.nUsed[t]!;
    if (p + need > buf.length) buf = this.growNode(t, p + need);
    buf[p++] = same ? F_SAMEFIELDS : 0;
    p = putVar(buf, p, dHi, dLo);
    p = putVar(buf, p, sHi, sLo);
    if (!same) p = putVar32(buf, p, pairs);
    for (let i = 0; i < pairs; i++) {
      if (!same) p = putBytes(buf, p, ab, offs[first + 2 * i]!, lens[first + 2 * i]!);
      p = putBytes(buf, p, ab, offs[first + 2 * i + 1]!, lens[first + 2 * i + 1]!);
    }
    this.nUsed[t] = p;
    this.nRlp[t] = this.nRlp[t]! + rlp;
    this.nLive[t] = this.nLive[t]! + 1;
    this.nStored[t] = this.nStored[t]! + 1;
    storeId(this.nLast, t, id);

    this.length++;
    this.entriesAdded++;
    this.lastId.set(id);
    if (this.length === 1) this.firstId.set(id);
  }

  private openNode(id: StreamId, args: ByteRanges, first: number, pairs: number): number {
    const t = this.nodeN;
    this.reserveNodes(t + 1);
    this.nodeN = t + 1;
    let size = varSize32(pairs);
    // Redis's master entry: count, deleted (added by rlpBytes), num-fields, fields, 0.
    let rlp = LP_EMPTY + lpIntSize(pairs) + lpIntSize(0);
    for (let i = 0; i < pairs; i++) {
      const fl = args.lens[first + 2 * i]!;
      size += varSize32(fl) + fl;
      rlp += lpStrSize(args.buf, args.offs[first + 2 * i]!, fl);
    }
    const buf = new Uint8Array(Math.max(64, size * 4));
    let p = putVar32(buf, 0, pairs);
    for (let i = 0; i < pairs; i++) {
      p = putBytes(buf, p, args.buf, args.offs[first + 2 * i]!, args.lens[first + 2 * i]!);
    }
    this.bufs[t] = buf;
    this.bufBytes += buf.length;
    this.nUsed[t] = p;
    this.nRlp[t] = rlp;
    this.nLive[t] = 0;
    this.nDel[t] = 0;
    this.nStored[t] = 0;
    storeId(this.nMaster, t, id);
    storeId(this.nLast, t, id);
    return t;
  }

  private growNode(t: number, need: number): Uint8Array {
    const old = this.bufs[t]!;
    let cap = old.length * 2;
    while (cap < need) cap *= 2;
    const buf = new Uint8Array(cap);
    buf.set(old.subarray(0, this.nUsed[t]!));
    this.bufs[t] = buf;
    this.bufBytes += cap - old.length;
    return buf;
  }

  /** A node that will not grow again keeps exactly its bytes (lpShrinkToFit). */
  private shrinkNode(t: number): void {
    const old = this.bufs[t]!;
    const used = this.nUsed[t]!;
    if (old.length === used) return;
    this.bufs[t] = old.slice(0, used);
    this.bufBytes += used - old.length;
  }

  private reserveNodes(n: number): void {
    const cap = this.nLive.length;
    if (n <= cap) return;
    const nc = cap * 2;
    this.nMaster = growU32(this.nMaster, 4 * nc);
    this.nLast = growU32(this.nLast, 4 * nc);
    this.nLive = growI32(this.nLive, nc);
    this.nDel = growI32(this.nDel, nc);
    this.nStored = growI32(this.nStored, nc);
    this.nUsed = growI32(this.nUsed, nc);
    const r = new Float64Array(nc);
    r.set(this.nRlp);
    this.nRlp = r;
  }

  /** Drop nodes [a, b) (trim from the head, or an emptied node), shifting the rest down. */
  private removeNodes(a: number, b: number): void {
    const k = b - a;
    if (k <= 0) return;
    for (let i = a; i < b; i++) this.bufBytes -= this.bufs[i]!.length;
    this.bufs.splice(a, k);
    const n = this.nodeN;
    this.nMaster.copyWithin(4 * a, 4 * b, 4 * n);
    this.nLast.copyWithin(4 * a, 4 * b, 4 * n);
    this.nLive.copyWithin(a, b, n);
    this.nDel.copyWithin(a, b, n);
    this.nStored.copyWithin(a, b, n);
    this.nUsed.copyWithin(a, b, n);
    this.nRlp.copyWithin(a, b, n);
    this.nodeN = n - k;
    if (this.nodeN < this.nLive.length / 4 && this.nLive.length > 16) this.shrinkColumns();
  }

  private shrinkColumns(): void {
    const nc = Math.max(4, this.nLive.length >>> 1);
    this.nMaster = this.nMaster.slice(0, 4 * nc);
    this.nLast = this.nLast.slice(0, 4 * nc);
    this.nLive = this.nLive.slice(0, nc);
    this.nDel = this.nDel.slice(0, nc);
    this.nStored = this.nStored.slice(0, nc);
    this.nUsed = this.nUsed.slice(0, nc);
    this.nRlp = this.nRlp.slice(0, nc);
  }

  // ---- entry decoding ----

  /** The node whose entries may hold `id`: the last with master <= id, or -1. */
  nodeFor(id: StreamId): number {
    let lo = 0;
    let hi = this.nodeN;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIdAt(this.nMaster, mid, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Offset of node t's first entry (after the master fields). */
  private entriesStart(t: number): number {
    const buf = this.bufs[t]!;
    let p = getVar32(buf, 0);
    const nf = dec[1]!;
    for (let i = 0; i < nf; i++) {
      p = getVar32(buf, p);
      p += dec[1]!;
    }
    return p;
  }

  /**
   * Decode the ID of the entry at p in node t into out; returns the offset past the entry.
   * `masterNf` is the node's master field count.
   */
  private readEntry(t: number, p: number, masterNf: number, out: StreamId): number {
    const buf = this.bufs[t]!;
    const flags = buf[p++]!;
    p = getVar(buf, p);
    const dHi = dec[0]!;
    const dLo = dec[1]!;
    p = getVar(buf, p);
    const mo = 4 * t;
    const m = this.nMaster;
    if (dHi === 0 && dLo === 0) {
      out.msHi = m[mo]!;
      out.msLo = m[mo + 1]!;
      let lo = m[mo + 3]! + dec[1]!;
      let hi = m[mo + 2]! + dec[0]!;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi++;
      }
      out.seqHi = hi;
      out.seqLo = lo;
    } else {
      let lo = m[mo + 1]! + dLo;
      let hi = m[mo]! + dHi;
      if (lo >= TWO32) {
        lo -= TWO32;
        hi++;
      }
      out.msHi = hi;
      out.msLo = lo;
      out.seqHi = dec[0]!;
      out.seqLo = dec[1]!;
    }
    let nv = masterNf;
    let per = 1;
    if ((flags & F_SAMEFIELDS) === 0) {
      p = getVar32(buf, p);
      nv = dec[1]!;
      per = 2;
    }
    for (let i = 0; i < nv * per; i++) {
      p = getVar32(buf, p);
      p += dec[1]!;
    }
    return p;
  }

  private masterNf(t: number): number {
    getVar32(this.bufs[t]!, 0);
    return dec[1]!;
  }

  /** Offset of the live-or-deleted entry `id` in node t, or -1 (scratch ID `tmp`). */
  private findInNode(t: number, id: StreamId, tmp: StreamId): number {
    const mnf = this.masterNf(t);
    const end = this.nUsed[t]!;
    let p = this.entriesStart(t);
    while (p < end) {
      const next = this.readEntry(t, p, mnf, tmp);
      const c = compareIds(tmp, id);
      if (c === 0) return p;
      if (c > 0) return -1;
      p = next;
    }
    return -1;
  }

  private readonly tmpA = new StreamId();
  private readonly tmpB = new StreamId();

  /** Whether a live entry has this ID (streamEntryExists). */
  has(id: StreamId): boolean {
    const t = this.nodeFor(id);
    if (t < 0) return false;
    const p = this.findInNode(t, id, this.tmpA);
    return p >= 0 && (this.bufs[t]![p]! & F_DELETED) === 0;
  }

  // ---- XDEL ----

  /**
   * XDEL of one ID (streamDeleteItem plus xdelCommand's bookkeeping): false when no live entry
   * has it. Updates max_deleted_entry_id and first_id as Redis does.
   */
  delete(id: StreamId): boolean {
    const t = this.nodeFor(id);
    if (t < 0) return false;
    const p = this.findInNode(t, id, this.tmpA);
    if (p < 0) return false;
    const buf = this.bufs[t]!;
    if ((buf[p]! & F_DELETED) !== 0) return false;
    const wasFirst = idsEqual(id, this.firstId);
    this.length--;
    if (this.nLive[t] === 1) {
      // The last live entry of the listpack: Redis frees the whole node.
      this.removeNodes(t, t + 1);
    } else {
      buf[p] = buf[p]! | F_DELETED;
      this.nLive[t] = this.nLive[t]! - 1;
      this.nDel[t] = this.nDel[t]! + 1;
      this.maybeCompact(t);
    }
    if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId.set(id);
    if (this.length === 0) this.firstId.setMin();
    else if (wasFirst) this.edgeId(true, this.firstId);
    return true;
  }

  /** Rewrite node t without its deleted entries once they outnumber the live ones. */
  private maybeCompact(t: number): void {
    const stored = this.nStored[t]!;
    const live = this.nLive[t]!;
    if (stored - live <= live || stored < 8) return;
    const src = this.bufs[t]!;
    const mnf = this.masterNf(t);
    const end = this.nUsed[t]!;
    let p = this.entriesStart(t);
    const out = new Uint8Array(t === this.nodeN - 1 ? src.length : end);
    out.set(src.subarray(0, p));
    let q = p;
    while (p < end) {
      const next = this.readEntry(t, p, mnf, this.tmpB);
      if ((src[p]! & F_DELETED) === 0) {
        out.set(src.subarray(p, next), q);
        q += next - p;
      }
      p = next;
    }
    this.bufs[t] = out;
    this.bufBytes += out.length - src.length;
    this.nUsed[t] = q;
    this.nStored[t] = live;
  }

  /** streamGetEdgeID skipping tombstones: first (or last) live ID; empty: max-max (or 0-0). */
  edgeId(first: boolean, out: StreamId): StreamId {
    const n = this.nodeN;
    for (let k = 0; k < n; k++) {
      const t = first ? k : n - 1 - k;
      if (this.nLive[t] === 0) continue;
      const mnf = this.masterNf(t);
      const end = this.nUsed[t]!;
      let p = this.entriesStart(t);
      let found = false;
      while (p < end) {
        const next = this.readEntry(t, p, mnf, this.tmpB);
        if ((this.bufs[t]![p]! & F_DELETED) === 0) {
          out.set(this.tmpB);
          found = true;
          if (first) return out;
        }
        p = next;
      }
      if (found) return out;
    }
    return first ? out.setMax() : out.setMin();
  }

  // ---- XTRIM / XADD trimming ----

  /**
   * streamTrim: MAXLEN (keep `maxlen` entries) or MINID (drop entries below `minid`). With
   * `approx` only whole nodes go; `limit` > 0 caps the entries removed (whole nodes whose count
   * would pass it stop the trim). Returns the entries removed.
   */
  trim(strategy: number, maxlen: number, minid: StreamId, approx: boolean, limit: number): number {
    let deleted = 0;
    let drop = 0; // whole head nodes removed
    const tmp = this.tmpA;
    while (drop < this.nodeN) {
      const t = drop;
      if (strategy === TRIM_MAXLEN && this.length <= maxlen) break;
      const entries = this.nLive[t]!;
      if (limit > 0 && deleted + entries > limit) break;
      const removeNode =
        strategy === TRIM_MAXLEN
          ? this.length - entries >= maxlen
          : compareIdAt(this.nLast, t, minid) < 0;
      if (removeNode) {
        this.length -= entries;
        deleted += entries;
        drop++;
        continue;
      }
      if (approx) break;
      // Mark entries deleted from the front of this node.
      const buf = this.bufs[t]!;
      const mnf = this.masterNf(t);
      const end = this.nUsed[t]!;
      let p = this.entriesStart(t);
      let fromNode = 0;
      while (p < end) {
        const next = this.readEntry(t, p, mnf, tmp);
        const stop = strategy === TRIM_MAXLEN ? this.length <= maxlen : compareIds(tmp, minid) >= 0;
        if (stop) break;
        if ((buf[p]! & F_DELETED) === 0) {
          buf[p] = buf[p]! | F_DELETED;
          fromNode++;
          this.length--;
        }
        p = next;
      }
      deleted += fromNode;
      this.nLive[t] = entries - fromNode;
      this.nDel[t] = this.nDel[t]! + fromNode;
      if (fromNode > 0) this.maybeCompact(t);
      break;
    }
    this.removeNodes(0, drop);
    // Redis 7.0.15 records 0-0 as the first ID of a stream trimmed to empty (as XDEL does).
    if (deleted > 0) {
      if (this.length === 0) this.firstId.setMin();
      else this.edgeId(true, this.firstId);
    }
    return deleted;
  }

  // ---- XSETID ----

  /**
   * XSETID after the key lookup (the argument checks, entries_added >= 0 and id >= the given
   * max deleted ID, come first in xsetidCommand). entriesAdded -1 / maxDeleted null: not given.
   * Returns the error text or null.
   */
  setId(id: StreamId, entriesAdded: number, maxDeleted: StreamId | null): string | null {
    // Redis 7.0.15 does not compare id with the current max_deleted_entry_id (7.2 does).
    if (this.length > 0) {
      const top = this.edgeId(false, this.tmpA);
      if (compareIds(id, top) < 0) {
        return "ERR The ID specified in XSETID is smaller than the target stream top item";
      }
      if (entriesAdded !== -1 && this.length > entriesAdded) {
        return "ERR The entries_added specified in XSETID is smaller than the target stream length";
      }
    }
    this.lastId.set(id);
    if (entriesAdded !== -1) this.entriesAdded = entriesAdded;
    if (maxDeleted !== null && !maxDeleted.isZero()) this.maxDeletedId.set(maxDeleted);
    return null;
  }

  // ---- consumer-group bookkeeping that needs the stream (t_stream.c) ----

  /** streamRangeHasTombstones(s, start, NULL-or-end). */
  rangeHasTombstones(start: StreamId | null, end: StreamId | null): boolean {
    const md = this.maxDeletedId;
    if (this.length === 0 || md.isZero()) return false;
    if (compareIds(this.firstId, md) > 0) return false;
    if (start !== null && compareIds(start, md) > 0) return false;
    if (end !== null && compareIds(md, end) > 0) return false;
    return true;
  }

  /** streamEstimateDistanceFromFirstEverEntry: the logical read counter of id, or -1. */
  estimateDistance(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && compareIds(id, this.lastId) < 1) return this.entriesAdded;
    const cmpLast = compareIds(id, this.lastId);
    if (cmpLast === 0) return this.entriesAdded;
    if (cmpLast > 0) return -1;
    const md = this.maxDeletedId;
    if (md.isZero() || compareIds(md, this.firstId) < 0) {
      const cmpFirst = compareIds(id, this.firstId);
      if (cmpFirst < 0) return this.entriesAdded - this.length;
      if (cmpFirst === 0) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }

  /** XINFO's lag of a group (streamReplyWithCGLag): a count, or -1 for nil. */
  groupLag(g: ConsumerGroup): number {
    if (this.entriesAdded === 0) return 0;
    if (g.entriesRead !== -1 && !this.rangeHasTombstones(g.lastId, null)) {
      return this.entriesAdded - g.entriesRead;
    }
    const read = this.estimateDistance(g.lastId);
    return read === -1 ? -1 : this.entriesAdded - read;
  }

  /**
   * XREADGROUP delivered entry `id` to group g (streamReplyWithRange's last_id update): moves
   * last_delivered_id forward and keeps entries_read.
   */
  advanceGroup(g: ConsumerGroup, id: StreamId): void {
    if (compareIds(id, g.lastId) <= 0) return;
    if (g.entriesRead !== -1 && !this.rangeHasTombstones(id, null)) g.entriesRead++;
    else if (this.entriesAdded !== 0) g.entriesRead = this.estimateDistance(id);
    g.lastId.set(id);
  }

  // ---- groups by name ----

  /** Index of the group named buf[off, off+len) in `groups`, or -(insertion point) - 1. */
  groupIndex(buf: Uint8Array, off: number, len: number): number {
    let lo = 0;
    let hi = this.groups.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.groups[mid]!.compareName(buf, off, len);
      if (c < 0) lo = mid + 1;
      else if (c > 0) hi = mid;
      else return mid;
    }
    return -lo - 1;
  }

  getGroup(buf: Uint8Array, off: number, len: number): ConsumerGroup | null {
    const i = this.groupIndex(buf, off, len);
    return i >= 0 ? this.groups[i]! : null;
  }

  /** streamCreateCG: null when the name exists (BUSYGROUP). entriesRead -1: not known. */
  createGroup(
    buf: Uint8Array,
    off: number,
    len: number,
    lastId: StreamId,
    entriesRead: number,
  ): ConsumerGroup | null {
    const i = this.groupIndex(buf, off, len);
    if (i >= 0) return null;
    const g = new ConsumerGroup(buf.slice(off, off + len), lastId, entriesRead);
    this.groups.splice(-i - 1, 0, g);
    return g;
  }

  /** XGROUP DESTROY: false when there is no such group. */
  destroyGroup(buf: Uint8Array, off: number, len: number): boolean {
    const i = this.groupIndex(buf, off, len);
    if (i < 0) return false;
    this.groups.splice(i, 1);
    return true;
  }

  // ---- whole-object ----

  /** A deep copy for COPY. */
  clone(): Stream {
    const s = new Stream();
    s.length = this.length;
    s.lastId.set(this.lastId);
    s.firstId.set(this.firstId);
    s.maxDeletedId.set(this.maxDeletedId);
    s.entriesAdded = this.entriesAdded;
    s.groups = this.groups.map((g) => g.clone());
    s.bufs = this.bufs.map((b) => b.slice());
    s.nodeN = this.nodeN;
    s.nMaster = this.nMaster.slice();
    s.nLast = this.nLast.slice();
    s.nLive = this.nLive.slice();
    s.nDel = this.nDel.slice();
    s.nStored = this.nStored.slice();
    s.nUsed = this.nUsed.slice();
    s.nRlp = this.nRlp.slice();
    s.bufBytes = this.bufBytes;
    return s;
  }

  /** Bytes this stream holds (used_memory): node bytes, columns, groups. O(groups). */
  memoryBytes(): number {
    let n =
      STREAM_FIXED_BYTES +
      this.bufBytes +
      this.nodeN * NODE_OBJ_BYTES +
      this.bufs.length * 8 +
      this.nMaster.byteLength * 2 +
      this.nLive.byteLength * 4 +
      this.nRlp.byteLength +
      this.scratch.byteLength;
    for (const g of this.groups) n += g.memoryBytes();
    return n;
  }

  /** Scratch Int32Array of at least n slots, contents kept on growth (reverse iteration). */
  scratchFor(n: number): Int32Array {
    if (this.scratch.length < n) {
      let c = this.scratch.length;
      while (c < n) c *= 2;
      const b = new Int32Array(c);
      b.set(this.scratch);
      this.scratch = b;
    }
    return this.scratch;
  }

  // ---- raw node access for StreamIter ----

  /** @internal */ nodeBuf(t: number): Uint8Array {
    return this.bufs[t] ?? EMPTY;
  }
  /** @internal */ nodeUsed(t: number): number {
    return this.nUsed[t]!;
  }
  /** @internal */ nodeStart(t: number): number {
    return this.entriesStart(t);
  }
  /** @internal */ decodeEntry(t: number, p: number, mnf: number, out: StreamId): number {
    return this.readEntry(t, p, mnf, out);
  }
  /** @internal */ nodeMasterNf(t: number): number {
    return this.masterNf(t);
  }
  /** The master ID of node t (radix-tree key). */
  nodeMaster(t: number, out: StreamId): StreamId {
    return loadId(this.nMaster, t, out);
  }

  /** Self-check (tests): counters agree with the bytes, IDs increase, length adds up. */
  checkInvariants(): void {
    let total = 0;
    const prev = new StreamId();
    let havePrev = false;
    const cur = new StreamId();
    for (let t = 0; t < this.nodeN; t++) {
      const mnf = this.masterNf(t);
      const end = this.nUsed[t]!;
      let p = this.entriesStart(t);
      let live = 0;
      let stored = 0;
      assert(compareIdAt(this.nMaster, t, prev) > 0 || !havePrev, "node masters increase");
      while (p < end) {
        const next = this.readEntry(t, p, mnf, cur);
        if (havePrev) assert(compareIds(cur, prev) > 0, "ids increase");
        assert(compareIdAt(this.nMaster, t, cur) <= 0, "entry >= master");
        prev.set(cur);
        havePrev = true;
        stored++;
        if ((this.bufs[t]![p]! & F_DELETED) === 0) live++;
        p = next;
      }
      assert(p === end, "node bytes end on an entry");
      assert(live === this.nLive[t], "live count");
      assert(stored === this.nStored[t], "stored count");
      assert(stored <= this.nLive[t]! + this.nDel[t]!, "stored <= redis entries");
      total += live;
    }
    assert(total === this.length, `length ${total} vs ${this.length}`);
    assert(compareIds(this.lastId, prev) >= 0 || !havePrev, "last id >= entries");
  }
}

/**
 * Reads entries of a stream in ID order (or reverse) between two bounds, inclusive. Reusable:
 * a command keeps one and calls seek per range. The stream must not change between seek and the
 * last next() (deleting the current entry included: re-seek after it).
 * After next() returns true: `id`, `pairs`, and for pair i fieldOff/fieldLen/valueOff/valueLen
 * into `buf` (valid until the next call).
 */
export class StreamIter {
  readonly id = new StreamId();
  buf: Uint8Array = EMPTY;
  pairs = 0;
  /** fOff, fLen, vOff, vLen per pair. */
  fv = new Int32Array(64);
  private s: Stream | null = null;
  private readonly end = new StreamId();
  private readonly start = new StreamId();
  private rev = false;
  private node = 0;
  private pos = 0;
  private nodeEnd = 0;
  private mnf = 0;
  /** Reverse: index into the stream's scratch offsets of the node. */
  private ri = 0;
  private done = true;

  fieldOff(i: number): number {
    return this.fv[4 * i]!;
  }
  fieldLen(i: number): number {
    return this.fv[4 * i + 1]!;
  }
  valueOff(i: number): number {
    return this.fv[4 * i + 2]!;
  }
  valueLen(i: number): number {
    return this.fv[4 * i + 3]!;
  }

  /** Live entries with start <= id <= end, ascending (rev: descending). */
  seek(s: Stream, start: StreamId, end: StreamId, rev: boolean): this {
    this.s = s;
    this.start.set(start);
    this.end.set(end);
    this.rev = rev;
    this.done = compareIds(start, end) > 0 || s.nodeCount === 0;
    if (this.done) return this;
    if (!rev) {
      const t = Math.max(0, s.nodeFor(start));
      this.enterNode(t);
    } else {
      const t = s.nodeFor(end);
      if (t < 0) {
        this.done = true;
        return this;
      }
      this.enterNode(t);
    }
    return this;
  }

  private enterNode(t: number): void {
    const s = this.s!;
    this.node = t;
    this.buf = s.nodeBuf(t);
    this.mnf = s.nodeMasterNf(t);
    this.pos = s.nodeStart(t);
    this.nodeEnd = s.nodeUsed(t);
    if (this.rev) {
      // Collect entry offsets, then walk them backwards.
      let n = 0;
      let p = this.pos;
      let offs = s.scratchFor(16);
      while (p < this.nodeEnd) {
        if (n === offs.length) offs = s.scratchFor(n + 1);
        offs[n++] = p;
        p = s.decodeEntry(t, p, this.mnf, this.id);
      }
      this.ri = n;
    }
  }

  next(): boolean {
    if (this.done) return false;
    const s = this.s!;
    for (;;) {
      let p: number;
      if (!this.rev) {
        if (this.pos >= this.nodeEnd) {
          if (this.node + 1 >= s.nodeCount) return this.finish();
          this.enterNode(this.node + 1);
          continue;
        }
        p = this.pos;
        this.pos = s.decodeEntry(this.node, p, this.mnf, this.id);
      } else {
        if (this.ri === 0) {
          if (this.node === 0) return this.finish();
          this.enterNode(this.node - 1);
          continue;
        }
        p = s.scratchFor(0)[--this.ri]!;
        s.decodeEntry(this.node, p, this.mnf, this.id);
      }
      if ((this.buf[p]! & F_DELETED) !== 0) continue;
      if (!this.rev) {
        if (compareIds(this.id, this.start) < 0) continue;
        if (compareIds(this.id, this.end) > 0) return this.finish();
      } else {
        if (compareIds(this.id, this.end) > 0) continue;
        if (compareIds(this.id, this.start) < 0) return this.finish();
      }
      this.decodePairs(p);
      return true;
    }
  }

  private finish(): boolean {
    this.done = true;
    return false;
  }

  /** Fill fv for the entry at p (its ID already decoded). */
  private decodePairs(p: number): void {
    const buf = this.buf;
    const flags = buf[p++]!;
    p = getVar(buf, p);
    p = getVar(buf, p);
    if ((flags & F_SAMEFIELDS) !== 0) {
      const n = this.mnf;
      this.reservePairs(n);
      let m = getVar32(buf, 0); // master fields
      for (let i = 0; i < n; i++) {
        m = getVar32(buf, m);
        this.fv[4 * i] = m;
        this.fv[4 * i + 1] = dec[1]!;
        m += dec[1]!;
        p = getVar32(buf, p);
        this.fv[4 * i + 2] = p;
        this.fv[4 * i + 3] = dec[1]!;
        p += dec[1]!;
      }
      this.pairs = n;
    } else {
      p = getVar32(buf, p);
      const n = dec[1]!;
      this.reservePairs(n);
      for (let i = 0; i < n; i++) {
        p = getVar32(buf, p);
        this.fv[4 * i] = p;
        this.fv[4 * i + 1] = dec[1]!;
        p += dec[1]!;
        p = getVar32(buf, p);
        this.fv[4 * i + 2] = p;
        this.fv[4 * i + 3] = dec[1]!;
        p += dec[1]!;
      }
      this.pairs = n;
    }
  }

  private reservePairs(n: number): void {
    if (4 * n <= this.fv.length) return;
    let c = this.fv.length;
    while (c < 4 * n) c *= 2;
    this.fv = new Int32Array(c);
  }
}

function putBytes(dst: Uint8Array, p: number, src: Uint8Array, off: number, len: number): number {
  p = putVar32(dst, p, len);
  if (len <= 64) for (let i = 0; i < len; i++) dst[p + i] = src[off + i]!;
  else dst.set(src.subarray(off, off + len), p);
  return p + len;
}

function growU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
