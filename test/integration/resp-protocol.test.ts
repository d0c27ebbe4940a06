// RESP framing against the real redis-server: the same raw bytes go to imds
// and to redis-server 7.0, and the replies (and whether the connection was
// closed) must be identical. Unknown commands are the probe for parsing: Redis
// quotes the arguments it parsed back in its error.

import { describe, expect, test } from "bun:test";
import { serverPair } from "../helpers/pair.ts";
import { redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const enc = new TextEncoder();
const skip = redisMissing("RESP framing differential tests");

const servers = serverPair({ skip });

function mb(...parts: (string | Uint8Array)[]): Uint8Array {
  const chunks: Uint8Array[] = [enc.encode(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === "string" ? enc.encode(p) : p;
    chunks.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return Buffer.concat(chunks);
}

/**
 * Send `chunks` (with a pause between them so they arrive separately), then
 * collect replies until the peer closes or `settleMs` passes.
 */
async function exchange(
  port: number,
  chunks: Uint8Array[],
  settleMs = 400,
): Promise<{ reply: string; closed: boolean }> {
  const got: Uint8Array[] = [];
  let closed = false;
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        got.push(new Uint8Array(d));
      },
      close() {
        closed = true;
      },
      error() {
        closed = true;
      },
    },
  });
  for (const c of chunks) {
    let b = c;
    for (let tries = 0; b.length > 0 && tries < 10_000; tries++) {
      b = b.subarray(s.write(b));
      if (b.length > 0) await Bun.sleep(1);
    }
    await Bun.sleep(30);
  }
  const deadline = Date.now() + settleMs;
  while (!closed && Date.now() < deadline) await Bun.sleep(10);
  const closedByPeer = closed; // before our own end() (its close callback may run at once)
  s.end();
  return { reply: Buffer.concat(got).toString("latin1"), closed: closedByPeer };
}

const cases: [string, (string | Uint8Array)[]][] = [
  // framing errors
  ["mbulk count not a number", ["*abc\r\n"]],
  ["mbulk count empty", ["*\r\nPING\r\n"]],
  ["mbulk count leading zero", ["*01\r\n"]],
  ["mbulk count past INT_MAX", ["*2147483648\r\n"]],
  ["negative bulk length", ["*1\r\n$-1\r\n"]],
  ["bulk length with +", ["*1\r\n$+3\r\nfoo\r\n"]],
  ["bulk length past proto-max-bulk-len", ["*1\r\n$536870913\r\n"]],
  ["expected $", ["*1\r\nx3\r\n"]],
  ["expected $ got CR", ["*1\r\n\r\n"]],
  ["expected $ got :", ["*2\r\n$1\r\na\r\n:1\r\n"]],
  ["too big mbulk count string", [`*${"1".repeat(70000)}`]],
  ["too big bulk count string", [`*1\r\n$${"1".repeat(70000)}`]],
  ["too big inline request", ["x".repeat(70000)]],
  ["unbalanced quotes", ['ECHO "a"b\r\n']],
  ["unterminated quote", ["ECHO 'abc\r\n"]],
  // requests before an error still run; requests after it do not
  [
    "good then bad then good",
    [Buffer.concat([mb("NOSUCH", "1"), enc.encode("*x\r\n"), mb("NOSUCH", "2")])],
  ],
  // parsing, seen through the unknown-command error that quotes the arguments
  ["inline plain", ["NOSUCH a  b\tc\r\n"]],
  ["inline LF only", ["NOSUCH a\nNOSUCH b\n"]],
  ["inline quotes", ['NOSUCH "a\\x41\\tb" \'it\\\'s\' foo"bar baz"\r\n']],
  ["empty lines are skipped", ["\r\n\n   \r\nNOSUCH x\r\n"]],
  ["*0 and *-1 are skipped", ["*0\r\n*-1\r\nNOSUCH y\r\n"]],
  ["LF after CR not checked", ["*2\rX$6\rYNOSUCH\r\n$1\r\nz\r\n"]],
  ["multibulk binary", [mb("NOSUCH", new Uint8Array([1, 2, 13, 10, 255]), "")]],
  [
    "split across packets",
    [
      enc.encode("*2\r\n$6\r\nNOS"),
      enc.encode("UCH\r\n$3\r"),
      enc.encode("\nabc\r\nNOSUCH q\r"),
      enc.encode("\n"),
    ],
  ],
  ["many args", [mb("NOSUCH", ...Array.from({ length: 60 }, (_, i) => `arg${i}`))]],
];

describe.skipIf(skip)("RESP framing is Redis's", () => {
  for (const [name, chunks] of cases) {
    test(name, async () => {
      const bufs = chunks.map((c) => (typeof c === "string" ? enc.encode(c) : c));
      const [a, b] = await Promise.all([
        exchange(servers.imds.port, bufs),
        exchange(servers.redis.port, bufs),
      ]);
      expect(b.reply.length).toBeGreaterThan(0); // the probe itself works
      expect(a).toEqual(b);
    });
  }

  test("a NUL in a header or inline line: no reply, the connection waits (Redis's strchr)", async () => {
    for (const input of ["PING\0\r\n", "*1\r\n\0x\r\n", "*1\0\r\n$4\r\nPING\r\n"]) {
      const bufs = [enc.encode(input)];
      const [a, b] = await Promise.all([
        exchange(servers.imds.port, bufs, 200),
        exchange(servers.redis.port, bufs, 200),
      ]);
      expect(b).toEqual({ reply: "", closed: false });
      expect(a).toEqual(b);
    }
    const big = [enc.encode(`NOSUCH a\0${"x".repeat(70000)}\n`)];
    const [a, b] = await Promise.all([
      exchange(servers.imds.port, big),
      exchange(servers.redis.port, big),
    ]);
    expect(b.reply).toBe("-ERR Protocol error: too big inline request\r\n");
    expect(a).toEqual(b);
  });

  test("client-query-buffer-limit: closed without a reply, as redis-server", async () => {
    const [pi, pr] = await Promise.all([
      startImds(["--client-query-buffer-limit", "1mb"]),
      startRedis(["--client-query-buffer-limit", "1mb"]),
    ]);
    try {
      const head = enc.encode("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n");
      const body = new Uint8Array(1536 * 1024).fill(120);
      const bufs = [head, body];
      const [a, b] = await Promise.all([
        exchange(pi.port, bufs, 2000),
        exchange(pr.port, bufs, 2000),
      ]);
      expect(b).toEqual({ reply: "", closed: true });
      expect(a).toEqual(b);
    } finally {
      await Promise.all([pi.stop(), pr.stop()]);
    }
  });

  test("before AUTH: Redis's unauthenticated limits", async () => {
    const [pi, pr] = await Promise.all([
      startImds(["--requirepass", "pw"]),
      startRedis(["--requirepass", "pw"]),
    ]);
    try {
      for (const input of ["*11\r\n", "*1\r\n$16385\r\n"]) {
        const bufs = [enc.encode(input)];
        const [a, b] = await Promise.all([exchange(pi.port, bufs), exchange(pr.port, bufs)]);
        expect(a).toEqual(b);
        expect(a.closed).toBe(true);
      }
    } finally {
      await Promise.all([pi.stop(), pr.stop()]);
    }
  });
});
