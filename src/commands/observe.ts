// Observability commands: SLOWLOG, LATENCY, MONITOR, MEMORY, with Redis 7.0's replies and error
// texts. They reach the server's logs and monitors through `c.server.observe` (Observability,
// implemented by src/server/observe.ts); the command histograms live in the command table.

import { helpReply } from "./connection.ts";
import type { ClientSession, SessionContext } from "./context.ts";
import { NOT_INT, SYNTAX } from "./errors.ts";
import { lookupPeek } from "./lookup.ts";
import { type CommandDef, type CommandSpec, cmd } from "./table.ts";

/** One SLOWLOG GET entry, as Redis's slowlog.c keeps it. */
export interface SlowLogEntry {
  id: number;
  /** Unix seconds. */
  time: number;
  /** Microseconds. */
  duration: number;
  argv: Uint8Array[];
  addr: string;
  name: string;
}

export interface SlowLogView {
  readonly length: number;
  latest(count: number): SlowLogEntry[];
  reset(): void;
}

export interface LatencySeriesView {
  readonly max: number;
  samples(): [number, number][];
  latest(): [number, number];
}

export interface LatencyView {
  readonly events: ReadonlyMap<string, LatencySeriesView>;
  reset(names: readonly string[]): number;
  graph(event: string, ts: LatencySeriesView): string;
  doctor(): string;
}

/** What these commands need from the server. */
export interface Observability {
  readonly slowlog: SlowLogView;
  readonly latency: LatencyView;
  /** latency-tracking-info-percentiles. */
  readonly percentiles: readonly number[];
  /** MONITOR: false if the client already is a monitor. */
  startMonitor(client: ClientSession): boolean;
  /** MEMORY USAGE of entry `entry` of database `db`. */
  memoryUsage(db: number, entry: number, samples: number): number;
  memoryStats(): [string, number | [string, number][]][];
  usedMemory(): number;
}

// ---- SLOWLOG ------------------------------------------------------------------------------

function slowlogGet(c: SessionContext): void {
  const a = c.argv;
  const log = c.server.observe.slowlog;
  let count = 10;
  if (a.count === 3) {
    // Redis gives the same error for a non-number and for a number below -1.
    const n = a.int(2);
    if (!Number.isInteger(n) || n < -1) {
      return c.reply.error("ERR count should be greater than or equal to -1");
    }
    count = n === -1 ? log.length : n;
  }
  const entries = log.latest(count);
  const r = c.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.array(6);
    r.int(e.id);
    r.int(e.time);
    r.int(e.duration);
    r.array(e.argv.length);
    for (const b of e.argv) r.bulk(b, 0, b.length);
    r.bulkStr(e.addr);
    r.bulkStr(e.name);
  }
}

const SLOWLOG_HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

// ---- LATENCY ------------------------------------------------------------------------------

function latencyLatest(c: SessionContext): void {
  const events = c.server.observe.latency.events;
  const r = c.reply;
  r.array(events.size);
  for (const [name, ts] of events) {
    const [time, ms] = ts.latest();
    r.array(4);
    r.bulkStr(name);
    r.int(time);
    r.int(ms);
    r.int(ts.max);
  }
}

function latencyHistory(c: SessionContext): void {
  const ts = c.server.observe.latency.events.get(c.argv.str(2));
  const s = ts === undefined ? [] : ts.samples();
  c.reply.array(s.length);
  for (const [time, ms] of s) {
    c.reply.array(2);
    c.reply.int(time);
    c.reply.int(ms);
  }
}

function latencyGraph(c: SessionContext): void {
  const lat = c.server.observe.latency;
  const name = c.argv.str(2);
  const ts = lat.events.get(name);
  if (ts === undefined) return c.reply.error(`ERR No samples available for event '${name}'`);
  c.reply.verbatim(lat.graph(name, ts));
}

function latencyReset(c: SessionContext): void {
  const names: string[] = [];
  for (let i = 2; i < c.argv.count; i++) names.push(c.argv.str(i));
  c.reply.int(c.server.observe.latency.reset(names));
}

function latencyDoctor(c: SessionContext): void {
  c.reply.verbatim(c.server.observe.latency.doctor());
}

/** One command's {calls, histogram_usec} (Redis's fillCommandCDF). */
function commandCdf(c: SessionContext, spec: CommandSpec): void {
  const h = c.server.commands.stats.histograms;
  const cdf = h.cdf(spec.statId);
  const r = c.reply;
  r.bulkStr(spec.name);
  r.map(2);
  r.bulkStr("calls");
  r.int(h.count(spec.statId));
  r.bulkStr("histogram_usec");
  r.map(cdf.length);
  for (const [us, n] of cdf) {
    r.int(us);
    r.int(n);
  }
}

