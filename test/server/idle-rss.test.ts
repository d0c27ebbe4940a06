// An idle server's RSS stays within a generous bound over a bare Bun process (docs/ARCHITECTURE.md,
// "Idle footprint"): what the server loads at start (its modules, the command specs without their
// docs, no Lua VM) costs ~23 MB over Bun today; the Lua VM loaded at start would add ~11 MB and
// break the bound, as would a big buffer preallocated at start.
import { expect, test } from "bun:test";
import { startImds } from "../helpers/servers.ts";

const BOUND_MB = 30;

async function rssKb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

test(`idle RSS is within ${BOUND_MB} MB of a bare Bun process`, async () => {
  const srv = await startImds(["--save", ""]);
  const bare = Bun.spawn(["bun", "-e", "setTimeout(() => {}, 20000)"], {
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    await Bun.sleep(1500);
    // The smaller of a few reads: RSS only grows by load elsewhere (page cache, other work).
    let server = Number.POSITIVE_INFINITY;
    let bun = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      server = Math.min(server, await rssKb(srv.proc.pid));
      bun = Math.min(bun, await rssKb(bare.pid));
      await Bun.sleep(200);
    }
    const overMb = (server - bun) / 1024;
    expect(overMb).toBeGreaterThan(0);
    expect(overMb).toBeLessThan(BOUND_MB);
  } finally {
    bare.kill();
    await bare.exited;
    await srv.stop();
  }
}, 20000);
