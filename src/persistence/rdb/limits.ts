// The encoding thresholds the writer applies, with Redis 7.0's defaults and redis.conf names.
// They decide which compact encoding a value gets when the caller asks for "auto"; a file
// written with any of them loads in Redis (which re-checks its own limits on load).

export interface EncodingLimits {
  /** hash-max-listpack-entries / hash-max-listpack-value */
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  /** zset-max-listpack-entries / zset-max-listpack-value */
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** set-max-intset-entries */
  setMaxIntsetEntries: number;
  /** list-max-listpack-size: < 0 is a node byte limit (-1 4kb .. -5 64kb), > 0 a count. */
  listMaxListpackSize: number;
  /** Elements at least this long get a PLAIN quicklist node (Redis's packed_threshold, 1 GB). */
  listPackedThreshold: number;
  /** stream-node-max-bytes / stream-node-max-entries */
  streamNodeMaxBytes: number;
  streamNodeMaxEntries: number;
}

export const DEFAULT_LIMITS: Readonly<EncodingLimits> = Object.freeze({
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  listMaxListpackSize: -2,
  listPackedThreshold: 1 << 30,
  streamNodeMaxBytes: 4096,
  streamNodeMaxEntries: 100,
});

/** quicklist.c's optimization_level: node byte limits for list-max-listpack-size -1..-5. */
export const LIST_NODE_BYTES = [4096, 8192, 16384, 32768, 65536] as const;
/** quicklist.c's SIZE_SAFETY_LIMIT: a count-limited node is still cut at this many bytes. */
export const LIST_SIZE_SAFETY_LIMIT = 8192;
