// DUMP/RESTORE payloads (cluster.c createDumpPayload / verifyDumpPayload):
//
//   <type byte + value, as in an RDB file> <RDB version u16le> <CRC-64 of all before, u64le>
//
// RESTORE refuses a payload from a newer RDB version or with a wrong checksum, with Redis's
// error text; a payload that passes but does not parse is "Bad data format".

import { RDB_VERSION } from "./constants.ts";
import { Crc64 } from "./crc64.ts";
import { RdbError, readValue } from "./reader.ts";
import type { RdbValue } from "./value.ts";
import { RdbWriter, type RdbWriterOptions } from "./writer.ts";

export const DUMP_ERR_VERSION_OR_CHECKSUM = "ERR DUMP payload version or checksum are wrong";
export const DUMP_ERR_BAD_FORMAT = "Bad data format";

/** The DUMP payload of a value. Options: compression and encoding limits (checksum always on). */
export function createDumpPayload(
  value: RdbValue,
  opts: Pick<RdbWriterOptions, "compression" | "limits"> = {},
): Uint8Array {
  const w = new RdbWriter({ compression: opts.compression, limits: opts.limits });
  w.writeValue(value);
  return w.finishDump();
}

/**
 * verifyDumpPayload: the footer's version is at most ours and the CRC matches. Returns null when
 * fine, else Redis's error text. `skipChecksum` is Redis's skip-checksum-validation.
 */
export function verifyDumpPayload(p: Uint8Array, skipChecksum = false): string | null {
  if (p.length < 10) return DUMP_ERR_VERSION_OR_CHECKSUM;
  const f = p.length - 10;
  const version = p[f]! | (p[f + 1]! << 8);
  if (version > RDB_VERSION) return DUMP_ERR_VERSION_OR_CHECKSUM;
  if (skipChecksum) return null;
  const crc = new Crc64().update(p, 0, p.length - 8);
  return crc.equalsLE(p, p.length - 8) ? null : DUMP_ERR_VERSION_OR_CHECKSUM;
}

export type RestoreResult = { ok: true; value: RdbValue } | { ok: false; error: string };

/**
 * What RESTORE does with a payload before touching the keyspace: verify, then decode. An
 * empty aggregate or a malformed body is "Bad data format" (Redis: "-ERR Bad data format").
 */
export function decodeDumpPayload(p: Uint8Array, skipChecksum = false): RestoreResult {
  const bad = verifyDumpPayload(p, skipChecksum);
  if (bad !== null) return { ok: false, error: bad };
  try {
    const v = readValue(p.subarray(0, p.length - 10));
    if (v === null) return { ok: false, error: `ERR ${DUMP_ERR_BAD_FORMAT}` };
    return { ok: true, value: v };
  } catch (err) {
    if (err instanceof RdbError) return { ok: false, error: `ERR ${DUMP_ERR_BAD_FORMAT}` };
    throw err;
  }
}
