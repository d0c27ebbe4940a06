// Per-type hooks for the structure objects of non-string keys (Table.setObj/getObj). Each data
// type module registers its own; generic key commands (COPY, OBJECT ENCODING) call through here
// so they never need to know the types.
//
//   cloneObject.set(TYPE_ZSET, (z) => (z as Zset).clone());
//   objectEncoding.set(TYPE_ZSET, (z) => (z as Zset).encoding);

/** A deep copy for COPY: the copy must share nothing mutable with the original. */
export const cloneObject = new Map<number, (obj: unknown) => unknown>();

/** OBJECT ENCODING's answer for a key of this type ("listpack", "skiplist", "hashtable"...). */
export const objectEncoding = new Map<number, (obj: unknown) => string>();

/**
 * MEMORY USAGE's bytes for the structure object of a key of this type, beyond its row and
 * block; `samples` is MEMORY USAGE's SAMPLES (0 = all) for types that estimate from a sample.
 * A type without a hook counts its object's memoryBytes().
 */
export const memoryUsageOf = new Map<number, (obj: unknown, samples: number) => number>();
