// Temp files a crash left (temp-<pid>.rdb, temp-rewriteaof[-bg]-<pid>.aof, the manifest's temp
// copy) are removed when imds starts, as long as the pid in the name is not a live process;
// anything else in the directories stays (src/persistence/temp-files.ts).

import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeStaleTempFiles } from "../../src/persistence/temp-files.ts";
import { RespConn } from "../helpers/resp.ts";
import { startImds } from "../helpers/servers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "imds-tempfiles-"));
  dirs.push(d);
  return d;
}

/** A pid that was a process and is not one any more. */
async function deadPid(): Promise<number> {
  const p = Bun.spawn(["true"]);
  await p.exited;
  return p.pid;
}

describe("stale temp files", () => {
  test("removeStaleTempFiles: dead pids and the exact names go, live pids and others stay", async () => {
    const d = tmp();
    const dead = await deadPid();
    const names = [
      `temp-${dead}.rdb`,
      `temp-rewriteaof-${dead}.aof`,
      `temp-rewriteaof-bg-${dead}.aof`,
      `temp-${process.pid}.rdb`, // a live process (this one): its save may be running
      "temp-appendonly.aof.manifest",
      "dump.rdb",
      "temp-notapid.rdb",
      `xtemp-${dead}.rdb`,
    ];
    for (const n of names) writeFileSync(join(d, n), "x");
    const removed = removeStaleTempFiles(d, ["temp-appendonly.aof.manifest"]).sort();
    expect(removed).toEqual(
      [
        `temp-${dead}.rdb`,
        `temp-rewriteaof-${dead}.aof`,
        `temp-rewriteaof-bg-${dead}.aof`,
        "temp-appendonly.aof.manifest",
      ].sort(),
    );
    expect(readdirSync(d).sort()).toEqual(
      [`temp-${process.pid}.rdb`, "dump.rdb", "temp-notapid.rdb", `xtemp-${dead}.rdb`].sort(),
    );
    expect(removeStaleTempFiles(join(d, "missing"))).toEqual([]);
  });

  test("the server removes them at start (dir and appenddirname), with AOF on", async () => {
    const d = tmp();
    const aofDir = join(d, "appendonlydir");
    mkdirSync(aofDir);
    const dead = await deadPid();
    writeFileSync(join(d, `temp-${dead}.rdb`), "REDIS0010 half a file");
    writeFileSync(join(aofDir, `temp-rewriteaof-bg-${dead}.aof`), "REDIS0010 half");
    writeFileSync(join(aofDir, `temp-rewriteaof-${dead}.aof`), "*1\r\n$4\r\nPING\r\n");
    writeFileSync(join(aofDir, "temp-appendonly.aof.manifest"), "file appendonly.aof.1");
    const r = await startImds(["--dir", d, "--save", "", "--appendonly", "yes"]);
    try {
      const c = await RespConn.open(r.port);
      expect(await c.call("PING")).toBe("PONG");
      c.close();
      expect(readdirSync(d).filter((n) => n.startsWith("temp-"))).toEqual([]);
      expect(readdirSync(aofDir).filter((n) => n.startsWith("temp-"))).toEqual([]);
      expect(readdirSync(aofDir).some((n) => n.endsWith(".manifest"))).toBe(true);
    } finally {
      await r.stop();
    }
  });
});
