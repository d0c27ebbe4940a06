// Per-type hooks for the structure objects of non-string keys (Table.setObj/getObj). Each data
// type module registers its own; generic key commands (COPY, OBJECT ENCODING) call through here
// so they never need to know the types.
//
//   cloneObject.set(TYPE_ZSET, (z) => (z as Zset).clone());
//   objectEncoding.set(TYPE_ZSET, (z) => (z as Zset).encoding);

import type { ByteRef } from "./packed.ts";

/** A deep copy for COPY: the copy must share nothing mutable with the original. */
export const cloneObject = new Map<number, (obj: unknown) => unknown>();

/** OBJECT ENCODING's answer for a key of this type ("listpack", "skiplist", "hashtable"...). */
export const objectEncoding = new Map<number, (obj: unknown) => string>();

/** Where an AOF rewrite writes commands (src/persistence/aof-encode.ts CommandWriter). */
export interface RewriteSink {
  /** Start a command of n arguments; then exactly n bulk()/str()/int() calls. */
  begin(n: number): void;
  bulk(buf: Uint8Array, off: number, len: number): void;
  str(s: string): void;
  int(x: number): void;
  /** Scratch for the hook's reads (hashField, setMember ...): a hook allocates nothing. */
  readonly ref: ByteRef;
}

/**
 * AOF rewrite (base files, BGREWRITEAOF): write commands that rebuild the object of entry e,
 * under its key (kbuf[koff, koff+klen)), e.g. ZADD key score member ... in batches of 64 items
 * (Redis's AOF_REWRITE_ITEMS_PER_CMD). Expiry is written by the caller. A type with no hook
 * cannot be rewritten: the rewrite fails loudly rather than drop keys.
 *
 *   rewriteObject.set(TYPE_ZSET, (obj, t, e, kbuf, koff, klen, w) => { ... });
 */
export const rewriteObject = new Map<
  number,
  (
    obj: unknown,
    t: import("./table.ts").Table,
    e: number,
    kbuf: Uint8Array,
    koff: number,
    klen: number,
    w: RewriteSink,
  ) => void
>();
/**
 * MEMORY USAGE's bytes for the structure object of a key of this type, beyond its row and
 * block; `samples` is MEMORY USAGE's SAMPLES (0 = all) for types that estimate from a sample.
 * A type without a hook counts its object's memoryBytes().
 */
export const memoryUsageOf = new Map<number, (obj: unknown, samples: number) => number>();
