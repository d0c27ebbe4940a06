// What the two-encoding types share (hash.ts: listpack | hashtable, set.ts: intset | hashtable):
// the small encoding is packed into the key's own arena block in the keyspace Table and
// `t.objs[e]` stays undefined; the large one is a ByteDict in `t.objs[e]`. These helpers work on
// the dict side (or on either side, where the logic is the same) so each type file keeps only
// its own packed format.

import type { ByteDict, Handles, Rng } from "./bytedict.ts";
import type { Table } from "./table.ts";

/** What the store functions need from their surroundings; the Keyspace provides both. */
export interface StoreCtx extends Rng {
  objectBytesChanged(delta: number): void;
}

const EMPTY = new Uint8Array(0);

/** Where some bytes are: buf[off, off + len). Caller-owned and reused; valid until a write. */
export class ByteRef {
  buf: Uint8Array = EMPTY;
  off = 0;
  len = 0;
  /** Room for a member formatted on the fly (an intset's integer). */
  readonly scratch = new Uint8Array(24);
  /** A copy (tests, slow paths). */
  bytes(): Uint8Array {
    return this.buf.slice(this.off, this.off + this.len);
  }
}

/** Entry e's dict, or undefined while it is in its packed encoding. */
export function dictOf(t: Table, e: number): ByteDict | undefined {
  return t.getObj(e) as ByteDict | undefined;
}

/** Bytes the value holds beyond its table row: its arena block and its dict (MEMORY USAGE). */
export function packedOrDictMemoryBytes(t: Table, e: number): number {
  const d = dictOf(t, e);
  return t.capacity(e) + (d === undefined ? 0 : d.memoryBytes());
}

/** Fill `out` with the key bytes (hash field, set member) of dict id h. */
export function dictKeyRef(d: ByteDict, h: number, out: ByteRef): void {
  out.buf = d.memOf(h);
  out.off = d.keyOff(h);
  out.len = d.keyLen(h);
}

/** Delete dict id h, reporting the dict's change in size to objectBytesChanged (used_memory). */
export function dictDeleteId(ctx: StoreCtx, d: ByteDict, h: number): void {
  const before = d.memoryBytes();
  d.delete(h);
  const after = d.memoryBytes();
  if (after !== before) ctx.objectBytesChanged(after - before);
}

/** cloneObject hook of both types: COPY already copied the key's value bytes (the packed form). */
export function cloneDictObject(obj: unknown): unknown {
  return obj === undefined ? undefined : (obj as ByteDict).clone();
}

/** SCAN step over a dict: ids [cursor, ...) until `count` ids are visited; next cursor or 0. */
export function dictScan(d: ByteDict, cursor: number, count: number, out: Handles): number {
  const hw = d.idHighWater;
  let id = Math.max(0, cursor);
  const stop = Math.min(hw, id + Math.max(1, count));
  for (; id < stop; id++) if (d.isLive(id)) out.push(id);
  // Skip a run of dead ids so a sparse dict does not hand back many empty pages.
  const next = d.nextLive(id);
  return Math.max(next, 0);
}

/**
 * Random handles over a dict with Redis's count rules: count < 0 with repetition; count >= size
 * the whole dict; count * 3 > size: a partial shuffle of all ids (Redis: copy, then delete
 * random ones); otherwise random picks until `count` distinct (Redis's CASE 4).
 */
export function dictRandomHandles(rng: Rng, d: ByteDict, count: number, out: Handles): void {
  const n = d.size;
  if (n === 0 || count === 0) return;
  if (count < 0) {
    for (let k = -count; k > 0; k--) out.push(d.randomId(rng));
    return;
  }
  if (count >= n) {
    for (let id = d.nextLive(0); id >= 0; id = d.nextLive(id + 1)) out.push(id);
    return;
  }
  if (count * 3 > n) {
    const all = new Int32Array(n);
    let i = 0;
    for (let id = d.nextLive(0); id >= 0; id = d.nextLive(id + 1)) all[i++] = id;
    for (let k = 0; k < count; k++) {
      const j = k + Math.floor(rng.random() * (n - k));
      const x = all[j]!;
      all[j] = all[k]!;
      all[k] = x;
      out.push(x);
    }
    return;
  }
  // count * 3 <= n: rejection sampling, a small open-addressing set of ids picked so far.
  let size = 16;
  while (size < count * 2) size *= 2;
  const seen = new Int32Array(size);
  const mask = size - 1;
  while (out.n < count) {
    const id = d.randomId(rng);
    let i = Math.imul(id + 1, 0x9e3779b1) & mask;
    for (;;) {
      const s = seen[i]!;
      if (s === 0) {
        seen[i] = id + 1;
        out.push(id);
        break;
      }
      if (s === id + 1) break;
      i = (i + 1) & mask;
    }
  }
}
