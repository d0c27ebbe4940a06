// DUMP: one keyspace entry as a DUMP payload (type + value + RDB version + CRC-64), written
// straight from the store by the snapshot's entry writer, in the key's current encoding.

import type { Table } from "../store/table.ts";
import { RdbWriter } from "./rdb/index.ts";
import { EntryWriterState, writeEntry } from "./snapshot-write.ts";

export function createDumpPayloadOf(t: Table, e: number, compression = true): Uint8Array {
  const w = new RdbWriter({ compression });
  writeEntry(w, new EntryWriterState(), t, e, false, undefined);
  return w.finishDump();
}
