// The Redis RDB codec: public entry points (see docs/RDB.md).
export { RDB_VERSION } from "./constants.ts";
export { Crc64, crc64 } from "./crc64.ts";
export {
  createDumpPayload,
  DUMP_ERR_BAD_FORMAT,
  DUMP_ERR_VERSION_OR_CHECKSUM,
  decodeDumpPayload,
  type RestoreResult,
  verifyDumpPayload,
} from "./dump.ts";
export { RdbError } from "./input.ts";
export { DEFAULT_LIMITS, type EncodingLimits } from "./limits.ts";
export { LzfCompressor, lzfDecompress } from "./lzf.ts";
export {
  type RdbReaderOptions,
  type RdbReadResult,
  type RdbSink,
  readRdb,
  readRdbFile,
  readValue,
} from "./reader.ts";
export type * from "./value.ts";
export {
  type EncodingHint,
  type KeyMeta,
  RdbWriter,
  type RdbWriterOptions,
  type StandardAux,
} from "./writer.ts";
