// One full garbage collection once the server goes quiet after work. JSC collects on its own
// heuristics, driven by allocation: when the requests stop, the burst's garbage (read chunks,
// table columns replaced by a growth, reply and eviction temporaries) can stay resident
// indefinitely, 15-25 MB after 250k SETs at maxmemory 64mb (docs/BENCHMARKS.md, branch idle).
// So the cron asks, per tick, whether work was done since the last collection (commands, and
// the cron's own arena compaction and lazy frees, which drop pages after the commands stop) and
// none for IDLE_GC_AFTER_MS; then it collects once. A server under steady load never gets here,
// and a quiet one pays one collection (~5-50 ms on a keyspace held in arenas) per burst, when no
// request is waiting for it. The collection is synchronous and its time grows with the JS heap
// (objects, not the arenas' typed-array bytes): 2.5-8 ms per MB on the busy machine, ~1 s for 260k
// sorted sets (137 MB of heap); past IDLE_GC_MAX_HEAP_BYTES it is skipped, and JSC's own
// concurrent collector is left to it.

/** Quiet time after the last command before the collection (ms). */
export const IDLE_GC_AFTER_MS = 1000;
/** Largest JS heap (process.memoryUsage().heapTotal) collected at once: 20-140 ms at worst. */
export const IDLE_GC_MAX_HEAP_BYTES = 16 * 1024 * 1024;

export class IdleGc {
  /** The work counter at the last tick (-1: no tick yet). */
  private seen = -1;
  /** When `seen` last changed (ms). */
  private lastActive = 0;
  /** The work counter at the last collection (-1: none yet; start-up counts as work). */
  private collectedAt = -1;

  constructor(
    private readonly collect: () => void = () => Bun.gc(true),
    private readonly afterMs = IDLE_GC_AFTER_MS,
    private readonly heapBytes: () => number = () => process.memoryUsage().heapTotal,
    private readonly maxHeapBytes = IDLE_GC_MAX_HEAP_BYTES,
  ) {}

  /**
   * Per cron tick: `work` counts what was done so far (it only grows: commands processed, blocks
   * moved, pages released...); `busy` (a background job runs) waits.
   */
  tick(now: number, work: number, busy: boolean): boolean {
    if (work !== this.seen) {
      this.seen = work;
      this.lastActive = now;
      return false;
    }
    if (work === this.collectedAt || busy || now - this.lastActive < this.afterMs) return false;
    this.collectedAt = work;
    if (this.heapBytes() > this.maxHeapBytes) return false; // too long a pause: not this time
    this.collect();
    return true;
  }
}
