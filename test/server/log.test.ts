// Log lines in Redis's format: "pid:M 02 Dec 2026 06:40:00.123 * message", level marks . - * #.

import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Log } from "../../src/server/log.ts";

test("lines to the logfile have Redis's format and level marks; loglevel filters", () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-log-"));
  try {
    const log = new Log();
    log.file = join(dir, "imds.log");
    log.setLevel("debug");
    log.debug("d");
    log.verbose("v");
    log.notice("n");
    log.warn("w");
    log.setLevel("warning");
    log.notice("hidden");
    const lines = readFileSync(log.file, "utf8").trimEnd().split("\n");
    const re = /^(\d+):M (\d{2}) ([A-Z][a-z]{2}) (\d{4}) \d{2}:\d{2}:\d{2}\.\d{3} ([.\-*#]) (\w+)$/;
    expect(lines.map((l) => re.exec(l)?.slice(5).join(" "))).toEqual([". d", "- v", "* n", "# w"]);
    const m = re.exec(lines[0]!)!;
    expect(Number(m[1])).toBe(process.pid);
    const d = new Date();
    expect(Number(m[2])).toBe(d.getDate());
    expect(Number(m[4])).toBe(d.getFullYear());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
