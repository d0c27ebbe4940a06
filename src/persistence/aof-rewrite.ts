// The AOF rewrite: a base file that rebuilds the whole dataset, written by walking the keyspace
// (Redis's rewriteAppendOnlyFileRio, in AOF format, no RDB preamble). Per database: SELECT,
// then per key the commands its type's hook writes (src/store/objects.ts rewriteObject), then
// PEXPIREAT for a key with a TTL. Strings are SET here; sorted sets, hashes, sets and lists
// register their hooks below; a type with no hook makes the rewrite fail (never drop a key).

import { formatDouble } from "../protocol/number.ts";
import { ByteRef, hashField, hashFirst, hashLength, hashNext, hashValue } from "../store/hash.ts";
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
    // The hook may read other pages; give it a stable copy of the key.
    const key = t.keyBytes(e);
    hook(t.getObj(e), t, e, key, 0, key.length, w);
  }
  if (exp !== 0) {
    w.begin(3);
    w.str("PEXPIREAT");
    w.bulk(t.page(e), t.keyOffset(e), klen);
    w.int(exp);
  }
  return true;
}

/** Emit `total` items in commands of at most ITEMS_PER_CMD items, `per` arguments each. */
function batched(
  name: string,
  total: number,
  per: number,
  kbuf: Uint8Array,
  koff: number,
  klen: number,
  w: RewriteSink,
  item: (w: RewriteSink) => void,
): void {
  let left = total;
  while (left > 0) {
    const n = Math.min(left, ITEMS_PER_CMD);
    w.begin(2 + n * per);
    w.str(name);
    w.bulk(kbuf, koff, klen);
    for (let k = 0; k < n; k++) item(w);
    left -= n;
  }
}

rewriteObject.set(TYPE_ZSET, (obj, _t, _e, kbuf, koff, klen, w) => {
  const z = obj as ZSet;
  z.seek(0);
  batched("ZADD", z.size, 2, kbuf, koff, klen, w, (w) => {
    const id = z.nextId();
    w.str(formatDouble(z.score[id]!));
    w.bulk(z.mem, z.off(id), z.len(id));
  });
});

rewriteObject.set(TYPE_HASH, (_obj, t, e, kbuf, koff, klen, w) => {
  const ref = new ByteRef();
  let h = hashFirst(t, e);
  batched("HSET", hashLength(t, e), 2, kbuf, koff, klen, w, (w) => {
    hashField(t, e, h, ref);
    w.bulk(ref.buf, ref.off, ref.len);
    hashValue(t, e, h, ref);
    w.bulk(ref.buf, ref.off, ref.len);
    h = hashNext(t, e, h);
  });
});

rewriteObject.set(TYPE_SET, (_obj, t, e, kbuf, koff, klen, w) => {
  const ref = new ByteRef();
  let h = setFirst(t, e);
  batched("SADD", setSize(t, e), 1, kbuf, koff, klen, w, (w) => {
    setMember(t, e, h, ref);
    w.bulk(ref.buf, ref.off, ref.len);
    h = setNext(t, e, h);
  });
});

rewriteObject.set(TYPE_LIST, (obj, _t, _e, kbuf, koff, klen, w) => {
  if (!(obj instanceof List)) throw new RewriteError("list key without a List object");
  const l = obj;
  l.seek(0);
  batched("RPUSH", l.length, 1, kbuf, koff, klen, w, (w) => {
    const len = l.next();
    w.bulk(l.cbuf, l.coff, len);
  });
});
