// INFO: a registry of sections, each a list of field providers, rendered in
// Redis 7.0's order and format ("# Server\r\nfield:value\r\n...", sections
// separated by an empty line). Other parts of imds add their own fields:
//
//   import { addInfoFields } from "../server/info.ts";
//   addInfoFields("memory", (s) => [["used_memory_dataset", n], ...]);
//
// A later provider's field with the same name replaces the earlier one in
// place, so a subsystem can refine a placeholder (e.g. persistence fields).

import { arch, platform, release, totalmem } from "node:os";
import { basename, resolve } from "node:path";
import type { CommandSpec } from "../commands/table.ts";
import { bytesToHuman } from "../store/memory.ts";
import type { Server } from "./server.ts";

export type InfoValue = string | number;
export type InfoFields = (server: Server) => [string, InfoValue][];

interface Section {
  name: string;
  title: string;
  /** Part of `INFO` / `INFO default` (else only `all` / `everything` / by name). */
  inDefault: boolean;
  /** Part of `INFO all` (`everything` has every section). */
  inAll: boolean;
  providers: InfoFields[];
}

const sections: Section[] = [];

/** Declare a section; the order of declaration is the order of output. */
export function defineInfoSection(
  name: string,
  title: string,
  inDefault = true,
  inAll = true,
): void {
  if (sections.some((s) => s.name === name)) throw new Error(`INFO section ${name} defined twice`);
  sections.push({ name, title, inDefault, inAll, providers: [] });
}

export function addInfoFields(section: string, fields: InfoFields): void {
  const s = sections.find((x) => x.name === section);
  if (s === undefined) throw new Error(`INFO section ${section} is not defined`);
  s.providers.push(fields);
}

/** The sections INFO prints for these (lowercase) arguments, in output order. */
function selected(args: readonly string[]): Section[] {
  if (args.length === 0) return sections.filter((s) => s.inDefault);
  const want = new Set(args);
  if (want.has("everything")) return sections;
  return sections.filter(
    (s) => want.has(s.name) || (want.has("all") && s.inAll) || (want.has("default") && s.inDefault),
  );
}

/** The INFO text for the given section arguments (already lowercased). */
export function renderInfo(server: Server, args: readonly string[]): string {
  const parts: string[] = [];
  for (const s of selected(args)) {
    const fields = new Map<string, InfoValue>();
    for (const p of s.providers) for (const [k, v] of p(server)) fields.set(k, v);
    let text = `# ${s.title}\r\n`;
    for (const [k, v] of fields) text += `${k}:${v}\r\n`;
    parts.push(text);
  }
  return parts.join("\r\n");
}

function randomHex40(): string {
  const b = new Uint8Array(20);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString("hex");
}

/** Identity of this process, fixed at start (INFO server run_id, replication replid). */
export const RUN_ID = randomHex40();
const REPL_ID = randomHex40();

import { IMDS_VERSION, REDIS_VERSION } from "../version.ts";

export { IMDS_VERSION, REDIS_VERSION };

// ---- ops/sec sampling (instantaneous_ops_per_sec), fed by the server cron ----

const SAMPLES = 16;

/** One server's rate samples (instantaneous_*), fed by its cron. */
export class RateSampler {
  readonly ops = new Float64Array(SAMPLES);
  readonly input = new Float64Array(SAMPLES);
  readonly output = new Float64Array(SAMPLES);
  private at = 0;
  private lastMs = 0;
  private lastOps = 0;
  private lastIn = 0;
  private lastOut = 0;

  /** Called from serverCron; samples at most every 100 ms, as Redis. */
  sample(now: number, ops: number, input: number, output: number): void {
    if (now - this.lastMs < 100) return;
    if (this.lastMs !== 0) {
      const secs = (now - this.lastMs) / 1000;
      const i = this.at++ % SAMPLES;
      this.ops[i] = Math.max(0, ops - this.lastOps) / secs;
      this.input[i] = Math.max(0, input - this.lastIn) / secs;
      this.output[i] = Math.max(0, output - this.lastOut) / secs;
    }
    this.lastMs = now;
    this.lastOps = ops;
    this.lastIn = input;
    this.lastOut = output;
  }

  mean(a: Float64Array): number {
    const n = Math.min(this.at, SAMPLES);
    if (n === 0) return 0;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[i]!;
    return sum / n;
  }
}

// ---- the core sections ------------------------------------------------------

