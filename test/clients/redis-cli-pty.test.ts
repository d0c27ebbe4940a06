// redis-cli used interactively, on a pseudo terminal (util-linux `script`), as a person
// would: the same typed session against imds and against redis-server must show the same
// replies.

import { expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip =
  redisMissing("interactive redis-cli tests") ||
  Bun.which("redis-cli") === null ||
  Bun.which("script") === null;

const servers = serverPair({ skip });

/** Each line typed, then the text its reply must show (redis-cli's interactive formatting). */
const SESSION: [string, string][] = [
  ["ping", "PONG"],
  ['set greeting "hello world"', "OK"],
  ["get greeting", '"hello world"'],
  ["get missing", "(nil)"],
  ["incr greeting", "(error) ERR value is not an integer or out of range"],
  ["mset a 1 b 2", "OK"],
  ["mget a b missing", '1) "1"\r\n2) "2"\r\n3) (nil)'],
  ["zadd board 10 alice 20 bob", "(integer) 2"],
  ["zrevrange board 0 -1 withscores", '1) "bob"\r\n2) "20"\r\n3) "alice"\r\n4) "10"'],
  ["expire a 100", "(integer) 1"],
  ["ttl a", "(integer) 100"],
  ["select 3", "OK"],
  ["dbsize", "(integer) 0"],
  [
    "nosuchcommand x",
    "(error) ERR unknown command 'nosuchcommand', with args beginning with: 'x' ",
  ],
];

async function session(port: number): Promise<string> {
  const proc = Bun.spawn(["script", "-qec", `redis-cli -p ${port}`, "/dev/null"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, TERM: "dumb", HOME: "/tmp" },
  });
  let screen = "";
  const reader = proc.stdout.getReader();
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      screen += new TextDecoder().decode(value);
    }
  })();
  const waitFor = async (needle: string, from: number) => {
    const deadline = Date.now() + 10_000;
    while (!screen.includes(needle, from)) {
      if (Date.now() > deadline)
        throw new Error(`port ${port}: no ${JSON.stringify(needle)} in: ${screen}`);
      await Bun.sleep(20);
    }
  };
  try {
    await waitFor(`127.0.0.1:${port}> `, 0);
    for (const [line, reply] of SESSION) {
      const from = screen.length;
      proc.stdin.write(`${line}\n`);
      proc.stdin.flush();
      await waitFor(reply, from);
    }
    proc.stdin.write("quit\n");
    await proc.stdin.end();
    expect(await Promise.race([proc.exited, Bun.sleep(10_000).then(() => -1)])).toBe(0);
    await pump;
  } finally {
    proc.kill(9);
  }
  return screen;
}

test.skipIf(skip)(
  "the same interactive redis-cli session shows the same replies on both",
  async () => {
    const [a, b] = await Promise.all([session(servers.imds.port), session(servers.redis.port)]);
    // Both sessions showed every expected reply (session() waits for each); the prompt after
    // SELECT shows the database on both.
    expect(a).toContain(`127.0.0.1:${servers.imds.port}[3]> `);
    expect(b).toContain(`127.0.0.1:${servers.redis.port}[3]> `);
  },
);
