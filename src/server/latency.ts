// The latency monitor (LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR), as Redis 7.0's latency.c:
// per event a ring of 160 samples (one per second at most: a second sample in the same second
// keeps the larger latency) and the all-time maximum, in ms. Samples are added only when
// latency-monitor-threshold (ms) is non-zero and the latency reaches it.
//
// Events fed in imds: "command" and "fast-command" (slow commands, as Redis: by the CMD_FAST
// flag), and "imds-event-loop": how late a 10 ms timer fired, i.e. how long the event loop was
// blocked (a long command, a GC pause, a synchronous write). Redis has no such event (its
// closest, "while-blocked-cron", is a cron run while a script or load blocks); the name says it
// is imds's own.

export const LATENCY_TS_LEN = 160;
const GRAPH_COLS = 80;
export const EVENT_LOOP_EVENT = "imds-event-loop";
/** The stall probe's period (ms); it runs only while the monitor is on. */
export const PROBE_MS = 10;

export class LatencySeries {
  readonly time = new Float64Array(LATENCY_TS_LEN);
  readonly latency = new Float64Array(LATENCY_TS_LEN);
  idx = 0;
  max = 0;

  add(now: number, ms: number): void {
    if (ms > this.max) this.max = ms;
    const prev = (this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (this.time[prev] === now) {
      if (ms > this.latency[prev]!) this.latency[prev] = ms;
      return;
    }
    this.time[this.idx] = now;
    this.latency[this.idx] = ms;
    this.idx = (this.idx + 1) % LATENCY_TS_LEN;
  }

  /** [unix s, ms] pairs, oldest first. */
  samples(): [number, number][] {
    const out: [number, number][] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const i = (this.idx + j) % LATENCY_TS_LEN;
      if (this.time[i] === 0) continue;
      out.push([this.time[i]!, this.latency[i]!]);
    }
    return out;
  }

  latest(): [number, number] {
    const last = (this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    return [this.time[last]!, this.latency[last]!];
  }
}

export class LatencyMonitor {
  /** latency-monitor-threshold (ms); 0 = off. */
  thresholdMs = 0;
  /** Events in the order first seen (Redis: dict order). */
  readonly events = new Map<string, LatencySeries>();
  private probe: ReturnType<typeof setInterval> | null = null;
  private probeDue = 0;

  /** latencyAddSampleIfNeeded: `ms` is whole milliseconds (Redis divides µs by 1000). */
  addIfNeeded(event: string, ms: number): void {
    if (this.thresholdMs > 0 && ms >= this.thresholdMs) this.add(event, ms);
  }

  add(event: string, ms: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = new LatencySeries();
      this.events.set(event, ts);
    }
    ts.add(Math.floor(Date.now() / 1000), ms);
  }

  /** LATENCY RESET: the named events (all if none); returns how many existed. */
  reset(names: readonly string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }

  /** Start or stop the event-loop stall probe to match the threshold. */
  configure(thresholdMs: number): void {
    this.thresholdMs = thresholdMs;
    if (thresholdMs > 0 && this.probe === null) {
      this.probeDue = performance.now() + PROBE_MS;
      this.probe = setInterval(() => this.tick(), PROBE_MS);
      // The probe must not keep an embedded server's process alive.
      (this.probe as { unref?: () => void }).unref?.();
    } else if (thresholdMs === 0) this.stop();
  }

  stop(): void {
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.probeDue;
    this.probeDue = now + PROBE_MS;
    if (late >= 1) this.addIfNeeded(EVENT_LOOP_EVENT, Math.floor(late));
  }

  /** LATENCY GRAPH's text for an event (Redis's latencyCommandGenSparkeline). */
  graph(event: string, ts: LatencySeries): string {
    const now = Math.floor(Date.now() / 1000);
    const seq: { value: number; label: string }[] = [];
    let min = 0;
    let max = 0;
    for (const [t, ms] of ts.samples()) {
      if (seq.length === 0) min = max = ms;
      else {
        if (ms > max) max = ms;
        if (ms < min) min = ms;
      }
      const elapsed = now - t;
      const label =
        elapsed < 60
          ? `${elapsed}s`
          : elapsed < 3600
            ? `${Math.floor(elapsed / 60)}m`
            : elapsed < 86400
              ? `${Math.floor(elapsed / 3600)}h`
              : `${Math.floor(elapsed / 86400)}d`;
      seq.push({ value: ms, label });
    }
    let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
    out += `${"-".repeat(GRAPH_COLS)}\n`;
    for (let j = 0; j < seq.length; j += GRAPH_COLS) {
      if (j !== 0) out += "\n";
      out += sparkline(seq, min, max, 4, j, Math.min(GRAPH_COLS, seq.length - j));
    }
    return out;
  }

  /** LATENCY DOCTOR's report (a shorter form of Redis's createLatencyReport). */
  doctor(): string {
    if (this.events.size === 0 && this.thresholdMs === 0) {
      return `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n`;
    }
    if (this.events.size === 0) {
      return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep tonight.\n";
    }
    let out =
      "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    let k = 1;
    let commands = false;
    let loop = false;
    for (const [event, ts] of this.events) {
      const s = ts.samples();
      if (s.length === 0) continue;
      const avg = s.reduce((a, [, ms]) => a + ms, 0) / s.length;
      const mdev = s.reduce((a, [, ms]) => a + Math.abs(ms - avg), 0) / s.length;
      const period = s.length > 1 ? (s[s.length - 1]![0] - s[0]![0]) / (s.length - 1) : 0;
      out += `${k++}. ${event}: ${s.length} latency spikes (average ${Math.floor(avg)}ms, mean deviation ${Math.floor(mdev)}ms, period ${period.toFixed(2)} sec). Worst all time event ${ts.max}ms.\n`;
      if (event === "command" || event === "fast-command") commands = true;
      if (event === EVENT_LOOP_EVENT) loop = true;
    }
    out += "\nI have a few advices for you:\n\n";
    if (commands) {
      out +=
        "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n";
      out +=
        "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n";
    }
    if (loop) {
      out +=
        "- The event loop was blocked (imds-event-loop): besides slow commands, look for garbage collection pauses (large numbers of short-lived objects in an embedding application) and a loaded machine.\n";
    }
    return out;
  }
}

/** Redis's sparklineRenderRange with SPARKLINE_FILL (sparkline.c). */
function sparkline(
  seq: { value: number; label: string }[],
  min: number,
  max: number,
  rows: number,
  offset: number,
  len: number,
): string {
  const charset = "_o#";
  const steps = charset.length * rows;
  let relmax = max - min;
  if (relmax === 0) relmax = 1;
  const marginTop = 1;
  let out = "";
  for (let row = 0; ; row++) {
    let loop = false;
    const chars = new Array<string>(len).fill(" ");
    for (let j = 0; j < len; j++) {
      const s = seq[j + offset]!;
      let step = Math.trunc(Math.trunc((s.value - min) * steps) / relmax);
      if (step < 0) step = 0;
      if (step >= steps) step = steps - 1;
      if (row < rows) {
        const ci = step - (rows - row - 1) * charset.length;
        loop = true;
        if (ci >= 0 && ci < charset.length) chars[j] = charset[ci]!;
        else if (ci >= charset.length) chars[j] = "|";
      } else {
        if (row - rows < marginTop) {
          loop = true;
          break;
        }
        const lc = row - rows - marginTop;
        if (s.label.length > lc) {
          loop = true;
          chars[j] = s.label[lc]!;
        }
      }
    }
    if (!loop) break;
    out += `${chars.join("")}\n`;
  }
  return out;
}
