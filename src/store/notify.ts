// The write signal's vocabulary: keyspace notification classes as Redis 7.0's NOTIFY_* bits
// (server.h), and the observer interface that WATCH, notifications and persistence implement.
// The keyspace is the hub (Keyspace.keyModified): commands signal through their context, and
// the store itself signals what it does on its own (keys expired or evicted).

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m
export const NOTIFY_LOADED = 1 << 12; // module only
export const NOTIFY_MODULE = 1 << 13; // d
export const NOTIFY_NEW = 1 << 14; // n
/** "A": every class but m and n, as Redis's NOTIFY_ALL. */
export const NOTIFY_ALL =
  NOTIFY_GENERIC |
  NOTIFY_STRING |
  NOTIFY_LIST |
  NOTIFY_SET |
  NOTIFY_HASH |
  NOTIFY_ZSET |
  NOTIFY_EXPIRED |
  NOTIFY_EVICTED |
  NOTIFY_STREAM |
  NOTIFY_MODULE;

/** A class bit (or 0: a write that publishes no event, e.g. a no-op). */
export type NotifyClass = number;

/** Told of every change to the keyspace, in the order they happen. */
export interface KeyObserver {
  /** Key `buf[off, off+len)` of database `db` was written, deleted, expired or evicted. */
  keyModified(
    db: number,
    buf: Uint8Array,
    off: number,
    len: number,
    cls: NotifyClass,
    event: string,
  ): void;
  /**
   * Database `db` (-1: every database) is about to be emptied (FLUSHDB / FLUSHALL): its keys
   * are still there to look at (WATCH only counts a flush as a change of keys that existed).
   */
  flushing?(db: number): void;
  /** Every key of database `db` (-1: of every database) is gone (FLUSHDB / FLUSHALL). */
  flushed(db: number): void;
  /** Databases a and b exchanged their contents (SWAPDB). */
  swapped(a: number, b: number): void;
}
