// The start line, like redis-server's: `[imds.conf] [--name value ...]`.

import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, ROOT, startImds, startImdsCommand } from "../helpers/servers.ts";

const MAIN = resolve(ROOT, "src/main.ts");

async function runToExit(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["bun", MAIN, ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const timer = setTimeout(() => p.kill(9), 15000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

test("a port already in use: one line on stderr, exit code 1", async () => {
  const srv = await startImds();
  const r = await runToExit(["--port", String(srv.port)]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe(
    `Could not create server TCP listening socket 127.0.0.1:${srv.port}: bind: Address already in use`,
  );
  await srv.stop();
});

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  test(`${sig} closes the listener and exits 0`, async () => {
    const srv = await startImds();
    srv.proc.kill(sig);
    expect(await srv.proc.exited).toBe(0);
    // The port is free again.
    const l = Bun.listen({ hostname: "127.0.0.1", port: srv.port, socket: { data() {} } });
    l.stop(true);
  });
}

test("config file first, flags override it; --host is an alias of bind; --save '' accepted", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-conf-"));
  const filePort = freePort();
  const conf = join(dir, "imds.conf");
  writeFileSync(
    conf,
    `# a comment\nport ${filePort}\nbind 127.0.0.1\nloglevel "warning"\n\nmaxclients 50\n`,
  );
  const p = Bun.spawn(["bun", MAIN, conf, "--port", "0", "--host", "127.0.0.1", "--save", ""], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  const line = new TextDecoder().decode(value);
  const m = /imds listening on 127\.0\.0\.1:(\d+)/.exec(line);
  expect(m).not.toBeNull();
  expect(Number(m![1])).not.toBe(filePort);
  p.kill("SIGTERM");
  expect(await p.exited).toBe(0);
});

test("bad start lines fail with Redis's fatal config block and exit 1", async () => {
  for (const [args, msg] of [
    [
      ["--no-such-option", "1"],
      ">>> 'no-such-option \"1\"'\nBad directive or wrong number of arguments",
    ],
    [["--port", "70000"], ">>> 'port \"70000\"'\nargument must be between 0 and 65535 inclusive"],
    [["--maxmemory", "lots"], "argument must be a memory value"],
    [["/nonexistent/imds.conf"], "can't open config file"],
    [["--port"], ">>> 'port'\nwrong number of arguments"],
    [["--save", "900"], "Invalid save parameters"],
  ] as [string[], string][]) {
    const r = await runToExit(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(msg);
    if (args[0]!.startsWith("--")) {
      // As redis-server prints it: the first flag is line 2 of the configuration.
      expect(r.stderr).toContain("*** FATAL CONFIG FILE ERROR");
      expect(r.stderr).toContain("Reading the configuration file, at line 2\n");
    } else expect(r.stderr.trim().split("\n").length).toBe(1);
  }
});

test("`bun run server` prints the listening line", async () => {
  const imds = await startImdsCommand(["bun", "run", "server", "--port", "0"]);
  expect(imds.output()).toMatch(/imds listening on 127\.0\.0\.1:\d+/);
  imds.proc.kill("SIGTERM");
  expect(await imds.proc.exited).toBe(0);
});
