// The server's observability: SLOWLOG, LATENCY, MONITOR and MEMORY USAGE/STATS behind the
// narrow interface the commands use (src/commands/observe.ts), plus the timing rule that
// decides which commands get their own clock reads (docs/COMMANDS.md, "Timing rule").

import type { ClientSession } from "../commands/context.ts";
import type { Observability } from "../commands/observe.ts";
import { BATCH_IDS, CMD_FAST, CMD_SKIP_SLOWLOG, type CommandSpec } from "../commands/table.ts";
import type { Config } from "../config.ts";
import { memoryUsageOf } from "../store/objects.ts";
import { ROW_BYTES, TYPE_STRING } from "../store/table.ts";
import type { Client } from "./client.ts";
import { LatencyMonitor } from "./latency.ts";
import { isRedacted, type MonitorSink, Monitors } from "./monitor.ts";
import type { Server } from "./server.ts";
import { SlowLog } from "./slowlog.ts";

/**
 * Below this threshold (µs) every command is timed on its own: a run of a few dozen fast
 * commands may take that long, so a run's total could not clear them.
 */
export const TIME_EACH_BELOW_US = 1000;
/** While any threshold is on, an untimed run is closed after this many commands. */
export const RUN_CAP = 64;
/** Hash index bytes per key: 8 B slots (hash + entry id), 1/2 to 3/4 full: the emptiest case (docs/STORE.md). */
const INDEX_BYTES_PER_KEY = 16;

export class Observer implements Observability {
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  readonly monitors = new Monitors();
  /** Time every command on its own (the threshold is under TIME_EACH_BELOW_US). */
  timeEach = false;
  /** Time the commands not flagged `fast` on their own (a threshold is on). */
  timeSlow = false;
  /**
   * The server's per-command test, one AND and one compare: a command is timed on its own iff
   * (flags & timedMask) === timedWant. Nothing timed: 0/1; every command: 0/0; the commands
   * not flagged fast: CMD_FAST/0.
   */
  timedMask = 0;
  timedWant = 1;
  /** The smallest threshold in µs (Infinity: none): a timed command at or over it is looked at. */
  slowUs = Number.POSITIVE_INFINITY;
  /** Runs of fast commands that reached the threshold (their commands are not in SLOWLOG). */
  slowRuns = 0;
  /** latency-tracking-info-percentiles. */
  percentiles: number[] = [50, 99, 99.9];
  private readonly sinks = new Map<number, MonitorSink>();

  constructor(private readonly server: Server) {
    server.commands.stats.onSlowRun = (us) => this.slowRun(us);
  }

  /** Read the options (Server.applyConfig). */
  configure(c: Config): void {
    this.slowlog.slowerThan = c.int("slowlog-log-slower-than");
    this.slowlog.maxLen = c.int("slowlog-max-len");
    this.latency.configure(c.int("latency-monitor-threshold"));
    const stats = this.server.commands.stats;
    stats.tracking = c.bool("latency-tracking");
    this.percentiles = c
      .get("latency-tracking-info-percentiles")
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    const slow = this.slowlog.slowerThan >= 0 ? this.slowlog.slowerThan : Number.POSITIVE_INFINITY;
    const lat =
      this.latency.thresholdMs > 0 ? this.latency.thresholdMs * 1000 : Number.POSITIVE_INFINITY;
    this.slowUs = Math.min(slow, lat);
    this.timeSlow = this.slowUs !== Number.POSITIVE_INFINITY;
    this.timeEach = this.slowUs < TIME_EACH_BELOW_US;
    this.timedMask = this.timeSlow && !this.timeEach ? CMD_FAST : 0;
    this.timedWant = this.timeSlow ? 0 : 1;
    stats.slowRunUs = this.timeSlow ? this.slowUs : Number.POSITIVE_INFINITY;
    stats.runCap = this.timeSlow ? RUN_CAP : BATCH_IDS;
  }

  stop(): void {
    this.latency.stop();
  }

  /** A timed command took `us` >= slowUs (Redis's call(): latency sample, then slowlog). */
  slowCommand(c: Client, spec: CommandSpec, us: number): void {
    const ms = Math.floor(us / 1000);
    this.latency.addIfNeeded((spec.flags & CMD_FAST) !== 0 ? "fast-command" : "command", ms);
    const sl = this.slowlog;
    if (sl.slowerThan < 0 || us < sl.slowerThan || (spec.flags & CMD_SKIP_SLOWLOG) !== 0) return;
    const argv = c.ctx.argv;
    sl.push(argv, us, c.addr, c.name, (i) => isRedacted(spec.name, argv, i));
  }

