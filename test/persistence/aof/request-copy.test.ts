// The AOF copies a request that arrived in its canonical RESP form as it is (aof-encode.ts
// canonicalFrame) and encodes anything else again. Requests in every other form the decoder
// accepts (LF bytes it does not check, the CRLF after an argument it skips, inline commands,
// requests split across reads, pipelines) must still reach the file canonically: the same
// bytes redis-server writes for the same input.

import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { RespRawConn } from "../../helpers/resp-conn.ts";
import { hasRedis, type Running, startImds, startRedis } from "../../helpers/servers.ts";
import { aofFiles, removeDir, tempDir } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const enc = (s: string) => new TextEncoder().encode(s);

/** Each entry: raw bytes sent in one write, then the number of replies it gets. */
const INPUT: [string, number][] = [
  ["*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv1\r\n", 1], // canonical
  ["*3\r\n$3\r\nset\r\n$2\r\nk2\r\n$3\r\nv\r\n\r\n", 1], // CRLF inside the value
  ["*3\rX$3\rYSET\r\n$2\r\nk3\r\n$2\r\nv3\r\n", 1], // unchecked LF bytes of headers
  ["*3\r\n$3\r\nSETxx$2\r\nk4\r\n$2\r\nv4ab", 1], // unchecked CRLF after arguments
  ["SET k5 v5\r\n", 1], // inline
  ["*3\r\n$3\r\nSET\r\n$2\r\nk6\r\n$2\r\nv6\r\n*2\r\n$3\r\nDEL\r\n$2\r\nk1\r\n", 2], // pipeline
  ["*3\r\n$3\r\nSET\r\n$2\r\nk7", 0], // a request split across reads...
  ["\r\n$10\r\n0123456789\r\n", 1], // ...and its end
  ["*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n*3\r\n$6\r\nAPPEND\r\n$2\r\nk6\r\n$1\r\nz\r\n", 2],
  [`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$200\r\n${"b".repeat(200)}\r\n`, 1],
  ["*3\r\n$3\r\nSET\r\n$2\r\nk8\r\n$0\r\n\r\n", 1], // empty value
];

async function aofAfter(start: (flags: string[]) => Promise<Running>, tag: string) {
  const dir = tempDir(tag);
  dirs.push(dir);
  const s = await start(["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"]);
  try {
    const c = await RespRawConn.open(s.port);
    for (const [bytes, replies] of INPUT) {
      await c.sendRaw(enc(bytes));
      if (replies === 0) await Bun.sleep(50);
      else {
        const r = await c.replies(replies);
        for (const x of r) expect(`${bytes} -> ${x}`).not.toContain("-> -");
      }
    }
    c.close();
  } finally {
    await s.stop();
  }
  return readFileSync(aofFiles(dir).lastIncr, "latin1");
}

const encode = (...args: string[]) =>
  `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;

test("requests in any accepted form reach the AOF in the canonical form", async () => {
  const got = await aofAfter(startImds, "copy");
  const want = [
    encode("SELECT", "0"),
    encode("SET", "k1", "v1"),
    encode("set", "k2", "v\r\n"),
    encode("SET", "k3", "v3"),
    encode("SET", "k4", "v4"),
    encode("SET", "k5", "v5"),
    encode("SET", "k6", "v6"),
    encode("DEL", "k1"),
    encode("SET", "k7", "0123456789"),
    encode("INCR", "ctr"),
    encode("APPEND", "k6", "z"),
    encode("SET", "big", "b".repeat(200)),
    encode("SET", "k8", ""),
  ].join("");
  expect(got).toBe(want);
}, 30000);

test.skipIf(!hasRedis)(
  "the same input gives the same AOF bytes as redis-server",
  async () => {
    const [imds, redis] = [
      await aofAfter(startImds, "copy-i"),
      await aofAfter(startRedis, "copy-r"),
    ];
    expect(imds).toBe(redis);
  },
  30000,
);
