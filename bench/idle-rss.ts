// Idle RSS of the server's parts: each line is a fresh Bun process that imports one module (or
// builds the server up to one stage) and reads VmRSS after Bun.gc(true). Min of `runs` processes.
//
//   bun bench/idle-rss.ts [runs=3] [imdsRoot=.]
//
// The stages show where an idle server's RSS comes from: Bun alone, each module's import (with
// what it imports), then new Server(), prepare() and start() (listening, no client).

import { resolve } from "node:path";

// The checkout measured (another worktree for a before/after); the child gets it as argv[4].
const ROOT = resolve(
  process.argv[process.argv[2] === "--child" ? 4 : 3] ?? resolve(import.meta.dir, ".."),
);
const SRC = resolve(ROOT, "src");
const STAGES = ["construct", "prepare", "start", "eval"] as const;

function vmRssKb(): number {
  Bun.gc(true);
  const s = require("node:fs").readFileSync("/proc/self/status", "utf8") as string;
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
}

async function child(what: string): Promise<void> {
  if (what === "bun") {
    // nothing
  } else if ((STAGES as readonly string[]).includes(what)) {
    const { loadConfig } = await import(`${SRC}/config.ts`);
    const { Server } = await import(`${SRC}/server/server.ts`);
    const s = new Server(loadConfig(["--port", "0", "--save", ""], () => ""));
    if (what !== "construct") await s.prepare();
    if (what === "start" || what === "eval") s.start();
    if (what === "eval") await (s.scripts.init?.() ?? Promise.resolve());
  } else {
    await import(
      what === "wasmoon" ? resolve(ROOT, "node_modules/wasmoon/dist/index.js") : `${SRC}/${what}`
    );
  }
  await Bun.sleep(200);
  console.log(vmRssKb());
  process.exit(0);
}

const MODULES = [
  "bun",
  "wasmoon",
  "scripting/engine.ts",
  "commands/table.ts",
  "commands/index.ts",
  "config.ts",
  "store/keyspace.ts",
  "persistence/aof.ts",
  "server/server.ts",
  ...STAGES,
];

if (process.argv[2] === "--child") {
  await child(process.argv[3] ?? "bun");
} else {
  const runs = Number(process.argv[2] ?? 3);
  let bunKb = 0;
  console.log(`imds from ${ROOT}`);
  console.log("| what | VmRSS (min of %d) | over Bun alone |", runs);
  console.log("| --- | ---: | ---: |");
  for (const m of MODULES) {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < runs; i++) {
      const p = Bun.spawn(["bun", import.meta.path, "--child", m, ROOT], { stdout: "pipe" });
      const out = (await new Response(p.stdout).text()).trim().split("\n");
      const kb = Number(out[out.length - 1]);
      await p.exited;
      if (kb > 0) best = Math.min(best, kb);
    }
    if (m === "bun") bunKb = best;
    const label = (STAGES as readonly string[]).includes(m) ? `server: ${m}` : m;
    console.log(
      `| ${label} | ${(best / 1024).toFixed(1)} MB | +${((best - bunKb) / 1024).toFixed(1)} MB |`,
    );
  }
}