  /**
   * A run of untimed (fast) commands reached the smallest threshold (docs: "Timing rule"): its
   * time goes to LATENCY's "fast-command" (exact for a run of one command, else an upper bound
   * for its slowest); SLOWLOG cannot name the command (its arguments are gone).
   */
  private slowRun(us: number): void {
    this.latency.addIfNeeded("fast-command", Math.floor(us / 1000));
    this.slowRuns++;
  }

  /** Feed an executed command to the monitors (the server checks monitors.active first). */
  monitorFeed(c: Client, spec: CommandSpec): void {
    this.monitors.feed(c.ctx.db, c.addr, spec.name, c.ctx.argv);
  }

  // ---- Observability (src/commands/observe.ts) --------------------------------------------

  startMonitor(session: ClientSession): boolean {
    const c = this.server.clients.get(session.id);
    if (c === undefined || c.monitor) return false;
    c.monitor = true;
    const sink: MonitorSink = {
      get closed() {
        return c.closed;
      },
      write: (line) => c.out.ascii(line),
      flush: () => c.flush(),
    };
    this.sinks.set(c.id, sink);
    this.monitors.add(sink);
    return true;
  }

  /** The client left monitor mode (RESET) or closed. */
  stopMonitor(c: Client): void {
    c.monitor = false;
    const sink = this.sinks.get(c.id);
    if (sink === undefined) return;
    this.sinks.delete(c.id);
    this.monitors.remove(sink);
  }

  /** MEMORY USAGE: the key's row, its block and its structure object (per-type hook). */
  memoryUsage(db: number, entry: number, samples: number): number {
    const t = this.server.keyspace.dbs[db]!;
    // The key's row of columns plus its index slots, and its
    // arena block (key and string value); not the table's spare capacity (Redis counts the
    // dict entry, not the dict's free buckets).
    let n = ROW_BYTES + INDEX_BYTES_PER_KEY + t.capacity(entry);
    const type = t.type[entry]!;
    if (type !== TYPE_STRING) {
      const obj = t.objs[entry];
      const hook = memoryUsageOf.get(type);
      if (hook !== undefined) n += hook(obj, samples);
      else n += sizeOf(obj);
    }
    return n;
  }

  memoryStats(): [string, number | [string, number][]][] {
    const s = this.server;
    const used = s.updateMemoryStats();
    const ks = s.keyspace;
    const dataset = ks.usedBytes();
    const overhead = s.evictor.otherBytes;
    let keys = 0;
    const out: [string, number | [string, number][]][] = [
      ["peak.allocated", s.usedMemoryPeak],
      ["total.allocated", used],
      ["startup.allocated", 0],
      ["replication.backlog", 0],
      ["clients.slaves", 0],
      ["clients.normal", overhead],
      ["cluster.links", 0],
      ["aof.buffer", 0],
      ["lua.caches", 0],
      ["functions.caches", 0],
    ];
    ks.dbs.forEach((t, i) => {
      keys += t.count;
      if (t.count === 0) return;
      out.push([
        `db.${i}`,
        [
          ["overhead.hashtable.main", t.memoryBytes()],
          ["overhead.hashtable.expires", 0],
        ],
      ]);
    });
    const rss = process.memoryUsage.rss();
    const held = ks.heldBytes() + overhead;
    out.push(
      ["overhead.total", overhead],
      ["keys.count", keys],
      ["keys.bytes-per-key", keys === 0 ? 0 : Math.floor(dataset / keys)],
      ["dataset.bytes", dataset],
      ["dataset.percentage", used === 0 ? 0 : (dataset / used) * 100],
      ["peak.percentage", s.usedMemoryPeak === 0 ? 0 : (used / s.usedMemoryPeak) * 100],
      ["allocator.allocated", used],
      ["allocator.active", held],
      ["allocator.resident", held],
      ["allocator-fragmentation.ratio", held / Math.max(1, used)],
      ["allocator-fragmentation.bytes", held - used],
      ["allocator-rss.ratio", rss / Math.max(1, held)],
      ["allocator-rss.bytes", rss - held],
      ["rss-overhead.ratio", 1],
      ["rss-overhead.bytes", 0],
      ["fragmentation", held / Math.max(1, used)],
      ["fragmentation.bytes", held - used],
    );
    return out;
  }

  usedMemory(): number {
    return this.server.updateMemoryStats();
  }
}

function sizeOf(o: unknown): number {
  const m = (o as { memoryBytes?: () => number } | undefined)?.memoryBytes;
  return typeof m === "function" ? m.call(o) : 0;
}
