// MONITOR: every command run by any client goes to the monitor clients as one status line,
// as Redis 7.0's replicationFeedMonitors: `+<unix s>.<µs> [<db> <ip:port>] "arg" "arg"\r\n`,
// each argument escaped as sdscatrepr (\\ \" \n \r \t \a \b, printable bytes as they are,
// others \xHH). Commands flagged admin or skip_monitor are not shown (MONITOR, CONFIG, DEBUG,
// CLIENT ...), nor commands refused before running; AUTH's and HELLO AUTH's credentials show
// as "(redacted)". The server checks `active` (one field) per command, so without a monitor
// the cost is that test.

import type { Args } from "../protocol/args.ts";

/** What a monitor is fed through: its output queue and a way to send it. */
export interface MonitorSink {
  readonly closed: boolean;
  write(line: string): void;
  flush(): void;
}

const HEX = "0123456789abcdef";

/** sdscatrepr of bytes buf[off, off+len): a quoted, escaped, ASCII-only string. */
export function reprBytes(buf: Uint8Array, off: number, len: number): string {
  let s = '"';
  for (let i = off; i < off + len; i++) {
    const b = buf[i]!;
    switch (b) {
      case 0x5c:
        s += "\\\\";
        break;
      case 0x22:
        s += '\\"';
        break;
      case 0x0a:
        s += "\\n";
        break;
      case 0x0d:
        s += "\\r";
        break;
      case 0x09:
        s += "\\t";
        break;
      case 0x07:
        s += "\\a";
        break;
      case 0x08:
        s += "\\b";
        break;
      default:
        if (b >= 0x20 && b <= 0x7e) s += String.fromCharCode(b);
        else s += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
    }
  }
  return `${s}"`;
}

/**
 * Argument i of this request is a credential Redis redacts ("(redacted)" in MONITOR and
 * SLOWLOG): AUTH's arguments, and the user and password after HELLO's AUTH.
 */
export function isRedacted(name: string, argv: Args, i: number): boolean {
  if (i === 0) return false;
  if (name === "auth") return true;
  if (name === "hello") {
    for (let j = 2; j < argv.count; j++) {
      if (argv.is(j, "auth") && argv.count - 1 - j >= 2) {
        if (i === j + 1 || i === j + 2) return true;
        j += 2;
      } else if (argv.is(j, "setname") && argv.count - 1 - j >= 1) j++;
      else break;
    }
  }
  return false;
}

export class Monitors {
  readonly sinks = new Set<MonitorSink>();
  /** A monitor exists: the server's per-command test. */
  active = false;
  private flushQueued = false;

  add(m: MonitorSink): void {
    this.sinks.add(m);
    this.active = true;
  }

  remove(m: MonitorSink): void {
    this.sinks.delete(m);
    this.active = this.sinks.size > 0;
  }

  /** Feed one executed command (`name`: its full lowercase name, for redaction). */
  feed(db: number, addr: string, name: string, argv: Args): void {
    const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
    const sec = Math.floor(us / 1e6);
    let line = `+${sec}.${String(us - sec * 1e6).padStart(6, "0")} [${db} ${addr}]`;
    for (let i = 0; i < argv.count; i++) {
      line += isRedacted(name, argv, i)
        ? ' "(redacted)"'
        : ` ${reprBytes(argv.buf, argv.off(i), argv.len(i))}`;
    }
    line += "\r\n";
    for (const m of this.sinks) if (!m.closed) m.write(line);
    // One send per monitor per event-loop turn, not one per command.
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        for (const m of this.sinks) m.flush();
      });
    }
  }
}
