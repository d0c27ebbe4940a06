// The AOF rewrite: a base file that rebuilds the whole dataset, written by walking the keyspace
// (Redis's rewriteAppendOnlyFileRio, in AOF format, no RDB preamble). Per database: SELECT,
// then per key the commands its type's hook writes (src/store/objects.ts rewriteObject), then
// PEXPIREAT for a key with a TTL. Strings are SET here; sorted sets, hashes, sets and lists
// register their hooks below; a type with no hook makes the rewrite fail (never drop a key).

import { formatDouble } from "../protocol/number.ts";
import { hashField, hashFirst, hashLength, hashNext, hashValue } from "../store/hash.ts";
import type { Keyspace } from "../store/keyspace.ts";
import { List } from "../store/list.ts";
import { type RewriteSink, rewriteObject } from "../store/objects.ts";
import { setFirst, setMember, setNext, setSize } from "../store/set.ts";
import {
  type Table,
  TYPE_FREE,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STRING,
  TYPE_ZSET,
} from "../store/table.ts";
import type { ZSet } from "../store/zset.ts";
import type { CommandWriter } from "./aof-encode.ts";

/** Redis's AOF_REWRITE_ITEMS_PER_CMD: elements per ZADD/HSET/SADD/RPUSH of a rewrite. */
export const ITEMS_PER_CMD = 64;

export class RewriteError extends Error {}

/**
 * Write the dataset as commands into `w`; `drain` is called whenever the buffer passes
 * `chunkBytes` (write it out and empty it), so a large dataset never sits whole in memory.
 * Keys already expired at `now` are left out (as Redis does). Returns the number of keys.
 */
export function rewriteKeyspace(
  ks: Keyspace,
  w: CommandWriter,
  drain: () => void,
  chunkBytes = 1 << 20,
): number {
  let keys = 0;
  const now = ks.now;
  for (let db = 0; db < ks.dbs.length; db++) {
    const t = ks.dbs[db]!;
    if (t.count === 0) continue;
    w.begin(2);
    w.str("SELECT");
    w.int(db);
    for (let e = t.nextEntry(0); e >= 0; e = t.nextEntry(e + 1)) {
      if (!rewriteEntry(w, t, e, now)) continue;
      keys++;
      if (w.length >= chunkBytes) drain();
    }
  }
  drain();
  return keys;
}

/**
 * The commands that rebuild entry e (its type's hook, then PEXPIREAT for a TTL) into `w`, in
 * the database selected before; false (nothing written) for a free entry or a key already
 * expired at `now`. rewriteKeyspace's step, and the background AOF base's (aof-base-job.ts).
 */
export function rewriteEntry(w: CommandWriter, t: Table, e: number, now: number): boolean {
  const type = t.type[e]!;
  if (type === TYPE_FREE) return false;
  const exp = t.expireAt[e]!;
  if (exp !== 0 && exp <= now) return false;
  const page = t.page(e);
  const koff = t.keyOffset(e);
  const klen = t.keyLen[e]!;
  if (type === TYPE_STRING) {
    w.begin(3);
    w.str("SET");
    w.bulk(page, koff, klen);
    w.bulk(page, t.valueOffset(e), t.valLen[e]!);
  } else {
    const hook = rewriteObject.get(type);
    if (hook === undefined) throw new RewriteError(`no AOF rewrite for keys of type ${type}`);
    // the key straight from its page: a hook only reads, so no page moves meanwhile
    hook(t.getObj(e), t, e, page, koff, klen, w);
  }
  if (exp !== 0) {
    w.begin(3);
    w.str("PEXPIREAT");
    w.bulk(t.page(e), t.keyOffset(e), klen);
    w.int(exp);
  }
  return true;
}

/**
 * The head of the next command of a batched rewrite (at most ITEMS_PER_CMD items of `per`
 * arguments each out of `left`); returns its item count. A loop per type, not a callback per
 * item: a closure and a ByteRef per key were most of the AOF-format base's garbage (1M keys:
 * RSS +35 MB during BGREWRITEAOF, docs/BENCHMARKS.md).
 */
function batchHead(
  name: string,
  left: number,
  per: number,
  kbuf: Uint8Array,
  koff: number,
  klen: number,
  w: RewriteSink,
): number {
  const n = Math.min(left, ITEMS_PER_CMD);
  w.begin(2 + n * per);
  w.str(name);
  w.bulk(kbuf, koff, klen);
  return n;
}

/** A score as ZADD takes it (formatDouble's text); an integer without making a string. */
function score(w: RewriteSink, s: number): void {
  if (s !== 0 && Number.isSafeInteger(s))
    w.int(s); // formatDouble prints it as its digits
  else w.str(formatDouble(s));
}

rewriteObject.set(TYPE_ZSET, (obj, _t, _e, kbuf, koff, klen, w) => {
  const z = obj as ZSet;
  z.seek(0);
  for (let left = z.size; left > 0; ) {
    const n = batchHead("ZADD", left, 2, kbuf, koff, klen, w);
    for (let k = 0; k < n; k++) {
      const id = z.nextId();
      score(w, z.score[id]!);
      w.bulk(z.mem, z.off(id), z.len(id));
    }
    left -= n;
  }
});

rewriteObject.set(TYPE_HASH, (_obj, t, e, kbuf, koff, klen, w) => {
  const ref = w.ref;
  let h = hashFirst(t, e);
  for (let left = hashLength(t, e); left > 0; ) {
    const n = batchHead("HSET", left, 2, kbuf, koff, klen, w);
    for (let k = 0; k < n; k++) {
      hashField(t, e, h, ref);
      w.bulk(ref.buf, ref.off, ref.len);
      hashValue(t, e, h, ref);
      w.bulk(ref.buf, ref.off, ref.len);
      h = hashNext(t, e, h);
    }
    left -= n;
  }
});

rewriteObject.set(TYPE_SET, (_obj, t, e, kbuf, koff, klen, w) => {
  const ref = w.ref;
  let h = setFirst(t, e);
  for (let left = setSize(t, e); left > 0; ) {
    const n = batchHead("SADD", left, 1, kbuf, koff, klen, w);
    for (let k = 0; k < n; k++) {
      setMember(t, e, h, ref);
      w.bulk(ref.buf, ref.off, ref.len);
      h = setNext(t, e, h);
    }
    left -= n;
  }
});

rewriteObject.set(TYPE_LIST, (obj, _t, _e, kbuf, koff, klen, w) => {
  if (!(obj instanceof List)) throw new RewriteError("list key without a List object");
  const l = obj;
  l.seek(0);
  for (let left = l.length; left > 0; ) {
    const n = batchHead("RPUSH", left, 1, kbuf, koff, klen, w);
    for (let k = 0; k < n; k++) {
      const len = l.next();
      w.bulk(l.cbuf, l.coff, len);
    }
    left -= n;
  }
});
