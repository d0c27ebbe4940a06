// Consumer groups of a stream: last_delivered_id, entries_read (7.0), the pending entries list
// (PEL) and the consumers, all in typed arrays.
//
// A pending entry (NACK) is a slot across columns: ID (4 x uint32), consumer, delivery time,
// delivery count. Two orders over the slots, each a SlotOrder (a two-level sorted list: blocks
// of up to 128 slots plus a directory of blocks, so an insert or delete shifts <= 128 slots
// and a split shifts the directory):
//   pel   by ID                -- XPENDING, XAUTOCLAIM, XACK lookups
//   cpel  by (consumer, ID)    -- each consumer's own PEL view (XREADGROUP history, XPENDING
//                                 with a consumer, DELCONSUMER), one structure for all of them
// Consumers are ids into columns (name offset/length in a byte buffer, seen-time, pending
// count) plus `order`, the ids sorted by name bytes (Redis iterates its rax in that order).

import { assert } from "../assert.ts";
import { compareBytes } from "./bytes.ts";
import type { Stream } from "./stream.ts";
import { compareIdAt, compareIds, loadId, StreamId, storeId } from "./stream-id.ts";

const B = 128;

/** A growable list of IDs (4 x uint32 each): outputs of claims, inputs of XACK & co. */
export class IdBuffer {
  words = new Uint32Array(64);
  n = 0;

  clear(): void {
    this.n = 0;
  }

  push(id: StreamId): void {
    if (4 * (this.n + 1) > this.words.length) {
      const w = new Uint32Array(this.words.length * 2);
      w.set(this.words);
      this.words = w;
    }
    storeId(this.words, this.n++, id);
  }

  get(i: number, out: StreamId): StreamId {
    return loadId(this.words, i, out);
  }
}

/** Sorted slots of a group, by ID or by (consumer, ID). */
class SlotOrder {
  private items = new Int32Array(B);
  private cnt = new Int32Array(1);
  private dir = new Int32Array(1);
  private dirN = 0;
  /** Blocks allocated (live + free). */
  private blockCap = 0;
  private freeBlocks: number[] = [];
  size = 0;

  constructor(
    private readonly g: ConsumerGroup,
    private readonly byConsumer: boolean,
  ) {}

  /** slot vs key (kc, kid). */
  private cmp(slot: number, kc: number, kid: StreamId): number {
    if (this.byConsumer) {
      const c = this.g.nCons[slot]!;
      if (c !== kc) return c < kc ? -1 : 1;
    }
    return compareIdAt(this.g.nId, slot, kid);
  }