defineInfoSection("server", "Server");
defineInfoSection("clients", "Clients");
defineInfoSection("memory", "Memory");
defineInfoSection("persistence", "Persistence");
defineInfoSection("stats", "Stats");
defineInfoSection("replication", "Replication");
defineInfoSection("cpu", "CPU");
defineInfoSection("modules", "Modules");
defineInfoSection("commandstats", "Commandstats", false);
defineInfoSection("errorstats", "Errorstats");
defineInfoSection("latencystats", "Latencystats", false); // ops2
defineInfoSection("cluster", "Cluster");
defineInfoSection("keyspace", "Keyspace");

addInfoFields("commandstats", (s) => s.commands.statLines());

// ops2: latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=.. (latency-tracking yes), from the
// command histograms (src/commands/histogram.ts); the percentiles are printed as Redis's %f
// trimmed of trailing zeros.
addInfoFields("latencystats", (s) => {
  const st = s.commands.stats;
  if (!st.tracking) return [];
  st.endBatch();
  const h = st.histograms;
  const pcts = s.observe.percentiles;
  const out: [string, string][] = [];
  const add = (spec: CommandSpec) => {
    if (h.count(spec.statId) === 0) return;
    const parts = pcts.map((p) => `p${trimDouble(p)}=${h.percentileUs(spec.statId, p).toFixed(3)}`);
    out.push([`latency_percentiles_usec_${spec.name}`, parts.join(",")]);
  };
  for (const spec of s.commands.all) {
    add(spec);
    for (const sub of spec.subcommands ?? []) add(sub);
  }
  return out;
});

function trimDouble(p: number): string {
  return p.toFixed(6).replace(/\.?0+$/, "");
}

