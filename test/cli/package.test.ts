// `bunx imds-cli` right after `bun install --frozen-lockfile` needs three things
// (a bin entry alone is not linked for the package itself): the self-dependency,
// the bin recorded in bun.lock, and an executable entry with a bun shebang.

import { expect, test } from "bun:test";
import { accessSync, constants, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ROOT } from "../helpers/servers.ts";

test("self-dependency, lockfile bin and shebang are in place", () => {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
  expect(pkg.bin["imds-cli"]).toBe("./src/cli/main.ts");
  expect(pkg.devDependencies.imds).toBe("file:.");
  const lock = readFileSync(resolve(ROOT, "bun.lock"), "utf8");
  expect(lock).toContain('"imds": "file:."');
  // Without the bin in the lock entry, a frozen install links nothing.
  expect(lock).toContain(
    '"imds": ["imds@root:", { "bin": { "imds-server": "./src/main.ts", "imds-cli": "./src/cli/main.ts" } }]',
  );
  const main = resolve(ROOT, "src/cli/main.ts");
  expect(readFileSync(main, "utf8").startsWith("#!/usr/bin/env bun\n")).toBe(true);
  accessSync(main, constants.X_OK);
});
