// The neutral value model the RDB codec reads into and writes from. It belongs to the
// persistence edge, not to any data type's in-memory classes: the store adapter converts a
// type's object to one of these (or streams its parts into RdbWriter directly) and back.
//
// Byte strings are Uint8Array. Orders are the file's (a zset's entries are not re-sorted, a
// set's members are not deduplicated: the adapter's insert does that and Redis never writes
// duplicates).

export interface StreamId {
  ms: bigint;
  seq: bigint;
}

export interface StreamEntry {
  id: StreamId;
  /** field, value, field, value ... (a stream entry keeps its field order). */
  fields: Uint8Array[];
}

export interface StreamPendingEntry {
  id: StreamId;
  /** Consumer that owns it (every PEL entry of a group belongs to exactly one consumer). */
  consumer: Uint8Array;
  deliveryTimeMs: number;
  deliveryCount: number;
}

export interface StreamConsumer {
  name: Uint8Array;
  seenTimeMs: number;
}

export interface StreamGroup {
  name: Uint8Array;
  lastId: StreamId;
  /** Redis 7.0's entries_read (the group's logical read counter); -1 = unknown (SCG_INVALID_ENTRIES_READ). */
  entriesRead: number;
  pending: StreamPendingEntry[];
  consumers: StreamConsumer[];
}

export interface StreamValue {
  type: "stream";
  /** Live entries in ID order (entries marked deleted in a node are not listed). */
  entries: StreamEntry[];
  /** Number of live entries (Redis stores it; equals entries.length in a valid file). */
  length: number;
  lastId: StreamId;
  /** v2 (Redis 7.0) metadata; 0-0 / 0 when read from an older file. */
  firstId: StreamId;
  maxDeletedId: StreamId;
  entriesAdded: number;
  groups: StreamGroup[];
}

export type RdbValue =
  | { type: "string"; bytes: Uint8Array }
  | { type: "list"; items: Uint8Array[] }
  | { type: "set"; members: Uint8Array[] }
  | { type: "zset"; entries: [Uint8Array, number][] }
  | { type: "hash"; entries: [Uint8Array, Uint8Array][] }
  | StreamValue;

export type RdbValueType = RdbValue["type"];