addInfoFields("server", (s) => {
  const now = Date.now();
  const uptime = Math.floor((now - s.startedAt) / 1000);
  return [
    ["redis_version", REDIS_VERSION],
    ["redis_git_sha1", "00000000"],
    ["redis_git_dirty", 0],
    ["redis_build_id", "0"],
    ["redis_mode", "standalone"],
    ["os", osName()],
    ["arch_bits", 64],
    ["monotonic_clock", "POSIX clock_gettime"],
    ["multiplexing_api", platform() === "linux" ? "epoll" : "kqueue"],
    ["atomicvar_api", "c11-builtin"],
    ["gcc_version", "0.0.0"],
    ["process_id", process.pid],
    ["process_supervised", "no"],
    ["run_id", RUN_ID],
    ["tcp_port", s.port],
    ["server_time_usec", Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ["uptime_in_seconds", uptime],
    ["uptime_in_days", Math.floor(uptime / 86400)],
    ["hz", s.config.int("hz")],
    ["configured_hz", s.config.int("hz")],
    ["lru_clock", Math.floor(now / 1000) & ((1 << 24) - 1)],
    ["executable", process.execPath],
    ["config_file", configFile()],
    ["io_threads_active", 0],
    ["imds_version", IMDS_VERSION],
    ["bun_version", Bun.version],
  ];
});

addInfoFields("clients", (s) => {
  let maxIn = 0;
  let maxOut = 0;
  for (const c of s.clients.values()) {
    maxIn = Math.max(maxIn, c.queryBufferBytes);
    maxOut = Math.max(maxOut, c.out.pending);
  }
  return [
    ["connected_clients", s.clients.size],
    ["cluster_connections", 0],
    ["maxclients", s.config.int("maxclients")],
    ["client_recent_max_input_buffer", maxIn],
    ["client_recent_max_output_buffer", maxOut],
    ["blocked_clients", s.blocking.count],
    ["tracking_clients", 0],
    ["clients_in_timeout_table", s.blocking.withDeadline],
  ];
});

addInfoFields("memory", (s) => {
  // used_memory is what counts against maxmemory (src/store/memory.ts, docs/EXPIRY.md).
  const used = s.updateMemoryStats();
  const dataset = s.keyspace.usedBytes();
  const overhead = s.evictor.otherBytes;
  const peak = s.usedMemoryPeak;
  const rss = process.memoryUsage.rss();
  const maxmemory = s.config.int("maxmemory");
  const held = s.keyspace.heldBytes() + s.evictor.otherBytes;
  return [
    ["used_memory", used],
    ["used_memory_human", bytesToHuman(used)],
    ["used_memory_rss", rss],
    ["used_memory_rss_human", bytesToHuman(rss)],
    ["used_memory_peak", peak],
    ["used_memory_peak_human", bytesToHuman(peak)],
    ["used_memory_peak_perc", `${((used / Math.max(1, peak)) * 100).toFixed(2)}%`],
    ["used_memory_overhead", overhead],
    ["used_memory_startup", 0],
    ["used_memory_dataset", dataset],
    ["used_memory_dataset_perc", `${((dataset / Math.max(1, used)) * 100).toFixed(2)}%`],
    // ops2: Redis 7.0's allocator figures, from the store's arena (held = from the OS).
    ["allocator_allocated", used],
    ["allocator_active", held],
    ["allocator_resident", held],
    ["total_system_memory", totalmem()],
    ["total_system_memory_human", bytesToHuman(totalmem())],
    // Scripting refines these (its own addInfoFields); placeholders keep Redis's order.
    ["used_memory_lua", 0],
    ["used_memory_vm_eval", 0],
    ["used_memory_lua_human", "0B"],
    ["used_memory_scripts_eval", 0],
    ["number_of_cached_scripts", 0],
    ["number_of_functions", 0],
    ["number_of_libraries", 0],
    ["used_memory_vm_functions", 0],
    ["used_memory_vm_total", 0],
    ["used_memory_vm_total_human", "0B"],
    ["used_memory_functions", 0],
    ["used_memory_scripts", 0],
    ["used_memory_scripts_human", "0B"],
    ["maxmemory", maxmemory],
    ["maxmemory_human", bytesToHuman(maxmemory)],
    ["maxmemory_policy", s.config.get("maxmemory-policy")],
    ["allocator_frag_ratio", (held / Math.max(1, used)).toFixed(2)],
    ["allocator_frag_bytes", held - used],
    ["allocator_rss_ratio", "1.00"],
    ["allocator_rss_bytes", 0],
    // What the process holds beyond the store: Bun/JSC's heap, JIT and code (~40 MB at start).
    ["rss_overhead_ratio", (rss / Math.max(1, held)).toFixed(2)],
    ["rss_overhead_bytes", rss - held],
    // Redis's definition: process RSS over used_memory. At small data sizes it is dominated by
    // the runtime's fixed ~40 MB (an empty server reads 1000+); allocator_frag_ratio is the
    // store's own part (free space in arena pages, which compaction bounds).
    ["mem_fragmentation_ratio", (rss / Math.max(1, used)).toFixed(2)],
    ["mem_fragmentation_bytes", rss - used],
    ["mem_not_counted_for_evict", 0],
    ["mem_replication_backlog", 0],
    ["mem_total_replication_buffers", 0],
    ["mem_clients_slaves", 0],
    ["mem_clients_normal", overhead],
    ["mem_cluster_links", 0],
    ["mem_aof_buffer", 0],
    ["mem_allocator", "imds-arena"],
    ["active_defrag_running", 0],
    ["lazyfree_pending_objects", s.keyspace.lazyFreePending],
    ["lazyfreed_objects", s.keyspace.lazyFreed],
  ];
});

// Persistence refines these (its own addInfoFields); every Redis 7.0 field is here in order.
addInfoFields("persistence", (s) => [
  ["loading", 0],
  ["async_loading", 0],
  ["current_cow_peak", 0],
  ["current_cow_size", 0],
  ["current_cow_size_age", 0],
  ["current_fork_perc", "0.00"],
  ["current_save_keys_processed", 0],
  ["current_save_keys_total", 0],
  ...s.snapshots.infoFields(),
  ["aof_enabled", s.config.bool("appendonly") ? 1 : 0],
  ["aof_rewrite_in_progress", 0],
  ["aof_rewrite_scheduled", 0],
  ["aof_last_rewrite_time_sec", -1],
  ["aof_current_rewrite_time_sec", -1],
  ["aof_last_bgrewrite_status", "ok"],
  ["aof_rewrites", 0],
  ["aof_rewrites_consecutive_failures", 0],
  ["aof_last_write_status", "ok"],
  ["aof_last_cow_size", 0],
  ["module_fork_in_progress", 0],
  ["module_fork_last_cow_size", 0],
]);

// Redis 7.0's persistence fields, in its order; the AOF's from src/persistence/aof.ts.
addInfoFields("persistence", (s) => {
  const aof = s.aof;
  const out: [string, InfoValue][] = [
    // (the rdb_* fields come from the snapshot provider above, in Redis's order)
    ["loading", aof.loading ? 1 : 0],
    ["aof_enabled", aof.enabled ? 1 : 0],
    ["aof_rewrite_in_progress", aof.rewriting ? 1 : 0],
    ["aof_rewrite_scheduled", aof.rewriteScheduled ? 1 : 0],
    [
      "aof_last_rewrite_time_sec",
      aof.lastRewriteMs < 0 ? -1 : Math.round(aof.lastRewriteMs / 1000),
    ],
    ["aof_current_rewrite_time_sec", aof.currentRewriteSec()],
    ["aof_last_bgrewrite_status", aof.lastBgrewriteOk ? "ok" : "err"],
    ["aof_rewrites", aof.rewrites],
    ["aof_rewrites_consecutive_failures", aof.lastBgrewriteOk ? 0 : 1],
    ["aof_last_write_status", aof.writeError === null ? "ok" : "err"],
    ["aof_last_cow_size", aof.lastCowBytes],
    ["module_fork_in_progress", 0],
    ["module_fork_last_cow_size", 0],
  ];
  if (aof.on) {
    out.push(
      ["aof_current_size", aof.currentSize],
      ["aof_base_size", aof.baseSize],
      ["aof_pending_rewrite", 0],
      ["aof_buffer_length", aof.bufferLength],
      ["aof_pending_bio_fsync", 0],
      ["aof_delayed_fsync", aof.delayedFsync],
    );
  }
  if (aof.loading) {
    const elapsed = (Date.now() - aof.loadingStart) / 1000;
    const perc = aof.loadingTotal > 0 ? (aof.loadingLoaded / aof.loadingTotal) * 100 : 0;
    const eta =
      aof.loadingLoaded > 0 && elapsed > 0
        ? Math.round((aof.loadingTotal - aof.loadingLoaded) / (aof.loadingLoaded / elapsed))
        : 1;
    out.push(
      ["loading_start_time", Math.floor(aof.loadingStart / 1000)],
      ["loading_total_bytes", aof.loadingTotal],
      ["loading_rdb_used_mem", 0],
      ["loading_loaded_bytes", aof.loadingLoaded],
      ["loading_loaded_perc", perc.toFixed(2)],
      ["loading_eta_seconds", eta],
    );
  }
  return out;
});

/** INFO memory's Lua fields (Redis 7.0's names): the two Lua heaps, the caches' sizes. */
function scriptingMemory(s: Server): [string, string | number][] {
  const eng = s.scripts.engine;
  const mem = eng?.memory() ?? { eval: 0, functions: 0 };
  const libs = eng?.listLibraries() ?? [];
  const fns = libs.reduce((n, l) => n + l.functions.length, 0);
  return [
    ["used_memory_lua", mem.eval],
    ["used_memory_vm_eval", mem.eval],
    ["used_memory_lua_human", bytesToHuman(mem.eval)],
    ["number_of_cached_scripts", eng?.scriptCount ?? 0],
    ["number_of_functions", fns],
    ["number_of_libraries", libs.length],
    ["used_memory_vm_functions", mem.functions],
    ["used_memory_vm_total", mem.eval + mem.functions],
    ["used_memory_vm_total_human", bytesToHuman(mem.eval + mem.functions)],
  ];
}

addInfoFields("memory", (s) => scriptingMemory(s));

addInfoFields("stats", (s) => {
  const st = s.stats;
  return [
    ["total_connections_received", st.totalConnections],
    ["total_commands_processed", st.totalCommands],
    ["instantaneous_ops_per_sec", Math.round(s.rates.mean(s.rates.ops))],
    ["total_net_input_bytes", st.inputBytes],
    ["total_net_output_bytes", st.outputBytes],
    ["total_net_repl_input_bytes", 0],
    ["total_net_repl_output_bytes", 0],
    ["instantaneous_input_kbps", (s.rates.mean(s.rates.input) / 1024).toFixed(2)],
    ["instantaneous_output_kbps", (s.rates.mean(s.rates.output) / 1024).toFixed(2)],
    ["instantaneous_input_repl_kbps", "0.00"],
    ["instantaneous_output_repl_kbps", "0.00"],
    ["rejected_connections", st.rejectedConnections],
    ["sync_full", 0],
    ["sync_partial_ok", 0],
    ["sync_partial_err", 0],
    ["expired_keys", s.keyspace.expiredKeys],
    ["expired_stale_perc", s.expiry.stalePerc.toFixed(2)],
    ["expired_time_cap_reached_count", s.expiry.timeCapReached],
    ["expire_cycle_cpu_milliseconds", Math.round(s.expiry.cpuMs)],
    ["evicted_keys", s.evictor.evictedKeys],
    ["evicted_clients", 0],
    ["total_eviction_exceeded_time", 0],
    ["current_eviction_exceeded_time", 0],
    ["keyspace_hits", s.keyspace.hits],
    ["keyspace_misses", s.keyspace.misses],
    ["pubsub_channels", s.pubsub.channels.size],
    ["pubsub_patterns", s.pubsub.patterns.size],
    ["pubsubshard_channels", s.pubsub.shard.size],
    ["latest_fork_usec", 0],
    ["total_forks", 0],
    ["migrate_cached_sockets", 0],
    ["slave_expires_tracked_keys", 0],
    ["active_defrag_hits", 0],
    ["active_defrag_misses", 0],
    ["active_defrag_key_hits", 0],
    ["active_defrag_key_misses", 0],
    ["total_active_defrag_time", 0],
    ["current_active_defrag_time", 0],
    ["tracking_total_keys", 0],
    ["tracking_total_items", 0],
    ["tracking_total_prefixes", 0],
    ["unexpected_error_replies", 0],
    ["total_error_replies", st.errorReplies],
    ["dump_payload_sanitizations", 0],
    ["total_reads_processed", st.readsProcessed],
    ["total_writes_processed", st.writesProcessed],
    ["io_threaded_reads_processed", 0],
    ["io_threaded_writes_processed", 0],
    ["reply_buffer_shrinks", 0],
    ["reply_buffer_expands", 0],
  ];
});

// Redis lists error codes in lexicographic order (its errors table is a radix tree).
addInfoFields("errorstats", (s) =>
  [...s.stats.errorCodes.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]): [string, string] => [`errorstat_${code}`, `count=${n}`]),
);

