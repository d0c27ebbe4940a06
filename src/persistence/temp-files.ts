// Temp files a crashed imds left behind (docs/PERSISTENCE.md, "Temp files"), removed at start.
//
// Redis 7.0 deletes its temp files itself when a save or rewrite fails or its child is killed
// (rdbRemoveTempFile, aofRemoveTempFile), and does not look for others at start; a kill -9 of
// the server leaves them. imds has no child: every save and rewrite runs in the server, so any
// crash leaves ours, and a restart would never reuse the name (the pid changes). So at start we
// remove the files only imds names that way, when the pid in the name is not a live process.

import { readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/** Ours, with the writer's pid: BGSAVE/SAVE, the AOF base when AOF is switched on, BGREWRITEAOF. */
const WITH_PID = [
  /^temp-(\d+)\.rdb$/,
  /^temp-rewriteaof-(\d+)\.aof$/,
  /^temp-rewriteaof-bg-(\d+)\.aof$/,
];

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, not ours to signal
  }
}

/**
 * Remove stale temp files in `dir` (not recursive): the pid patterns above, and the names in
 * `exact` (a manifest's temp copy, which carries no pid). Returns the names removed; a missing
 * or unreadable directory removes nothing.
 */
export function removeStaleTempFiles(dir: string, exact: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    let stale = exact.includes(name);
    if (!stale) {
      for (const re of WITH_PID) {
        const m = re.exec(name);
        if (m && !alive(Number(m[1]))) stale = true;
      }
    }
    if (!stale) continue;
    try {
      unlinkSync(join(dir, name));
      out.push(name);
    } catch {
      // gone meanwhile or not ours to remove: the start goes on
    }
  }
  return out;
}
