// Prometheus metrics: `metrics-port` (0 = off) on `metrics-bind`, served by Bun.serve at /metrics
// in the text exposition format (version 0.0.4). Names follow redis_exporter's, so its
// dashboards and alerts work unchanged; imds_* are imds's own (event-loop lag).
//
// The page is a function of a narrow read-only view (MetricsSource): command stats, counters,
// keyspace counts, memory. `serverSource` adapts anything shaped like the Server to it without
// importing the Server class.

import type { Server as HttpServer } from "bun";

export interface MetricsCounters {
  uptimeSeconds: number;
  connectedClients: number;
  maxClients: number;
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  expiredKeys: number;
  evictedKeys: number;
  inputBytes: number;
  outputBytes: number;
  errorReplies: number;
  usedMemory: number;
  usedMemoryPeak: number;
  maxMemory: number;
  /** Persistence: INFO persistence's rdb_changes_since_last_save, rdb_bgsave_in_progress,
   * rdb_last_save_time (unix s), aof_enabled (0/1), aof_last_write_status ok (1) or err (0). */
  rdbChangesSinceLastSave: number;
  rdbBgsaveInProgress: number;
  rdbLastSaveTime: number;
  aofEnabled: number;
  aofLastWriteOk: number;
}

/** What the metrics page reads. Every method is a read; none may change the server. */
export interface MetricsSource {
  /** [command name as INFO commandstats has it ("get", "client|list"), calls, usec]. */
  commandStats(): Iterable<readonly [string, number, number]>;
  counters(): MetricsCounters;
  /** [db index, keys, keys with a TTL] for every database. */
  keyspace(): Iterable<readonly [number, number, number]>;
}

// ---- event-loop lag -----------------------------------------------------------------------

const LAG_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Event-loop lag, measured by a timer: every `intervalMs` the timer notes how late it fired
 * (the time the loop was busy elsewhere). A histogram in seconds, Prometheus-style (cumulative).
 */
