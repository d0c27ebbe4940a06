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
