// A disk that fills up, for real: the AOF directory on a 1 MB tmpfs. Once a write fails, writes
// get -MISCONF (Redis's text), reads keep working, INFO says aof_last_write_status:err; when
// space comes back the server recovers on its own, and a restart has every acknowledged write.
// Needs root for mount (CI runs as root); skipped loudly otherwise.

import { afterAll, expect, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RespConn, RespError, type RespValue } from "../../helpers/resp.ts";
import { startImds } from "../../helpers/servers.ts";
import { removeDir, tempDir } from "./helpers.ts";

const root = tempDir("tmpfs");
const mounts: string[] = [];

/** A fresh 1 MB tmpfs, or null if it cannot be mounted. */
function mountTmpfs(name: string): string | null {
  const mnt = join(root, name);
  mkdirSync(mnt);
  if (Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]).exitCode !== 0)
    return null;
  mounts.push(mnt);
  return mnt;
}

const mounted = mountTmpfs("probe") !== null;
if (!mounted) {
  console.warn("\n*** SKIPPED: disk-full AOF tests need `mount -t tmpfs` (run as root) ***\n");
}
afterAll(() => {
  for (const m of mounts) Bun.spawnSync(["umount", m]);
  removeDir(root);
});

const TIMEOUT = Symbol("timeout");

async function waitInfo(c: RespConn, needle: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = (await c.call("INFO", "persistence")) as string;
    if (info.includes(needle) || Date.now() > deadline) return info;
    await Bun.sleep(50);
  }
}

async function diskFull(policy: string): Promise<void> {
  const mnt = mountTmpfs(policy)!;
  const dir = join(mnt, "data");
  mkdirSync(dir);
  let acked = 0;
  const ballast = join(mnt, `ballast-${policy}`);
  writeFileSync(ballast, new Uint8Array(600 * 1024));
  const srv = await startImds(["--dir", dir, "--appendonly", "yes", "--appendfsync", policy]);
  try {
    const filler = await RespConn.open(srv.port);
    const other = await RespConn.open(srv.port);
    const big = "x".repeat(20 * 1024);
    let held: Promise<RespValue> | null = null;
    let refused: RespValue = null;
    for (let i = 0; i < 100; i++) {
      const p = filler.call("SET", `fill:${i}`, big);
      const r = await Promise.race([p, Bun.sleep(1500).then(() => TIMEOUT)]);
      if (r === TIMEOUT) {
        held = p; // always: the reply waits until its bytes are on disk
        break;
      }
      if (r instanceof RespError) {
        refused = r;
        break;
      }
      expect(r).toBe("OK");
      acked++;
    }
    expect(acked).toBeGreaterThan(5);
    if (policy === "always") expect(held).not.toBeNull();
    else expect(String((refused as RespError).message)).toContain("MISCONF");
    expect(await waitInfo(other, "aof_last_write_status:err", 2000)).toContain(
      "aof_last_write_status:err",
    );
    expect(await other.raw("SET", "x", "1")).toBe(
      "-MISCONF Errors writing to the AOF file: No space left on device\r\n",
    );
    expect(await other.raw("PING")).toStartWith("-MISCONF");
    expect(await other.call("GET", "fill:0")).toBe(big); // reads keep working
    expect(await other.call("DBSIZE")).toBeGreaterThanOrEqual(acked);
    // Space comes back: the cron's retry succeeds, the held reply leaves, writes work again.
    rmSync(ballast);
    expect(await waitInfo(other, "aof_last_write_status:ok", 5000)).toContain(
      "aof_last_write_status:ok",
    );
    if (held !== null) {
      expect(await held).toBe("OK");
      acked++;
    }
    expect(await other.call("SET", "x", "1")).toBe("OK");
    filler.close();
    other.close();
  } finally {
    await srv.stop(); // SIGTERM: write + fsync
  }
  expect(srv.output()).toContain("Error writing to the AOF file: No space left on device");
  expect(srv.output()).toContain("AOF write error looks solved");
  // Everything acknowledged is in the AOF, and it loads whole (no cut tail).
  const again = await startImds([
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--aof-load-truncated",
    "no",
  ]);
  try {
    const c = await RespConn.open(again.port);
    for (let i = 0; i < acked; i++) expect(await c.call("EXISTS", `fill:${i}`)).toBe(1);
    expect(await c.call("GET", "x")).toBe("1");
    c.close();
  } finally {
    await again.stop();
  }
}

test.skipIf(!mounted)(
  "disk full with appendfsync everysec: MISCONF, reads work, recovery",
  async () => {
    await diskFull("everysec");
  },
  60000,
);

test.skipIf(!mounted)(
  "disk full with appendfsync always: reply held, MISCONF, recovery",
  async () => {
    await diskFull("always");
  },
  60000,
);
