// imds-cli end to end: the real CLI process against the real server.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { connect } from "../../src/client/index.ts";
import { freePort, ROOT, type Running, startImds } from "../helpers/servers.ts";

const CLI = resolve(ROOT, "src/cli/main.ts");
let srv: Running;
let home: string;
beforeAll(async () => {
  srv = await startImds();
  home = mkdtempSync(join(tmpdir(), "imdscli-"));
});
afterAll(async () => {
  await srv.stop();
});

interface Result {
  code: number;
  out: Uint8Array;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], input?: string | Uint8Array, port = srv.port): Promise<Result> {
  const proc = Bun.spawn(["bun", CLI, "-p", String(port), ...args], {
    stdin: input === undefined ? "ignore" : "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, HOME: home, IMDSCLI_HISTFILE: "" },
  });
  if (input !== undefined && proc.stdin) {
    proc.stdin.write(input);
    await proc.stdin.end();
  }
  const timer = setTimeout(() => proc.kill(9), 20_000);
  const [out, stderr, code] = await Promise.all([
    new Response(proc.stdout).bytes(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, out, stdout: new TextDecoder().decode(out), stderr };
}

test("one-shot: raw values when stdout is not a terminal", async () => {
  expect((await cli(["set", "cli:k", "a b"])).stdout).toBe("OK\n");
  expect((await cli(["get", "cli:k"])).stdout).toBe("a b\n");
  expect((await cli(["get", "cli:missing"])).stdout).toBe("\n");
  const unknown = await cli(["nosuch", "x"]);
  expect(unknown.stdout).toMatch(/^ERR unknown command/);
  expect(unknown.code).toBe(0); // as redis-cli; -e makes errors fail
  expect((await cli(["-e", "nosuch"])).code).toBe(1);
  expect((await cli(["--no-raw", "get", "cli:k"])).stdout).toBe('"a b"\n');
  expect((await cli(["--no-raw", "get", "cli:missing"])).stdout).toBe("(nil)\n");
});

test("piped stdin: many commands pipelined, replies in order, quoting and binary bytes", async () => {
  let input = 'set cli:bin "x\\x00y\\n"\nget cli:bin\n';
  for (let i = 0; i < 2500; i++) input += `set cli:p${i} 'v ${i}'\nget cli:p${i}\n`;
  input += 'get "unbalanced\nget cli:none\n';
  const r = await cli([], input);
  expect(r.code).toBe(0);
  const expected = [new TextEncoder().encode("OK\nx\x00y\n\n")];
  let text = "";
  for (let i = 0; i < 2500; i++) text += `OK\nv ${i}\n`;
  text += "Invalid argument(s)\n\n";
  expected.push(new TextEncoder().encode(text));
  expect(r.out).toEqual(new Uint8Array(Buffer.concat(expected)));
});

test("a slow reader still gets every byte (1 MiB one-shot reply, piped replies)", async () => {
  const db = await connect({ port: srv.port });
  await db.set("cli:big", new Uint8Array(1 << 20).fill(97));
  await db.close();
  let input = "";
  let expected = 0;
  for (let i = 0; i < 10_000; i++) {
    input += `get cli:big${i}\necho value-${i}\n`;
    expected += 1 + `value-${i}\n`.length;
  }
  // A shell pipe whose reader sleeps first (a Bun.spawn pipe is drained eagerly by Bun).
  const run = async (args: string[], stdin?: string) => {
    const inFile = join(home, "slow-in.txt");
    const outFile = join(home, "slow-out.bin");
    writeFileSync(inFile, stdin ?? "");
    const redirect = stdin === undefined ? "< /dev/null" : `< '${inFile}'`;
    const cmd = `bun '${CLI}' -p ${srv.port} ${args.join(" ")} ${redirect} | (sleep 1; cat > '${outFile}')`;
    const proc = Bun.spawn(["sh", "-c", cmd], {
      stdout: "ignore",
      stderr: "pipe",
      env: { ...process.env, HOME: home },
    });
    expect(await proc.exited).toBe(0);
    return readFileSync(outFile).length;
  };
  expect(await run(["get", "cli:big"])).toBe((1 << 20) + 1);
  const echo = await connect({ port: srv.port }).then(async (c) => {
    const ok = await c.call("echo", "x").then(
      () => true,
      () => false,
    );
    await c.close();
    return ok;
  });
  // ECHO may not exist yet: then each echo line is "ERR unknown command" (19 + 1 bytes).
  if (!echo) expected = 10_000 * (1 + "ERR unknown command\n".length);
  expect(await run([], input)).toBe(expected);
});

test("connection refused: one line on stderr, exit 1", async () => {
  const port = freePort();
  const r = await cli(["get", "x"], undefined, port);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(`Could not connect to imds at 127.0.0.1:${port}: Connection refused\n`);
});

test("options: --help, -v, bad option, -a sends AUTH first", async () => {
  const help = await cli(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("Usage: imds-cli [OPTIONS] [cmd [arg [arg ...]]]");
  const v = await cli(["-v"]);
  const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
  expect(v.stdout).toBe(`imds-cli ${pkg.version}\n`);
  const bad = await cli(["--bogus"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain("Unrecognized option");
  // No password is configured, so AUTH fails (unknown command or "without any password
  // configured"): the CLI must say so and stop, not run the command.
  const auth = await cli(["-a", "secret", "set", "cli:auth", "x"]);
  expect(auth.code).toBe(1);
  expect(auth.stderr).toMatch(/^\(error\) ERR/);
  expect((await cli(["get", "cli:auth"])).stdout).toBe("\n");
});

test("-n selects the database before the command", async () => {
  const bad = await cli(["-n", "x", "get", "k"]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toBe("Invalid database number: 'x'\n");
  const r = await cli(["-n", "3", "set", "cli:db", "three"]);
  if (r.code !== 0) {
    // SELECT not implemented yet: the CLI must stop with the error, not write to db 0.
    expect(r.stderr).toMatch(/^\(error\) ERR unknown command/);
    expect((await cli(["get", "cli:db"])).stdout).toBe("\n");
    return;
  }
  expect(r.stdout).toBe("OK\n");
  expect((await cli(["-n", "3", "get", "cli:db"])).stdout).toBe("three\n");
  expect((await cli(["get", "cli:db"])).stdout).toBe("\n");
});

const hasScript = Bun.which("script") !== null;

/** imds-cli on a pseudo terminal (util-linux `script`), typed into line by line. */
function ptySession(hist: string, port = srv.port) {
  const proc = Bun.spawn(["script", "-qec", `bun ${CLI} -p ${port}`, "/dev/null"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, HOME: home, IMDSCLI_HISTFILE: hist, TERM: "xterm" },
  });
  const s = { screen: "" };
  const reader = proc.stdout.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      s.screen += new TextDecoder().decode(value);
    }
  })();
  const waitFor = async (needle: string, from = 0) => {
    const deadline = Date.now() + 15_000;
    while (!s.screen.includes(needle, from)) {
      if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(needle)} in: ${s.screen}`);
      await Bun.sleep(20);
    }
  };
  /** Send keys (separate writes, as a person types: escape sequences stay whole). */
  const type = async (keys: string | string[], expectText: string) => {
    const from = s.screen.length;
    for (const k of typeof keys === "string" ? [keys] : keys) {
      proc.stdin.write(k);
      proc.stdin.flush();
      await Bun.sleep(60);
    }
    await waitFor(expectText, from);
  };
  const quit = async () => {
    proc.stdin.write("quit\n");
    await proc.stdin.end();
    const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => -1)]);
    await pump;
    return code;
  };
  return { proc, s, waitFor, type, quit };
}

test.skipIf(!hasScript)(
  "interactive session on a pty: prompt, formatted replies, history",
  async () => {
    const hist = join(home, "hist-interactive");
    const prompt = `127.0.0.1:${srv.port}> `;
    const a = ptySession(hist);
    try {
      await a.waitFor(prompt);
      await a.type('set cli:i "hello\\x00world"\n', "OK");
      await a.type("get cli:i\n", '"hello\\x00world"');
      await a.type("get cli:none\n", "(nil)");
      await a.type("nosuch\n", "(error) ERR unknown command");
      await a.type('get "bad\n', "Invalid argument(s)");
      await a.type(["\x1b[A", "\x1b[A", "\x1b[A", "\n"], "(nil)"); // in-memory history: get cli:none again
      expect(await a.quit()).toBe(0);
      expect(a.s.screen.split(prompt).length).toBeGreaterThanOrEqual(7);
    } finally {
      a.proc.kill(9);
    }
    expect(readFileSync(hist, "utf8")).toBe(
      'set cli:i "hello\\x00world"\nget cli:i\nget cli:none\nnosuch\nget cli:none\n',
    );
    // A new session starts with the saved history: up-arrow recalls the last command.
    const b = ptySession(hist);
    try {
      await b.waitFor(prompt);
      await b.type(["\x1b[A", "\x1b[A", "\n"], "(error) ERR unknown command");
      expect(await b.quit()).toBe(0);
    } finally {
      b.proc.kill(9);
    }
  },
);

test.skipIf(!hasScript)(
  "interactive: server gone -> error line and 'not connected>', back -> reconnects",
  async () => {
    const port = freePort();
    let own = await startImds(["--port", String(port)]);
    const a = ptySession("", port);
    try {
      await a.waitFor(`127.0.0.1:${port}> `);
      await a.type("set cli:r 1\n", "OK");
      await own.stop();
      await a.type(
        "get cli:r\n",
        `Error: Could not connect to imds at 127.0.0.1:${port}: Connection refused`,
      );
      await a.waitFor("not connected> ");
      own = await startImds(["--port", String(port)]);
      await a.type("get cli:r\n", "(nil)"); // a new, empty server
      await a.type("set cli:r 2\n", "OK");
      expect(await a.quit()).toBe(0);
    } finally {
      a.proc.kill(9);
      await own.stop();
    }
  },
);
