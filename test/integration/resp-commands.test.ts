// Connection and server commands against the real redis-server 7.0: each
// script runs on a fresh connection to both servers and the raw replies must
// be identical (after masking values that legitimately differ: client ids,
// ports, clocks).

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespRawConn } from "../helpers/resp-conn.ts";
import { ROOT, type Running, redisMissing, startImds, startRedis } from "../helpers/servers.ts";

const skip = redisMissing("connection/server command differential tests");

let imds: Running;
let redis: Running;
beforeAll(async () => {
  if (skip) return;
  [imds, redis] = await Promise.all([startImds(), startRedis(["--enable-debug-command", "yes"])]);
});
afterAll(async () => {
  await Promise.all([imds?.stop(), redis?.stop()]);
});

/** Mask what differs between two servers by nature (ids, ports, times). */
function mask(reply: string): string {
  return reply
    .replace(/\$2\r\nid\r\n:\d+/g, "$2\r\nid\r\n:ID")
    .replace(/\r\n:\d{5,}\r\n/g, "\r\n:BIG\r\n")
    .replace(/avg_ttl=\d+/g, "avg_ttl=T")
    .replace(/^[$=]\d+\r\n(txt:)?# /, "$N\r\n$1# ");
}

type Script = { name: string; cmds: string[][]; replies?: number; proto?: 3 };

const s = (line: string): string[] => line.split(" ");

const scripts: Script[] = [
  {
    name: "PING and ECHO",
    cmds: [["PING"], ["PING", "hello"], ["PING", "a", "b"], ["ECHO", "x y"], ["ECHO"]],
  },
  {
    name: "SELECT",
    cmds: [
      s("SELECT 1"),
      s("SELECT x"),
      s("SELECT 16"),
      s("SELECT -1"),
      s("SELECT 1.5"),
      s("SELECT 1 2"),
      s("SELECT 99999999999999999999"),
    ],
  },
  {
    name: "MOVE",
    cmds: [
      s("SET k v"),
      s("MOVE k 1"),
      s("MOVE k 1"),
      s("MOVE k 0"),
      s("MOVE k x"),
      s("MOVE k 16"),
      s("MOVE nokey 1"),
      s("SELECT 1"),
      s("DBSIZE"),
      s("GET k"),
      s("SET k other"),
      s("SELECT 0"),
      s("SET k again"),
      s("MOVE k 1"),
      s("GET k"),
      s("MOVE"),
    ],
  },
  {
    name: "SWAPDB",
    cmds: [
      s("SWAPDB 0 x"),
      s("SWAPDB x 0"),
      s("SWAPDB 0 16"),
      s("SWAPDB -1 1"),
      s("SET a 1"),
      s("SWAPDB 0 1"),
      s("DBSIZE"),
      s("SELECT 1"),
      s("DBSIZE"),
      s("GET a"),
      s("SWAPDB 1 1"),
      s("SWAPDB 0"),
    ],
  },
  {
    name: "FLUSHDB FLUSHALL DBSIZE",
    cmds: [
      s("SET a 1"),
      s("SELECT 2"),
      s("SET b 2"),
      s("FLUSHDB x"),
      s("FLUSHDB ASYNC"),
      s("DBSIZE"),
      s("SELECT 0"),
      s("DBSIZE"),
      s("FLUSHDB sync"),
      s("SET c 3"),
      s("FLUSHALL async x"),
      s("FLUSHALL foo"),
      s("FLUSHALL SYNC"),
      s("DBSIZE"),
      s("DBSIZE x"),
    ],
  },
  {
    name: "HELLO errors and RESP2 reply",
    cmds: [
      s("HELLO 4"),
      s("HELLO 1"),
      s("HELLO x"),
      s("HELLO 3 FOO"),
      s("HELLO 3 AUTH"),
      s("HELLO 3 SETNAME"),
      ["HELLO", "3", "SETNAME", "a b"],
      s("HELLO"),
      s("HELLO 2 SETNAME nm"),
      s("CLIENT GETNAME"),
    ],
  },
  {
    name: "HELLO 3 switches to RESP3 replies",
    cmds: [
      s("HELLO 3"),
      s("PING"),
      s("GET nokey"),
      s("SET k 1"),
      s("CONFIG GET maxmemory"),
      s("INFO keyspace"),
      s("CLIENT GETNAME"),
      s("COMMAND INFO get echo"),
      s("COMMAND DOCS nosuch"),
      s("NOSUCH x"),
      s("HELLO 2"),
      s("CONFIG GET maxmemory"),
      s("INFO keyspace"),
    ],
  },
  {
    name: "AUTH without a password configured",
    cmds: [
      s("AUTH x"),
      s("AUTH default x"),
      s("AUTH a b"),
      s("AUTH a b c"),
      s("AUTH"),
      s("HELLO 3 AUTH default x"),
      s("HELLO 2 AUTH nobody x"),
    ],
  },
  {
    name: "CLIENT errors, names",
    cmds: [
      s("CLIENT"),
      s("CLIENT FOO"),
      s("CLIENT SETNAME"),
      s("CLIENT SETNAME a b"),
      ["CLIENT", "SETNAME", "a b"],
      ["CLIENT", "SETNAME", "a\nb"],
      s("CLIENT GETNAME"),
      s("CLIENT SETNAME n1"),
      s("CLIENT GETNAME"),
      ["CLIENT", "SETNAME", ""],
      s("CLIENT GETNAME"),
      s("CLIENT GETNAME x"),
      s("CLIENT ID x"),
      s("CLIENT INFO x"),
      s("CLIENT LIST ID x"),
      s("CLIENT LIST ID 0"),
      s("CLIENT LIST TYPE foo"),
      s("CLIENT LIST foo"),
      s("CLIENT LIST ID 99999 99998"),
      s("CLIENT LIST TYPE pubsub"),
      s("CLIENT SETINFO lib-name x"),
      s("client setname lower"),
      s("client getname"),
    ],
  },
  {
    name: "CLIENT KILL forms",
    cmds: [
      s("CLIENT KILL"),
      s("CLIENT KILL 1.2.3.4:5"),
      s("CLIENT KILL ID 99999"),
      s("CLIENT KILL ID x"),
      s("CLIENT KILL ID 0"),
      s("CLIENT KILL ADDR 1.2.3.4:5"),
      s("CLIENT KILL LADDR 1.2.3.4:5"),
      s("CLIENT KILL foo bar"),
      s("CLIENT KILL SKIPME maybe"),
      s("CLIENT KILL ID"),
      s("CLIENT KILL TYPE foo"),
      s("CLIENT KILL TYPE pubsub"),
      s("CLIENT KILL ID 1 SKIPME"),
      s("CLIENT KILL USER nobody"),
    ],
  },
  {
    name: "CLIENT NO-EVICT and REPLY",
    cmds: [
      s("CLIENT NO-EVICT on"),
      s("CLIENT NO-EVICT OFF"),
      s("CLIENT NO-EVICT x"),
      s("CLIENT REPLY x"),
      s("CLIENT REPLY OFF"),
      s("PING"),
      s("NOSUCH"),
      s("CLIENT REPLY ON"),
      s("PING"),
      s("CLIENT REPLY SKIP"),
      s("ECHO skipped"),
      s("ECHO shown"),
      s("CLIENT REPLY SKIP"),
      s("CLIENT REPLY SKIP"),
      s("ECHO skipped2"),
      s("ECHO shown2"),
    ],
    replies: 8,
  },
  {
    name: "CONFIG errors and multi SET",
    cmds: [
      s("CONFIG"),
      s("CONFIG FOO"),
      s("CONFIG GET"),
      s("CONFIG GET nosuch"),
      s("CONFIG GET maxmemory"),
      s("CONFIG GET maxmemory maxmemory MAXMEMORY"),
      s("CONFIG GET appendonly"),
      s("CONFIG GET maxmemory-p*"),
      s("CONFIG GET [h]z"),
      s("CONFIG GET MAXMEMORY-POLIC?"),
      s("CONFIG SET"),
      s("CONFIG SET port"),
      s("CONFIG SET nosuch 1"),
      s("CONFIG SET maxmemory x"),
      s("CONFIG SET hz 1 hz 2"),
      s("CONFIG SET maxmemory 1mb timeout x"),
      s("CONFIG GET maxmemory"),
      s("CONFIG SET daemonize yes"),
      s("CONFIG SET maxmemory 0 port"),
      s("CONFIG SET appendonly maybe"),
      s("CONFIG SET maxmemory-policy bogus"),
      s("CONFIG SET maxmemory-policy ALLKEYS-LRU"),
      s("CONFIG GET maxmemory-policy"),
      s("CONFIG SET maxmemory-policy noeviction"),
      s("CONFIG SET appendfsync sometimes"),
      s("CONFIG SET loglevel loud"),
      s("CONFIG SET loglevel nothing"),
      s("CONFIG SET maxmemory 2mb timeout 7"),
      s("CONFIG GET maxmemory"),
      s("CONFIG GET timeout"),
      s("CONFIG SET maxmemory 0 timeout 0"),
      s("CONFIG RESETSTAT x"),
      s("CONFIG RESETSTAT"),
      s("CONFIG REWRITE"),
      s("CONFIG REWRITE x"),
    ],
  },
  {
    name: "TIME DEBUG FUNCTION",
    cmds: [
      s("TIME x"),
      s("DEBUG"),
      s("DEBUG FOO"),
      s("DEBUG SLEEP"),
      s("DEBUG SLEEP 0"),
      s("DEBUG SLEEP x"),
      s("DEBUG SLEEP 0.05"),
      s("FUNCTION"),
      s("FUNCTION LIST"),
      s("FUNCTION LIST WITHCODE"),
      s("FUNCTION LIST x"),
      s("FUNCTION FLUSH"),
      s("FUNCTION FLUSH ASYNC"),
      s("FUNCTION FLUSH sync"),
      s("FUNCTION FLUSH x"),
      s("FUNCTION FOO"),
      s("FUNCTION LIST LIBRARYNAME"),
      s("FUNCTION LIST LIBRARYNAME x WITHCODE"),
    ],
  },
  {
    name: "COMMAND",
    cmds: [
      s("COMMAND FOO"),
      s("COMMAND COUNT x"),
      s("COMMAND INFO get nosuch echo ping"),
      s("COMMAND GETKEYS get k"),
      s("COMMAND GETKEYS get"),
      s("COMMAND GETKEYS nosuch x"),
      s("COMMAND GETKEYS ping"),
      s("COMMAND GETKEYS ping x"),
      s("COMMAND GETKEYS get a b"),
      s("COMMAND GETKEYS echo a b"),
      s("COMMAND GETKEYS del a b c"),
      s("COMMAND DOCS nosuch"),
      s("COMMAND LIST x"),
      s("COMMAND LIST FILTERBY foo x"),
      s("COMMAND LIST FILTERBY module x"),
      s("COMMAND INFO CONFIG|GET"),
    ],
  },
  {
    name: "INFO selection",
    cmds: [
      s("INFO nosuch"),
      s("INFO keyspace"),
      s("SET a 1"),
      s("SELECT 3"),
      s("SET b 1"),
      s("INFO KEYSPACE"),
      s("INFO a b"),
      s("SET e 1 EX 1000"),
      s("SET f 1 PX 5000000"),
      s("INFO keyspace"),
    ],
  },
  {
    name: "unknown commands",
    cmds: [s("NOSUCH"), s("NOSUCH a b"), ["nosuch", "x".repeat(200)], ["GET"], ["GET", "a", "b"]],
  },
];

async function runScript(port: number, sc: Script): Promise<string[]> {
  const c = await RespRawConn.open(port);
  try {
    await c.call(["FLUSHALL"], ["SELECT", "0"]);
    await c.send(...sc.cmds);
    const got = await c.replies(sc.replies ?? sc.cmds.length);
    await Bun.sleep(20);
    expect(c.pendingBytes).toBe(0); // no extra replies
    return got.map(mask);
  } finally {
    c.close();
  }
}

describe.skipIf(skip)("same replies as redis-server 7.0", () => {
  for (const sc of scripts) {
    test(sc.name, async () => {
      const want = await runScript(redis.port, sc);
      const got = await runScript(imds.port, sc);
      expect(got).toEqual(want);
    });
  }

  test("QUIT replies OK and closes; RESET answers +RESET", async () => {
    for (const port of [imds.port, redis.port]) {
      const c = await RespRawConn.open(port);
      expect(
        await c.call(["HELLO", "3"], ["SELECT", "2"], ["RESET"], ["CONFIG", "GET", "timeout"]),
      ).toEqual([
        expect.stringMatching(/^%7/),
        "+OK\r\n",
        "+RESET\r\n",
        "*2\r\n$7\r\ntimeout\r\n$1\r\n0\r\n", // back to RESP2
      ]);
      expect(await c.call(["QUIT", "x"], ["PING"]).catch((e) => String(e))).toContain(
        "closed after 1",
      );
      expect(await c.waitClosed()).toBe(true);
    }
  });

  test("with requirepass: NOAUTH, WRONGPASS, HELLO AUTH, limits", async () => {
    const [pi, pr] = await Promise.all([
      startImds(["--requirepass", "pw"]),
      startRedis(["--requirepass", "pw"]),
    ]);
    try {
      const sc: Script = {
        name: "auth",
        cmds: [
          s("PING"),
          s("GET"),
          s("CLIENT FOO"),
          s("HELLO 3"),
          s("HELLO"),
          s("HELLO 3 AUTH default bad"),
          s("HELLO 3 AUTH foo pw"),
          s("AUTH bad"),
          s("AUTH default bad"),
          s("PING"),
          s("AUTH pw"),
          s("PING"),
          s("RESET"),
          s("PING"),
          s("HELLO 2 AUTH default pw SETNAME me"),
          s("CLIENT GETNAME"),
          s("AUTH default pw"),
          s("AUTH x y z"),
        ],
      };
      const run = async (port: number) => {
        const c = await RespRawConn.open(port);
        await c.send(...sc.cmds);
        const r = (await c.replies(sc.cmds.length)).map(mask);
        c.close();
        return r;
      };
      expect(await run(pi.port)).toEqual(await run(pr.port));
    } finally {
      await Promise.all([pi.stop(), pr.stop()]);
    }
  });
});

describe.skipIf(skip)("imds-only checks", () => {
  test("CLIENT LIST / INFO lines have Redis's fields; KILL by ID and ADDR", async () => {
    const a = await RespRawConn.open(imds.port);
    const b = await RespRawConn.open(imds.port);
    const [idA] = await a.call(["CLIENT", "ID"]);
    await b.call(["CLIENT", "SETNAME", "victim"], ["SELECT", "3"]);
    const [list] = await a.call(["CLIENT", "LIST"]);
    const fields = [
      "id",
      "addr",
      "laddr",
      "fd",
      "name",
      "age",
      "idle",
      "flags",
      "db",
      "sub",
      "psub",
      "ssub",
      "multi",
      "qbuf",
      "qbuf-free",
      "argv-mem",
      "multi-mem",
      "rbs",
      "rbp",
      "obl",
      "oll",
      "omem",
      "tot-mem",
      "events",
      "cmd",
      "user",
      "redir",
      "resp",
    ];
    const lines = list!.split("\r\n")[1]!.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l.split(" ").map((kv) => kv.split("=")[0])).toEqual(fields);
    const victim = lines.find((l) => l.includes("name=victim"))!;
    expect(victim).toContain(" db=3 ");
    expect(victim).toContain(" cmd=select ");
    const victimId = /id=(\d+)/.exec(victim)![1]!;
    const [info] = await a.call(["CLIENT", "INFO"]);
    expect(info).toContain(`id=${idA!.slice(1, -2)} `);
    expect(info).toContain("cmd=client|info");
    expect(await a.call(["CLIENT", "KILL", "ID", victimId])).toEqual([":1\r\n"]);
    expect(await b.waitClosed()).toBe(true);
    // Old form by address, then the caller itself with SKIPME no.
    const c = await RespRawConn.open(imds.port);
    const [cinfo] = await c.call(["CLIENT", "INFO"]);
    const addr = /addr=(\S+)/.exec(cinfo!)![1]!;
    expect(await a.call(["CLIENT", "KILL", addr])).toEqual(["+OK\r\n"]);
    expect(await c.waitClosed()).toBe(true);
    expect(await a.call(["CLIENT", "KILL", "ID", idA!.slice(1, -2), "SKIPME", "no"])).toEqual([
      ":1\r\n",
    ]);
    expect(await a.waitClosed()).toBe(true);
  });

  test("INFO has the sections and fields clients read", async () => {
    const c = await RespRawConn.open(imds.port);
    await c.call(["SET", "k", "v"], ["GET", "k"], ["GET", "nokey"]);
    const [all] = await c.call(["INFO", "everything"]);
    for (const title of [
      "Server",
      "Clients",
      "Memory",
      "Persistence",
      "Stats",
      "Replication",
      "CPU",
      "Keyspace",
    ]) {
      expect(all).toContain(`# ${title}\r\n`);
    }
    for (const f of [
      "redis_version:7.0.15",
      "redis_mode:standalone",
      `tcp_port:${imds.port}`,
      "uptime_in_seconds:",
      "connected_clients:",
      "used_memory:",
      "used_memory_human:",
      "maxmemory_policy:noeviction",
      "total_commands_processed:",
      "keyspace_hits:",
      "keyspace_misses:",
      "role:master",
      "used_cpu_sys:",
      "db0:keys=1,expires=0,avg_ttl=0",
      "loading:0",
      "rdb_changes_since_last_save:",
    ]) {
      expect(all).toContain(f);
    }
    const [def] = await c.call(["INFO"]);
    expect(def).toContain("# Server\r\n");
    expect(def).not.toContain("# Commandstats");
    const [two] = await c.call(["INFO", "server", "CLIENTS"]);
    expect(two!.match(/^# /gm)).toEqual(["# ", "# "]);
    c.close();
  });

  test("CONFIG SET is applied (proto-max-bulk-len) and restored on a failed multi SET", async () => {
    const c = await RespRawConn.open(imds.port);
    expect(await c.call(["CONFIG", "SET", "proto-max-bulk-len", "1mb"])).toEqual(["+OK\r\n"]);
    const big = "x".repeat(1024 * 1024 + 1);
    await c.send(["SET", "k", big]);
    expect(await c.replies(1)).toEqual(["-ERR Protocol error: invalid bulk length\r\n"]);
    expect(await c.waitClosed()).toBe(true);
    const d = await RespRawConn.open(imds.port);
    expect(
      await d.call(
        ["CONFIG", "SET", "proto-max-bulk-len", "512mb"],
        ["CONFIG", "GET", "proto-max-bulk-len"],
      ),
    ).toEqual(["+OK\r\n", "*2\r\n$18\r\nproto-max-bulk-len\r\n$9\r\n536870912\r\n"]);
    d.close();
  });

  test("TIME is now; DEBUG SLEEP blocks", async () => {
    const c = await RespRawConn.open(imds.port);
    const [t] = await c.call(["TIME"]);
    const secs = Number(/^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$/.exec(t!)![1]);
    expect(Math.abs(secs - Date.now() / 1000)).toBeLessThan(5);
    const t0 = Date.now();
    expect(await c.call(["DEBUG", "SLEEP", "0.2"])).toEqual(["+OK\r\n"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    c.close();
  });
});

test("CONFIG REWRITE rewrites the start-line config file, keeping comments", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imds-rewrite-"));
  const conf = join(dir, "imds.conf");
  writeFileSync(conf, "# my settings\nmaxclients 50\nhz 10\n\n# end\n");
  const p = Bun.spawn(["bun", join(ROOT, "src/main.ts"), conf, "--port", "0"], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const reader = p.stdout.getReader();
    let text = "";
    const deadline = Date.now() + 15_000;
    let m: RegExpExecArray | null = null;
    while (!m && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      m = /imds listening on \S+:(\d+)/.exec(text);
    }
    expect(m).not.toBeNull();
    const c = await RespRawConn.open(Number(m![1]));
    expect(
      await c.call(
        ["CONFIG", "SET", "maxclients", "60", "timeout", "5"],
        ["CONFIG", "SET", "requirepass", "two words"],
        ["CONFIG", "REWRITE"],
      ),
    ).toEqual(["+OK\r\n", "+OK\r\n", "+OK\r\n"]);
    c.close();
    const lines = readFileSync(conf, "utf8").split("\n");
    expect(lines.slice(0, 2)).toEqual(["# my settings", "maxclients 60"]);
    expect(lines).toContain("hz 10"); // in the file, so kept even at its default, as Redis 7.0 rewrites
    expect(lines).toContain("# end");
    expect(lines).toContain("timeout 5");
    expect(lines).toContain('requirepass "two words"');
    expect(lines).toContain("port 0"); // the running value, from the start line
    // The rewritten file parses: the only complaint is the bad flag, applied after the file.
    const again = Bun.spawnSync(["bun", join(ROOT, "src/main.ts"), conf, "--port", "-1"], {
      cwd: ROOT,
    });
    expect(again.stderr.toString()).toContain(">>> 'port \"-1\"'"); // parsed up to our flag
  } finally {
    p.kill("SIGTERM");
    await p.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