export class LagHistogram {
  readonly counts = new Float64Array(LAG_BUCKETS.length);
  sum = 0;
  count = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < LAG_BUCKETS.length; i++) if (seconds <= LAG_BUCKETS[i]!) this.counts[i]!++;
  }

  start(intervalMs = 100): void {
    let expected = performance.now() + intervalMs;
    const tick = () => {
      const now = performance.now();
      this.observe(Math.max(0, now - expected) / 1000);
      expected = now + intervalMs;
      this.timer = setTimeout(tick, intervalMs);
      this.timer.unref?.();
    };
    this.timer = setTimeout(tick, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

// ---- the exposition text ------------------------------------------------------------------

function esc(label: string): string {
  return label.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  return String(n);
}

/** The /metrics page. */
export function renderMetrics(src: MetricsSource, lag: LagHistogram): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const one = (name: string, type: string, help: string, value: number) => {
    family(name, type, help);
    out.push(`${name} ${num(value)}`);
  };
  const c = src.counters();
  one("redis_up", "gauge", "Information about the Redis instance", 1);
  one("redis_uptime_in_seconds", "gauge", "uptime_in_seconds metric", c.uptimeSeconds);
  one("redis_connected_clients", "gauge", "connected_clients metric", c.connectedClients);
  one("redis_config_maxclients", "gauge", "config_maxclients metric", c.maxClients);
  one(
    "redis_connections_received_total",
    "counter",
    "connections_received_total metric",
    c.totalConnections,
  );
  one(
    "redis_rejected_connections_total",
    "counter",
    "rejected_connections_total metric",
    c.rejectedConnections,
  );
  one(
    "redis_commands_processed_total",
    "counter",
    "commands_processed_total metric",
    c.totalCommands,
  );
  one("redis_keyspace_hits_total", "counter", "keyspace_hits_total metric", c.keyspaceHits);
  one("redis_keyspace_misses_total", "counter", "keyspace_misses_total metric", c.keyspaceMisses);
  one("redis_expired_keys_total", "counter", "expired_keys_total metric", c.expiredKeys);
  one("redis_evicted_keys_total", "counter", "evicted_keys_total metric", c.evictedKeys);
  one("redis_net_input_bytes_total", "counter", "net_input_bytes_total metric", c.inputBytes);
  one("redis_net_output_bytes_total", "counter", "net_output_bytes_total metric", c.outputBytes);
  one("redis_errors_total", "counter", "total_error_replies metric", c.errorReplies);
  one("redis_memory_used_bytes", "gauge", "memory_used_bytes metric", c.usedMemory);
  one("redis_memory_used_peak_bytes", "gauge", "memory_used_peak_bytes metric", c.usedMemoryPeak);
  one("redis_memory_max_bytes", "gauge", "memory_max_bytes metric", c.maxMemory);
  // Persistence state, as redis_exporter names INFO persistence's fields.
  one(
    "redis_rdb_changes_since_last_save",
    "gauge",
    "rdb_changes_since_last_save metric",
    c.rdbChangesSinceLastSave,
  );
  one(
    "redis_rdb_bgsave_in_progress",
    "gauge",
    "rdb_bgsave_in_progress metric",
    c.rdbBgsaveInProgress,
  );
  one(
    "redis_rdb_last_save_timestamp_seconds",
    "gauge",
    "rdb_last_save_time metric",
    c.rdbLastSaveTime,
  );
  one("redis_aof_enabled", "gauge", "aof_enabled metric", c.aofEnabled);
  one(
    "redis_aof_last_write_status",
    "gauge",
    "aof_last_write_status metric (1 ok)",
    c.aofLastWriteOk,
  );

  const stats = [...src.commandStats()];
  family("redis_commands_total", "counter", "Total number of calls per command");
  for (const [cmd, calls] of stats) out.push(`redis_commands_total{cmd="${esc(cmd)}"} ${calls}`);
  family(
    "redis_commands_duration_seconds_total",
    "counter",
    "Total amount of time in seconds spent per command",
  );
  for (const [cmd, , usec] of stats) {
    out.push(`redis_commands_duration_seconds_total{cmd="${esc(cmd)}"} ${num(usec / 1e6)}`);
  }

  const dbs = [...src.keyspace()];
  family("redis_db_keys", "gauge", "Total number of keys by DB");
  for (const [db, keys] of dbs) out.push(`redis_db_keys{db="db${db}"} ${keys}`);
  family("redis_db_keys_expiring", "gauge", "Total number of expiring keys by DB");
  for (const [db, , exp] of dbs) out.push(`redis_db_keys_expiring{db="db${db}"} ${exp}`);

  family(
    "imds_event_loop_lag_seconds",
    "histogram",
    "How late a 100 ms timer fired: time the event loop was busy",
  );
  LAG_BUCKETS.forEach((le, i) => {
    out.push(`imds_event_loop_lag_seconds_bucket{le="${le}"} ${lag.counts[i]}`);
  });
  out.push(`imds_event_loop_lag_seconds_bucket{le="+Inf"} ${lag.count}`);
  out.push(`imds_event_loop_lag_seconds_sum ${num(lag.sum)}`);
  out.push(`imds_event_loop_lag_seconds_count ${lag.count}`);
  return `${out.join("\n")}\n`;
}

// ---- adapter and listener -----------------------------------------------------------------

/** The parts of the Server the metrics read (structural: no import of the Server class). */
export interface ServerView {
  readonly startedAt: number;
  readonly usedMemoryPeak: number;
  readonly clients: { readonly size: number };
  readonly config: { int(name: string): number };
  readonly stats: {
    readonly totalConnections: number;
    readonly rejectedConnections: number;
    readonly totalCommands: number;
    readonly inputBytes: number;
    readonly outputBytes: number;
    readonly errorReplies: number;
  };
  readonly keyspace: {
    readonly expiredKeys: number;
    readonly hits: number;
    readonly misses: number;
    readonly dbs: readonly { readonly count: number; readonly ttlCount: number }[];
  };
  readonly evictor: { readonly evictedKeys: number };
  /** INFO persistence's rdb_* fields (src/persistence/snapshots.ts) and the AOF's state. */
  readonly snapshots: { infoFields(): [string, string | number][] };
  readonly aof: { readonly enabled: boolean; readonly writeError: string | null };
  /** INFO commandstats lines: ["cmdstat_get", "calls=3,usec=12,..."]. */
  readonly commands: { statLines(): [string, string][] };
  /** Refreshes and returns used_memory (as INFO does). */
  updateMemoryStats(): number;
}

export function serverSource(s: ServerView): MetricsSource {
  return {
    *commandStats() {
      for (const [k, v] of s.commands.statLines()) {
        const calls = /calls=(\d+)/.exec(v);
        const usec = /usec=(\d+)/.exec(v);
        yield [k.slice("cmdstat_".length), Number(calls?.[1] ?? 0), Number(usec?.[1] ?? 0)];
      }
    },
    counters() {
      const st = s.stats;
      return {
        uptimeSeconds: Math.floor((Date.now() - s.startedAt) / 1000),
        connectedClients: s.clients.size,
        maxClients: s.config.int("maxclients"),
        totalConnections: st.totalConnections,
        rejectedConnections: st.rejectedConnections,
        totalCommands: st.totalCommands,
        keyspaceHits: s.keyspace.hits,
        keyspaceMisses: s.keyspace.misses,
        expiredKeys: s.keyspace.expiredKeys,
        evictedKeys: s.evictor.evictedKeys,
        inputBytes: st.inputBytes,
        outputBytes: st.outputBytes,
        errorReplies: st.errorReplies,
        usedMemory: s.updateMemoryStats(),
        usedMemoryPeak: s.usedMemoryPeak,
        maxMemory: s.config.int("maxmemory"),
        ...persistence(s),
      };
    },
    *keyspace() {
      let i = 0;
      for (const t of s.keyspace.dbs) yield [i++, t.count, t.ttlCount];
    },
  };
}

export interface MetricsListener {
  readonly host: string;
  readonly port: number;
  stop(): void;
}

/**
 * Serve /metrics on host:port (port 0 picks a free one). Throws with Redis-like text when the
 * port cannot be bound. Everything else answers 404.
 */
export function startMetrics(src: MetricsSource, host: string, port: number): MetricsListener {
  const lag = new LagHistogram();
  let http: HttpServer<undefined>;
  try {
    http = Bun.serve({
      hostname: host,
      port,
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path !== "/metrics") return new Response("imds: see /metrics\n", { status: 404 });
        return new Response(renderMetrics(src, lag), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      },
    });
  } catch (e) {
    const err = e as Error & { code?: string };
    const why = err.code === "EADDRINUSE" ? "bind: Address already in use" : err.message;
    throw new Error(`Could not create metrics HTTP listener ${host}:${port}: ${why}`);
  }
  lag.start();
  return {
    host,
    port: http.port ?? port,
    stop() {
      lag.stop();
      http.stop(true);
    },
  };
}

/** The persistence counters from the snapshot code's INFO fields and the AOF's state. */
function persistence(
  s: ServerView,
): Pick<
  MetricsCounters,
  | "rdbChangesSinceLastSave"
  | "rdbBgsaveInProgress"
  | "rdbLastSaveTime"
  | "aofEnabled"
  | "aofLastWriteOk"
> {
  const rdb = new Map(s.snapshots.infoFields());
  const num = (k: string) => Number(rdb.get(k) ?? 0);
  return {
    rdbChangesSinceLastSave: num("rdb_changes_since_last_save"),
    rdbBgsaveInProgress: num("rdb_bgsave_in_progress"),
    rdbLastSaveTime: num("rdb_last_save_time"),
    aofEnabled: s.aof.enabled ? 1 : 0,
    aofLastWriteOk: s.aof.writeError === null ? 1 : 0,
  };
}
