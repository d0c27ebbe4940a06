// The snapshot writer's JIT warm-up after a load (docs/PERSISTENCE.md, "RDB snapshots";
// docs/BENCHMARKS.md, "BGSAVE extra memory: where it went").
//
// The first BGSAVE in a process ran the walk (SnapshotJob.walk, writeEntry, the RdbWriter)
// cold: JSC compiled it through its tiers while the save ran, and the FTL compiler's memory
// was most of that save's extra memory (1M mixed keys, in process: RSS +15..17 MB, against
// +1.4..3 MB for the same save warm and +4 MB with BUN_JSC_useFTLJIT=0), with 15-70 ms
// slices while the code was still interpreted. A synthetic keyspace of every encoding, walked
// 100 times, did not do it (the first real save still grew 15 MB: the real data takes other
// paths and shapes); the first ~60K keys of the data itself did (+4 MB). So after a load,
// while the server does not serve clients yet, the first WARMUP_KEYS keys are walked through
// the same SnapshotJob writing nowhere (`discard`): the compiling happens here, once.

import type { Keyspace } from "../store/keyspace.ts";
import { SnapshotJob, type SnapshotOptions } from "./snapshot.ts";

/** Loads with fewer keys skip it: their first save is too small for its JIT cost to matter. */
export const WARMUP_MIN_KEYS = 100_000;
/** Keys walked (measured: 30K left the first save +14 MB, 60K +4 MB, as warm). */
export const WARMUP_KEYS = 100_000;
/** At most this long (ms) in any case (100K keys: ~0.1 s quiet, 0.3 s on a busy machine). */
export const WARMUP_MAX_MS = 1000;

export interface WarmupResult {
  keys: number;
  ms: number;
}

/**
 * Walk up to `maxKeys` keys of `ks` through a discarding SnapshotJob, for at most `maxMs`.
 * Synchronous: call it only where no client can write (right after loading at start).
 */
export function warmUpSnapshotWriter(
  ks: Keyspace,
  opts: SnapshotOptions,
  maxKeys = WARMUP_KEYS,
  maxMs = WARMUP_MAX_MS,
): WarmupResult {
  const t0 = performance.now();
  const job = new SnapshotJob(ks, "warmup", { ...opts, discard: true }, 0);
  job.syncFinish = true;
  while (job.keys < maxKeys && performance.now() - t0 < maxMs && job.step(2)) {}
  const keys = job.keys;
  job.abort();
  return { keys, ms: performance.now() - t0 };
}