  /** Cursor of the first slot >= key (> key when after), or -1. */
  seek(kc: number, kid: StreamId, after: boolean): number {
    // First block whose last item is >= key.
    let lo = 0;
    let hi = this.dirN;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      const b = this.dir[m]!;
      const c = this.cmp(this.items[b * B + this.cnt[b]! - 1]!, kc, kid);
      if (c < 0 || (after && c === 0)) lo = m + 1;
      else hi = m;
    }
    if (lo === this.dirN) return -1;
    const b = this.dir[lo]!;
    let l = 0;
    let h = this.cnt[b]!;
    while (l < h) {
      const m = (l + h) >>> 1;
      const c = this.cmp(this.items[b * B + m]!, kc, kid);
      if (c < 0 || (after && c === 0)) l = m + 1;
      else h = m;
    }
    return lo * B + l;
  }

  first(): number {
    return this.dirN === 0 ? -1 : 0;
  }

  slotAt(cur: number): number {
    const di = Math.floor(cur / B);
    return this.items[this.dir[di]! * B + (cur - di * B)]!;
  }

  next(cur: number): number {
    const di = Math.floor(cur / B);
    const i = cur - di * B + 1;
    if (i < this.cnt[this.dir[di]!]!) return cur + 1;
    return di + 1 < this.dirN ? (di + 1) * B : -1;
  }

  insert(slot: number): void {
    const kc = this.g.nCons[slot]!;
    const kid = loadId(this.g.nId, slot, scratchId);
    if (this.dirN === 0) {
      const b = this.newBlock();
      this.dir[0] = b;
      this.dirN = 1;
    }
    let cur = this.seek(kc, kid, false);
    if (cur < 0) cur = (this.dirN - 1) * B + this.cnt[this.dir[this.dirN - 1]!]!;
    let di = Math.floor(cur / B);
    let i = cur - di * B;
    let b = this.dir[di]!;
    if (this.cnt[b] === B) {
      this.split(di);
      if (i > B / 2) {
        di++;
        i -= B / 2;
        b = this.dir[di]!;
      }
    }
    const base = b * B;
    const n = this.cnt[b]!;
    this.items.copyWithin(base + i + 1, base + i, base + n);
    this.items[base + i] = slot;
    this.cnt[b] = n + 1;
    this.size++;
  }

  remove(slot: number): void {
    const kc = this.g.nCons[slot]!;
    const kid = loadId(this.g.nId, slot, scratchId);
    const cur = this.seek(kc, kid, false);
    assert(cur >= 0 && this.slotAt(cur) === slot, "SlotOrder.remove: slot not found");
    const di = Math.floor(cur / B);
    const i = cur - di * B;
    const b = this.dir[di]!;
    const base = b * B;
    const n = this.cnt[b]!;
    this.items.copyWithin(base + i, base + i + 1, base + n);
    this.cnt[b] = n - 1;
    this.size--;
    if (n - 1 === 0) {
      this.dir.copyWithin(di, di + 1, this.dirN);
      this.dirN--;
      this.freeBlocks.push(b);
    } else if (n - 1 < B / 4 && di + 1 < this.dirN) {
      const nb = this.dir[di + 1]!;
      const m = this.cnt[nb]!;
      if (n - 1 + m <= B / 2) {
        this.items.copyWithin(base + n - 1, nb * B, nb * B + m);
        this.cnt[b] = n - 1 + m;
        this.dir.copyWithin(di + 1, di + 2, this.dirN);
        this.dirN--;
        this.freeBlocks.push(nb);
      }
    }
  }

  private split(di: number): void {
    const b = this.dir[di]!;
    const nb = this.newBlock();
    const half = B / 2;
    this.items.copyWithin(nb * B, b * B + half, b * B + B);
    this.cnt[nb] = B - half;
    this.cnt[b] = half;
    if (this.dirN === this.dir.length) {
      const d = new Int32Array(this.dir.length * 2);
      d.set(this.dir);
      this.dir = d;
    }
    this.dir.copyWithin(di + 2, di + 1, this.dirN);
    this.dir[di + 1] = nb;
    this.dirN++;
  }

  private newBlock(): number {
    const f = this.freeBlocks.pop();
    if (f !== undefined) {
      this.cnt[f] = 0;
      return f;
    }
    const b = this.blockCap++;
    if (b >= this.cnt.length) {
      const nc = this.cnt.length * 2;
      const c = new Int32Array(nc);
      c.set(this.cnt);
      this.cnt = c;
      const it = new Int32Array(nc * B);
      it.set(this.items);
      this.items = it;
    }
    this.cnt[b] = 0;
    return b;
  }

  /** Cursor of the last slot, or -1. */
  last(): number {
    if (this.dirN === 0) return -1;
    return (this.dirN - 1) * B + this.cnt[this.dir[this.dirN - 1]!]! - 1;
  }

  clone(g: ConsumerGroup): SlotOrder {
    const o = new SlotOrder(g, this.byConsumer);
    o.items = this.items.slice();
    o.cnt = this.cnt.slice();
    o.dir = this.dir.slice();
    o.dirN = this.dirN;
    o.blockCap = this.blockCap;
    o.freeBlocks = this.freeBlocks.slice();
    o.size = this.size;
    return o;
  }

  memoryBytes(): number {
    return this.items.byteLength + this.cnt.byteLength + this.dir.byteLength + 96;
  }
}

/** Scratch for SlotOrder key reads (single-threaded, used within one call). */
const scratchId = new StreamId();

export class ConsumerGroup {
  readonly name: Uint8Array;
  readonly lastId = new StreamId();
  /** 7.0 entries_read; -1 is SCG_INVALID_ENTRIES_READ (nil in XINFO). */
  entriesRead: number;

  // ---- NACK slots ----
  /** @internal */ nId = new Uint32Array(4 * 8);
  /** @internal */ nCons = new Int32Array(8);
  nTime = new Float64Array(8);
  nCount = new Float64Array(8);
  private slotHw = 0;
  private freeSlots: number[] = [];
  private pel: SlotOrder;
  private cpel: SlotOrder;

