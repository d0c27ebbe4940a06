// A side-by-side workload: one redis-benchmark invocation, run identically
// against imds and redis-server by bench/vs-redis.ts.

export interface Workload {
  /** Short unique label for the table, e.g. "SET 3B P16". */
  name: string;
  /** Which family file it came from (strings, zset, expiry...). */
  family: string;
  /**
   * redis-benchmark arguments after the common ones (-h -p -c 50 -r 100000
   * --csv -n). Either a test (`-t set -d 3`) or a custom command
   * (`ZADD z __rand_int__ m:__rand_int__`).
   */
  args: string[];
  /** Requests per run (-n); scaled down by --quick. */
  requests: number;
  /** Commands sent to both servers before the first run (e.g. to fill keys). */
  setup?: string[][];
  /** Left out of --quick runs. */
  slow?: boolean;
}
