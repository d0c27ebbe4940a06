// Start real servers for integration tests: imds (`bun src/main.ts`, the real
// server process, on a free port) and, for differential tests, redis-server.

import { resolve } from "node:path";
import type { Subprocess } from "bun";

export const ROOT = resolve(import.meta.dir, "../..");

export interface Running {
  host: string;
  port: number;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the server printed so far (stdout). */
  output(): string;
  stop(): Promise<void>;
}

async function readUntil(
  proc: Subprocess<"ignore", "pipe", "pipe">,
  re: RegExp,
  timeoutMs: number,
  sink: { text: string },
): Promise<RegExpExecArray> {
  const reader = proc.stdout.getReader();
  const dec = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  // Keep draining stdout in the background so the server never blocks on a full pipe.
  let found: RegExpExecArray | null = null;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      sink.text += dec.decode(value);
      if (!found) found = re.exec(sink.text);
    }
  })();
  while (!found) {
    if (Date.now() > deadline) {
      proc.kill(9);
      const err = await new Response(proc.stderr).text();
      throw new Error(
        `server did not print ${re} within ${timeoutMs} ms; stdout: ${sink.text} stderr: ${err}`,
      );
    }
    if (proc.exitCode !== null) {
      await Bun.sleep(20);
      const err = await new Response(proc.stderr).text();
      throw new Error(`server exited with ${proc.exitCode}: ${sink.text} ${err}`);
    }
    await Bun.sleep(10);
  }
  void pump;
  return found;
}

/** Start imds (the checkout at `root`) on a free port with extra `--name value` flags. */
export function startImds(flags: string[] = [], root = ROOT): Promise<Running> {
  return startImdsCommand(["bun", resolve(root, "src/main.ts"), "--port", "0", ...flags], root);
}

/**
 * Run `cmd` (from `cwd`, the repository root by default), a command that starts imds and prints
 * its listening line (`bun src/main.ts redis.conf --port 0`, `bun run server --port 0`), and
 * wait for that line.
 */
export async function startImdsCommand(cmd: string[], cwd = ROOT): Promise<Running> {
  const proc = Bun.spawn(cmd, {
    cwd,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const sink = { text: "" };
  const m = await readUntil(proc, /imds listening on (\S+):(\d+)/, 15000, sink);
  return {
    host: m[1]!,
    port: Number(m[2]),
    proc,
    output: () => sink.text,
    stop: async () => {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** A port that was free a moment ago (for servers that cannot pick their own). */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

export const hasRedis = Bun.which("redis-server") !== null;

/**
 * When redis-server is missing: in CI (IMDS_REQUIRE_REDIS=1) that is an error;
 * elsewhere the caller skips, and we say so loudly.
 */
export function redisMissing(what: string): boolean {
  if (hasRedis) return false;
  if (process.env.IMDS_REQUIRE_REDIS)
    throw new Error(`redis-server is required for ${what} but not installed`);
  console.warn(
    `\n*** SKIPPED: ${what} needs redis-server (apt-get install redis-server redis-tools) ***\n`,
  );
  return true;
}

/** Start a throwaway redis-server (no persistence) on a free port. */
export async function startRedis(flags: string[] = []): Promise<Running> {
  for (let attempt = 0; ; attempt++) {
    const port = freePort();
    const proc = Bun.spawn(
      [
        "redis-server",
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        ...flags,
      ],
      { cwd: "/tmp", stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const sink = { text: "" };
    try {
      await readUntil(proc, /Ready to accept connections/, 10000, sink);
      return {
        host: "127.0.0.1",
        port,
        proc,
        output: () => sink.text,
        stop: async () => {
          proc.kill("SIGTERM");
          await proc.exited;
        },
      };
    } catch (e) {
      if (attempt >= 3) throw e; // the port was taken in between: try another
    }
  }
}