  // ---- consumers ----
  /** Consumer names, back to back (holes from deleted consumers; compacted past half). */
  names = new Uint8Array(64);
  private namesEnd = 0;
  private namesDead = 0;
  cOff = new Int32Array(4);
  /** -1 marks a free consumer id. */
  cLen = new Int32Array(4);
  cSeen = new Float64Array(4);
  cPending = new Int32Array(4);
  private cHw = 0;
  private cFree: number[] = [];
  /** Consumer ids sorted by name. */
  private order = new Int32Array(4);
  consumerCount = 0;

  constructor(name: Uint8Array, lastId: StreamId, entriesRead: number) {
    this.name = name;
    this.lastId.set(lastId);
    this.entriesRead = entriesRead;
    this.pel = new SlotOrder(this, false);
    this.cpel = new SlotOrder(this, true);
  }

  compareName(buf: Uint8Array, off: number, len: number): number {
    return compareBytes(this.name, 0, this.name.length, buf, off, len);
  }

  /** XGROUP SETID. */
  setId(id: StreamId, entriesRead: number): void {
    this.lastId.set(id);
    this.entriesRead = entriesRead;
  }

  // ---- consumers ----

  /** Rank in `order` of the consumer with this name, or -(insertion point) - 1. */
  private consumerRank(buf: Uint8Array, off: number, len: number): number {
    let lo = 0;
    let hi = this.consumerCount;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      const c = this.order[m]!;
      const d = compareBytes(this.names, this.cOff[c]!, this.cLen[c]!, buf, off, len);
      if (d < 0) lo = m + 1;
      else if (d > 0) hi = m;
      else return m;
    }
    return -lo - 1;
  }

  /** Consumer id or -1, without touching seen-time (SLC_NO_REFRESH). */
  findConsumer(buf: Uint8Array, off: number, len: number): number {
    const r = this.consumerRank(buf, off, len);
    return r >= 0 ? this.order[r]! : -1;
  }

  /** streamLookupConsumer: refreshes seen-time unless noRefresh. */
  lookupConsumer(
    buf: Uint8Array,
    off: number,
    len: number,
    now: number,
    noRefresh = false,
  ): number {
    const c = this.findConsumer(buf, off, len);
    if (c >= 0 && !noRefresh) this.cSeen[c] = now;
    return c;
  }

  /** streamCreateConsumer: the new id, or -1 when the name exists. */
  createConsumer(buf: Uint8Array, off: number, len: number, now: number): number {
    const r = this.consumerRank(buf, off, len);
    if (r >= 0) return -1;
    let c = this.cFree.pop();
    if (c === undefined) {
      c = this.cHw++;
      if (c >= this.cLen.length) this.growConsumers();
    }
    if (this.namesEnd + len > this.names.length) this.reserveNames(len);
    this.names.set(buf.subarray(off, off + len), this.namesEnd);
    this.cOff[c] = this.namesEnd;
    this.cLen[c] = len;
    this.namesEnd += len;
    this.cSeen[c] = now;
    this.cPending[c] = 0;
    const at = -r - 1;
    this.order.copyWithin(at + 1, at, this.consumerCount);
    this.order[at] = c;
    this.consumerCount++;
    return c;
  }

  /** lookupConsumer, creating it when missing (XREADGROUP, XCLAIM's claiming consumer). */
  ensureConsumer(buf: Uint8Array, off: number, len: number, now: number): number {
    const c = this.lookupConsumer(buf, off, len, now);
    return c >= 0 ? c : this.createConsumer(buf, off, len, now);
  }

  /** XGROUP DELCONSUMER: drops its pending entries from the group too; returns how many. */
  deleteConsumer(c: number): number {
    const pending = this.cPending[c]!;
    for (;;) {
      const cur = this.cpel.seek(c, scratchMin.setMin(), false);
      if (cur < 0) break;
      const slot = this.cpel.slotAt(cur);
      if (this.nCons[slot] !== c) break;
      this.removeSlot(slot);
    }
    const r = this.consumerRank(this.names, this.cOff[c]!, this.cLen[c]!);
    this.order.copyWithin(r, r + 1, this.consumerCount);
    this.consumerCount--;
    this.namesDead += this.cLen[c]!;
    this.cLen[c] = -1;
    this.cFree.push(c);
    if (this.namesDead > 4096 && this.namesDead * 2 > this.namesEnd) this.compactNames();
    return pending;
  }

  /** Consumer id at rank i in name order (XINFO CONSUMERS, XPENDING summary). */
  consumerByRank(i: number): number {
    return this.order[i]!;
  }

  consumerNameOff(c: number): number {
    return this.cOff[c]!;
  }
  consumerNameLen(c: number): number {
    return this.cLen[c]!;
  }

  private growConsumers(): void {
    const n = this.cLen.length * 2;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.cOff = grow(this.cOff, (k) => new Int32Array(k));
    this.cLen = grow(this.cLen, (k) => new Int32Array(k));
    this.cSeen = grow(this.cSeen, (k) => new Float64Array(k));
    this.cPending = grow(this.cPending, (k) => new Int32Array(k));
    this.order = grow(this.order, (k) => new Int32Array(k));
  }

  private reserveNames(len: number): void {
    let cap = this.names.length * 2;
    while (cap < this.namesEnd + len) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.names.subarray(0, this.namesEnd));
    this.names = b;
  }

  private compactNames(): void {
    const b = new Uint8Array(Math.max(64, this.namesEnd - this.namesDead));
    let p = 0;
    for (let c = 0; c < this.cHw; c++) {
      const l = this.cLen[c]!;
      if (l < 0) continue;
      b.set(this.names.subarray(this.cOff[c]!, this.cOff[c]! + l), p);
      this.cOff[c] = p;
      p += l;
    }
    this.names = b;
    this.namesEnd = p;
    this.namesDead = 0;
  }

  // ---- NACKs ----

  get pelCount(): number {
    return this.pel.size;
  }

  /** The NACK slot of id, or -1. */
  pending(id: StreamId): number {
    const cur = this.pel.seek(0, id, false);
    if (cur < 0) return -1;
    const slot = this.pel.slotAt(cur);
    return compareIdAt(this.nId, slot, id) === 0 ? slot : -1;
  }

  private newSlot(id: StreamId, c: number, time: number, count: number): number {
    let s = this.freeSlots.pop();
    if (s === undefined) {
      s = this.slotHw++;
      if (s >= this.nCons.length) {
        const n = this.nCons.length * 2;
        const id4 = new Uint32Array(4 * n);
        id4.set(this.nId);
        this.nId = id4;
        const cs = new Int32Array(n);
        cs.set(this.nCons);
        this.nCons = cs;
        const t = new Float64Array(n);
        t.set(this.nTime);
        this.nTime = t;
        const k = new Float64Array(n);
        k.set(this.nCount);
        this.nCount = k;
      }
    }
    storeId(this.nId, s, id);
    this.nCons[s] = c;
    this.nTime[s] = time;
    this.nCount[s] = count;
    this.pel.insert(s);
    this.cpel.insert(s);
    this.cPending[c] = this.cPending[c]! + 1;
    return s;
  }

  private removeSlot(s: number): void {
    this.pel.remove(s);
    this.cpel.remove(s);
    const c = this.nCons[s]!;
    this.cPending[c] = this.cPending[c]! - 1;
    this.freeSlots.push(s);
  }

  /** Move NACK s to consumer c (its own PEL view follows). */
  private assign(s: number, c: number): void {
    const old = this.nCons[s]!;
    if (old === c) return;
    this.cpel.remove(s);
    this.cPending[old] = this.cPending[old]! - 1;
    this.nCons[s] = c;
    this.cpel.insert(s);
    this.cPending[c] = this.cPending[c]! + 1;
  }

  /**
   * XREADGROUP `>` delivered id to consumer c (not NOACK): a new NACK (time now, count 1), or
   * an existing one reassigned to c with time now and count 1, as Redis does.
   */
  deliverNew(id: StreamId, c: number, now: number): void {
    const s = this.pending(id);
    if (s < 0) {
      this.newSlot(id, c, now, 1);
      return;
    }
    this.assign(s, c);
    this.nTime[s] = now;
    this.nCount[s] = 1;
  }

  /** XREADGROUP history: an entry re-delivered from the consumer's PEL (time now, count+1). */
  redeliver(s: number, now: number): void {
    this.nTime[s] = now;
    this.nCount[s] = this.nCount[s]! + 1;
  }

  /** XACK of one ID: false when it was not pending. */
  ack(id: StreamId): boolean {
    const s = this.pending(id);
    if (s < 0) return false;
    this.removeSlot(s);
    return true;
  }

  // ---- PEL walks: cursors are valid until the PEL changes ----

  /** First NACK with ID >= start, as a cursor (-1 at the end). */
  pelSeek(start: StreamId): number {
    return this.pel.seek(0, start, false);
  }
  pelNext(cur: number): number {
    return this.pel.next(cur);
  }
  pelSlot(cur: number): number {
    return this.pel.slotAt(cur);
  }

  /** First NACK of consumer c with ID >= start (-1 when none). */
  consumerPelSeek(c: number, start: StreamId): number {
    const cur = this.cpel.seek(c, start, false);
    return cur >= 0 && this.nCons[this.cpel.slotAt(cur)] === c ? cur : -1;
  }
  consumerPelNext(cur: number): number {
    const c = this.nCons[this.cpel.slotAt(cur)]!;
    const n = this.cpel.next(cur);
    return n >= 0 && this.nCons[this.cpel.slotAt(n)] === c ? n : -1;
  }
  consumerPelSlot(cur: number): number {
    return this.cpel.slotAt(cur);
  }

  nackId(s: number, out: StreamId): StreamId {
    return loadId(this.nId, s, out);
  }

  /** Smallest and largest pending IDs (XPENDING summary); false when the PEL is empty. */
  pelBounds(min: StreamId, max: StreamId): boolean {
    if (this.pel.size === 0) return false;
    loadId(this.nId, this.pel.slotAt(this.pel.first()), min);
    loadId(this.nId, this.pel.slotAt(this.pel.last()), max);
    return true;
  }

  // ---- XCLAIM / XAUTOCLAIM ----

  /**
   * XCLAIM's loop (xclaimCommand) over `ids`. The claiming consumer is looked up (refreshing
   * seen-time) or created on the first entry claimed. deliveryTime: now, or now - IDLE, or
   * TIME; retryCount -1 when not given. Claimed IDs go to `claimed` in order (the reply: IDs
   * with JUSTID, else their entries); IDs whose entry is gone and whose NACK was dropped go to
   * `dropped` (propagation). Returns the consumer id, or -1 when none was needed.
   */
  claim(
    s: Stream,
    ids: IdBuffer,
    name: Uint8Array,
    nameOff: number,
    nameLen: number,
    now: number,
    minIdle: number,
    deliveryTime: number,
    retryCount: number,
    force: boolean,
    justId: boolean,
    claimed: IdBuffer,
    dropped: IdBuffer,
  ): number {
    let consumer = -1;
    const id = new StreamId();
    for (let j = 0; j < ids.n; j++) {
      ids.get(j, id);
      let slot = this.pending(id);
      if (!s.has(id)) {
        if (slot >= 0) {
          this.removeSlot(slot);
          dropped.push(id);
        }
        continue;
      }
      let forced = false;
      if (force && slot < 0) forced = true;
      if (slot < 0 && !forced) continue;
      if (!forced && minIdle > 0 && now - this.nTime[slot]! < minIdle) continue;
      if (consumer < 0) consumer = this.ensureConsumer(name, nameOff, nameLen, now);
      // streamCreateNACK starts at count 1; the claim below adds one unless JUSTID.
      if (forced) slot = this.newSlot(id, consumer, deliveryTime, 1);
      else this.assign(slot, consumer);
      this.nTime[slot] = deliveryTime;
      if (retryCount >= 0) this.nCount[slot] = retryCount;
      else if (!justId) this.nCount[slot] = this.nCount[slot]! + 1;
      claimed.push(id);
    }
    return consumer;
  }

  /**
   * XAUTOCLAIM (7.0): walks the PEL from start for up to count * 10 attempts, claiming entries
   * idle >= minIdle for the consumer (created on the first claim); NACKs of deleted entries are
   * dropped and reported in `deleted` (they use up count). `next` gets the cursor to return
   * (0-0 at the end of the PEL).
   */
  autoclaim(
    s: Stream,
    start: StreamId,
    name: Uint8Array,
    nameOff: number,
    nameLen: number,
    now: number,
    minIdle: number,
    count: number,
    justId: boolean,
    claimed: IdBuffer,
    deleted: IdBuffer,
    next: StreamId,
  ): void {
    let attempts = count * 10;
    let consumer = -1;
    const id = new StreamId();
    let cur = this.pel.seek(0, start, false);
    while (attempts-- > 0 && count > 0 && cur >= 0) {
      const slot = this.pel.slotAt(cur);
      loadId(this.nId, slot, id);
      if (!s.has(id)) {
        this.removeSlot(slot);
        deleted.push(id);
        count--;
        cur = this.pel.seek(0, id, false);
        continue;
      }
      if (minIdle > 0 && now - this.nTime[slot]! < minIdle) {
        cur = this.pel.next(cur);
        continue;
      }
      if (consumer < 0) consumer = this.ensureConsumer(name, nameOff, nameLen, now);
      this.assign(slot, consumer);
      this.nTime[slot] = now;
      if (!justId) this.nCount[slot] = this.nCount[slot]! + 1;
      claimed.push(id);
      count--;
      // assign() reorders only the consumer view: the group cursor still points here.
      cur = this.pel.seek(0, id, true);
    }
    if (cur < 0) next.setMin();
    else loadId(this.nId, this.pel.slotAt(cur), next);
  }

  // ---- whole-object ----

  clone(): ConsumerGroup {
    const g = new ConsumerGroup(this.name.slice(), this.lastId, this.entriesRead);
    g.nId = this.nId.slice();
    g.nCons = this.nCons.slice();
    g.nTime = this.nTime.slice();
    g.nCount = this.nCount.slice();
    g.slotHw = this.slotHw;
    g.freeSlots = this.freeSlots.slice();
    g.pel = this.pel.clone(g);
    g.cpel = this.cpel.clone(g);
    g.names = this.names.slice();
    g.namesEnd = this.namesEnd;
    g.namesDead = this.namesDead;
    g.cOff = this.cOff.slice();
    g.cLen = this.cLen.slice();
    g.cSeen = this.cSeen.slice();
    g.cPending = this.cPending.slice();
    g.cHw = this.cHw;
    g.cFree = this.cFree.slice();
    g.order = this.order.slice();
    g.consumerCount = this.consumerCount;
    return g;
  }

  memoryBytes(): number {
    return (
      400 +
      this.name.length +
      this.nId.byteLength +
      this.nCons.byteLength +
      this.nTime.byteLength +
      this.nCount.byteLength +
      this.freeSlots.length * 8 +
      this.pel.memoryBytes() +
      this.cpel.memoryBytes() +
      this.names.byteLength +
      this.cOff.byteLength * 3 +
      this.cSeen.byteLength * 2 +
      this.cFree.length * 8
    );
  }

  /** Self-check (tests). */
  checkInvariants(): void {
    let total = 0;
    for (let i = 0; i < this.consumerCount; i++) {
      const c = this.order[i]!;
      if (i > 0) {
        const p = this.order[i - 1]!;
        assert(
          compareBytes(
            this.names,
            this.cOff[p]!,
            this.cLen[p]!,
            this.names,
            this.cOff[c]!,
            this.cLen[c]!,
          ) < 0,
          "consumers sorted",
        );
      }
      let n = 0;
      const a = new StreamId();
      const b = new StreamId();
      for (
        let cur = this.consumerPelSeek(c, a.setMin());
        cur >= 0;
        cur = this.consumerPelNext(cur)
      ) {
        const s = this.consumerPelSlot(cur);
        loadId(this.nId, s, b);
        if (n > 0) assert(compareIds(a, b) < 0, "consumer pel sorted");
        a.set(b);
        n++;
      }
      assert(n === this.cPending[c], "consumer pending count");
      total += n;
    }
    assert(total === this.pel.size && total === this.cpel.size, "pel sizes");
    const a = new StreamId();
    const b = new StreamId();
    let n = 0;
    for (let cur = this.pel.first(); cur >= 0; cur = this.pel.next(cur)) {
      loadId(this.nId, this.pel.slotAt(cur), b);
      if (n > 0) assert(compareIds(a, b) < 0, "pel sorted");
      a.set(b);
      n++;
    }
    assert(n === this.pel.size, "pel walk");
  }
}

const scratchMin = new StreamId();