/** LATENCY HISTOGRAM [command ...]: commands (and their subcommands) with a histogram. */
function latencyHistogram(c: SessionContext): void {
  const table = c.server.commands;
  const h = table.stats.histograms;
  const picked: CommandSpec[] = [];
  const seen = new Set<CommandSpec>();
  const take = (s: CommandSpec) => {
    if (h.count(s.statId) > 0 && !seen.has(s)) {
      seen.add(s);
      picked.push(s);
    }
  };
  const withSubs = (s: CommandSpec) => {
    take(s);
    for (const sub of s.subcommands ?? []) take(sub);
  };
  if (c.argv.count === 2) for (const s of table.all) withSubs(s);
  else {
    for (let i = 2; i < c.argv.count; i++) {
      const s = table.find(c.argv.str(i));
      if (s !== undefined) withSubs(s);
    }
  }
  c.reply.map(picked.length);
  for (const s of picked) commandCdf(c, s);
}

const LATENCY_HELP = [
  "DOCTOR",
  "    Return a human readable latency analysis report.",
  "GRAPH <event>",
  "    Return an ASCII latency graph for the <event> class.",
  "HISTORY <event>",
  "    Return time-latency samples for the <event> class.",
  "LATEST",
  "    Return the latest latency samples for all events.",
  "RESET [<event> ...]",
  "    Reset latency data of one or more <event> classes.",
  "    (default: reset all data for all event classes)",
  "HISTOGRAM [COMMAND ...]",
  "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
  "    If no commands are specified then all histograms are replied.",
];

// ---- MONITOR ------------------------------------------------------------------------------

function monitor(c: SessionContext): void {
  // A second MONITOR on a monitor connection is ignored without a reply, as Redis.
  if (c.server.observe.startMonitor(c.client)) c.reply.ok();
}

// ---- MEMORY -------------------------------------------------------------------------------

function memoryUsage(c: SessionContext): void {
  const a = c.argv;
  let samples = 5;
  for (let j = 3; j < a.count; j++) {
    if (a.is(j, "samples") && j + 1 < a.count) {
      const n = a.int(j + 1);
      if (!Number.isInteger(n)) return c.reply.error(NOT_INT);
      if (n < 0) return c.reply.error(SYNTAX);
      samples = n === 0 ? Number.MAX_SAFE_INTEGER : n;
      j++;
    } else return c.reply.error(SYNTAX);
  }
  const e = lookupPeek(c, 2);
  if (e < 0) return c.reply.nil();
  c.reply.int(c.server.observe.memoryUsage(c.db, e, samples));
}

function memoryStats(c: SessionContext): void {
  const stats = c.server.observe.memoryStats();
  const r = c.reply;
  r.map(stats.length);
  for (const [k, v] of stats) {
    r.bulkStr(k);
    if (typeof v === "number") {
      if (Number.isInteger(v)) r.int(v);
      else r.double(v);
    } else {
      r.map(v.length);
      for (const [k2, v2] of v) {
        r.bulkStr(k2);
        r.int(v2);
      }
    }
  }
}

function memoryDoctor(c: SessionContext): void {
  const used = c.server.observe.usedMemory();
  // Redis's "empty instance" threshold: 5 MB.
  c.reply.verbatim(
    used < 5 * 1024 * 1024
      ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
      : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
  );
}

const MEMORY_HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

function containerOnly(c: SessionContext): void {
  c.reply.error(`ERR wrong number of arguments for '${c.argv.str(0).toLowerCase()}' command`);
}

export const observeCommands: CommandDef[] = [
  cmd("slowlog", containerOnly, {
    subcommands: [
      cmd("slowlog|get", slowlogGet),
      cmd("slowlog|len", (c) => c.reply.int(c.server.observe.slowlog.length)),
      cmd("slowlog|reset", (c) => {
        c.server.observe.slowlog.reset();
        c.reply.ok();
      }),
      cmd("slowlog|help", (c) => helpReply(c, "SLOWLOG", SLOWLOG_HELP)),
    ],
  }),
  cmd("latency", containerOnly, {
    subcommands: [
      cmd("latency|latest", latencyLatest),
      cmd("latency|history", latencyHistory),
      cmd("latency|graph", latencyGraph),
      cmd("latency|reset", latencyReset),
      cmd("latency|doctor", latencyDoctor),
      cmd("latency|histogram", latencyHistogram),
      cmd("latency|help", (c) => helpReply(c, "LATENCY", LATENCY_HELP)),
    ],
  }),
  cmd("monitor", monitor),
  cmd("memory", containerOnly, {
    subcommands: [
      cmd("memory|usage", memoryUsage),
      cmd("memory|stats", memoryStats),
      cmd("memory|doctor", memoryDoctor),
      cmd("memory|malloc-stats", (c) =>
        c.reply.verbatim("Stats not supported for the current allocator"),
      ),
      cmd("memory|purge", (c) => c.reply.ok()),
      cmd("memory|help", (c) => helpReply(c, "MEMORY", MEMORY_HELP)),
    ],
  }),
];
