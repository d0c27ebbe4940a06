// Redis-style log lines: "pid:M 02 Dec 2026 06:40:00.123 * message" (local time, as Redis's
// strftime "%d %b %Y %H:%M:%S." + milliseconds).
// Levels as redis.conf's loglevel: debug < verbose < notice < warning.

import { appendFileSync } from "node:fs";

const LEVELS = { debug: 0, verbose: 1, notice: 2, warning: 3 } as const;
type Level = keyof typeof LEVELS;
const MARKS = [".", "-", "*", "#"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export class Log {
  level = 2;
  file = "";

  setLevel(name: string): void {
    this.level = LEVELS[name as Level] ?? 2;
  }

  private write(level: number, msg: string): void {
    if (level < this.level) return;
    const d = new Date();
    const two = (n: number) => String(n).padStart(2, "0");
    const stamp = `${two(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
    const line = `${process.pid}:M ${stamp} ${MARKS[level]} ${msg}\n`;
    if (this.file) appendFileSync(this.file, line);
    else process.stdout.write(line);
  }

  debug(msg: string): void {
    this.write(0, msg);
  }
  verbose(msg: string): void {
    this.write(1, msg);
  }
  notice(msg: string): void {
    this.write(2, msg);
  }
  warn(msg: string): void {
    this.write(3, msg);
  }
}