addInfoFields("replication", () => [
  ["role", "master"],
  ["connected_slaves", 0],
  ["master_failover_state", "no-failover"],
  ["master_replid", REPL_ID],
  ["master_replid2", "0".repeat(40)],
  ["master_repl_offset", 0],
  ["second_repl_offset", -1],
  ["repl_backlog_active", 0],
  ["repl_backlog_size", 1048576],
  ["repl_backlog_first_byte_offset", 0],
  ["repl_backlog_histlen", 0],
]);

addInfoFields("cpu", () => {
  const u = process.cpuUsage();
  const sys = (u.system / 1e6).toFixed(6);
  const user = (u.user / 1e6).toFixed(6);
  return [
    ["used_cpu_sys", sys],
    ["used_cpu_user", user],
    ["used_cpu_sys_children", "0.000000"],
    ["used_cpu_user_children", "0.000000"],
    ["used_cpu_sys_main_thread", sys],
    ["used_cpu_user_main_thread", user],
  ];
});

addInfoFields("cluster", () => [["cluster_enabled", 0]]);

addInfoFields("keyspace", (s) => {
  const out: [string, InfoValue][] = [];
  const now = s.keyspace.now;
  s.keyspace.dbs.forEach((t, i) => {
    if (t.count === 0) return;
    // One pass over the expiry column (typed array; ~1 ms per million keys).
    let expires = 0;
    let ttlSum = 0;
    const at = t.expireAt;
    for (let e = 0; e < t.highWater; e++) {
      const x = at[e]!;
      if (x !== 0 && t.type[e] !== 0) {
        expires++;
        if (x > now) ttlSum += x - now;
      }
    }
    const avg = expires > 0 ? Math.floor(ttlSum / expires) : 0;
    out.push([`db${i}`, `keys=${t.count},expires=${expires},avg_ttl=${avg}`]);
  });
  return out;
});

/** The config file given on the start line (`bun src/main.ts path.conf ...`), or "". */
export function configFile(): string {
  const entry = basename(process.argv[1] ?? "");
  if (entry !== "main.ts" && entry !== "main.js") return ""; // not the server (e.g. a test)
  const first = process.argv[2];
  if (first === undefined || first.startsWith("--")) return "";
  return resolve(first);
}

/** "Linux 6.1.0 x86_64", as uname gives it to Redis. */
function osName(): string {
  const sys = platform() === "linux" ? "Linux" : platform() === "darwin" ? "Darwin" : platform();
  const machine = arch() === "x64" ? "x86_64" : arch() === "arm64" ? "aarch64" : arch();
  return `${sys} ${release()} ${machine}`;
}
