// `bunx imds-server --port N` from a fresh copy of the repository after `bun install
// --frozen-lockfile`: the bin, its entry in bun.lock and the shebang are what make it work.

import { expect, test } from "bun:test";
import {
  accessSync,
  constants,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort, ROOT } from "../helpers/servers.ts";

test("package.json: bins, exports, files, engines; lockfile bin; executable entry", () => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
  expect(pkg.bin["imds-server"]).toBe("./src/main.ts");
  expect(pkg.exports["."]).toBe("./src/index.ts");
  expect(pkg.module).toBe("./src/index.ts");
  expect(pkg.files).toContain("src");
  expect(pkg.engines.bun).toMatch(/^>=1\./);
  const lock = readFileSync(resolve(ROOT, "bun.lock"), "utf8");
  expect(lock).toContain('"imds-server": "./src/main.ts"');
  const main = resolve(ROOT, "src/main.ts");
  expect(readFileSync(main, "utf8").startsWith("#!/usr/bin/env bun\n")).toBe(true);
  accessSync(main, constants.X_OK);
});

test("fresh copy: bun install --frozen-lockfile, then bunx imds-server --port N listens", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-fresh-"));
  try {
    // What a clone has: the tracked files (plus this branch's uncommitted ones while developing).
    const ls = Bun.spawnSync(["git", "ls-files", "-co", "--exclude-standard"], { cwd: ROOT });
    for (const f of ls.stdout.toString().split("\n").filter(Boolean)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      try {
        cpSync(join(ROOT, f), join(dir, f));
      } catch {} // deleted but still listed
    }
    const inst = Bun.spawnSync(["bun", "install", "--frozen-lockfile"], { cwd: dir });
    expect(inst.exitCode).toBe(0);
    const port = freePort();
    const p = Bun.spawn(["bunx", "imds-server", "--port", String(port)], {
      cwd: dir,
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = p.stdout.getReader();
    let text = "";
    const deadline = Date.now() + 15000;
    while (!text.includes(`imds listening on 127.0.0.1:${port}`) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain(`imds listening on 127.0.0.1:${port}`);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60000);
