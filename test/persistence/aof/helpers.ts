// Helpers for the AOF tests: temporary directories and reading AOF files back as commands.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseReply } from "../../helpers/resp.ts";

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `imds-aof-${tag}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every command of an AOF file, as arrays of latin1 strings. */
export function readCommands(path: string): string[][] {
  const buf = new Uint8Array(readFileSync(path));
  const out: string[][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = parseReply(buf, pos, false);
    if (r === null) throw new Error(`cut command at ${pos} in ${path}`);
    out.push((r[0] as unknown[]).map((x) => String(x)));
    pos = r[1];
  }
  return out;
}

/** The files of an AOF directory by role, from its manifest. */
export function aofFiles(dir: string, appendfilename = "appendonly.aof") {
  const d = join(dir, "appendonlydir");
  const manifest = readFileSync(join(d, `${appendfilename}.manifest`), "latin1");
  const names = manifest
    .trim()
    .split("\n")
    .map((l) => l.split(" "));
  const base = names.find((w) => w[5] === "b")?.[1];
  const incr = names.filter((w) => w[5] === "i").map((w) => join(d, w[1]!));
  return {
    dir: d,
    manifest,
    base: base === undefined ? null : join(d, base),
    incr,
    lastIncr: incr[incr.length - 1]!,
    listing: readdirSync(d).sort(),
  };
}
