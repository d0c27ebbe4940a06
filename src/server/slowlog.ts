// SLOWLOG: the last slowlog-max-len commands that took at least slowlog-log-slower-than µs,
// newest first, with Redis 7.0's entry shape (slowlog.c): id, unix time, duration (µs),
// arguments (at most 32: the last says "... (N more arguments)"; a string over 128 bytes keeps
// 128 and says "... (N more bytes)"), the client's address and name. Arguments are copied
// when the entry is made (the request buffer is reused), so the log never pins client input.
// Which commands get timed at all is the server's timing rule (docs/COMMANDS.md).

import type { SlowLogEntry } from "../commands/observe.ts";
import type { Args } from "../protocol/args.ts";

/** Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING. */
export const SLOWLOG_MAX_ARGC = 32;
export const SLOWLOG_MAX_STRING = 128;

export type { SlowLogEntry };

const enc = new TextEncoder();
const REDACTED = enc.encode("(redacted)");

export class SlowLog {
  /** slowlog-log-slower-than (µs): < 0 off, 0 every command. */
  slowerThan = 10000;
  /** slowlog-max-len. */
  maxLen = 128;
  private nextId = 0;
  /** Oldest first (a bounded array: max-len entries, trimmed on insert). */
  private entries: SlowLogEntry[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Log the command in `argv` (arguments for which redact(i) is true show "(redacted)"). */
  push(
    argv: Args,
    durationUs: number,
    addr: string,
    name: string,
    redact: (i: number) => boolean,
  ): void {
    if (this.slowerThan < 0) return;
    const argc = argv.count;
    const n = Math.min(argc, SLOWLOG_MAX_ARGC);
    const out: Uint8Array[] = new Array(n);
    for (let j = 0; j < n; j++) {
      if (n !== argc && j === n - 1) {
        out[j] = enc.encode(`... (${argc - n + 1} more arguments)`);
      } else if (redact(j)) {
        out[j] = REDACTED;
      } else {
        const len = argv.len(j);
        const off = argv.off(j);
        if (len > SLOWLOG_MAX_STRING) {
          const tail = enc.encode(`... (${len - SLOWLOG_MAX_STRING} more bytes)`);
          const b = new Uint8Array(SLOWLOG_MAX_STRING + tail.length);
          b.set(argv.buf.subarray(off, off + SLOWLOG_MAX_STRING), 0);
          b.set(tail, SLOWLOG_MAX_STRING);
          out[j] = b;
        } else out[j] = argv.buf.slice(off, off + len);
      }
    }
    this.entries.push({
      id: this.nextId++,
      time: Math.floor(Date.now() / 1000),
      duration: Math.floor(durationUs),
      argv: out,
      addr,
      name,
    });
    this.trim();
  }

  /** Keep at most maxLen entries (CONFIG SET slowlog-max-len trims on the next push, as Redis). */
  trim(): void {
    const over = this.entries.length - this.maxLen;
    if (over > 0) this.entries.splice(0, over);
  }

  /** The newest `count` entries, newest first. */
  latest(count: number): SlowLogEntry[] {
    const out: SlowLogEntry[] = [];
    for (let i = this.entries.length - 1; i >= 0 && out.length < count; i--) {
      out.push(this.entries[i]!);
    }
    return out;
  }

  reset(): void {
    this.entries = [];
  }
}
