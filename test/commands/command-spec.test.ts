// The command table against redis-server 7.0: for every command and subcommand imds
// implements, COMMAND INFO and COMMAND DOCS answer byte for byte as Redis does (RESP2 and
// RESP3), and COMMAND GETKEYS finds the same keys through the key specs.

import { describe, expect, test } from "bun:test";
import { CommandTable, cmd } from "../../src/commands/table.ts";
import { serverPair } from "../helpers/pair.ts";
import type { Arg } from "../helpers/resp.ts";
import { redisMissing } from "../helpers/servers.ts";

const skip = redisMissing("COMMAND INFO/DOCS/GETKEYS differential test");

const servers = serverPair({ skip, connect: true });

/** Every name imds serves, containers' subcommands as "container|sub". */
async function imdsNames(): Promise<string[]> {
  const list = (await servers.imdsConn.call("COMMAND", "LIST")) as string[];
  return list.sort();
}

/** Redis's reply for a container lists all its subcommands; keep the ones imds implements. */
async function compareEach(cmds: Arg[][]): Promise<void> {
  const [ra, rb] = await Promise.all([servers.imdsConn.raws(cmds), servers.redisConn.raws(cmds)]);
  for (let i = 0; i < cmds.length; i++) {
    expect({ cmd: cmds[i]!.join(" "), reply: ra[i] }).toEqual({
      cmd: cmds[i]!.join(" "),
      reply: rb[i],
    });
  }
}

describe.skipIf(skip)("COMMAND vs redis-server 7.0", () => {
  test("COMMAND INFO of every command imds implements, RESP2 and RESP3", async () => {
    const names = await imdsNames();
    expect(names.length).toBeGreaterThan(100);
    // Containers list only their implemented subcommands: compare the subcommands one by one,
    // and the leaf commands whole.
    const leaves = names.filter(
      (n) => n.includes("|") || !names.some((m) => m.startsWith(`${n}|`)),
    );
    for (const proto of ["2", "3"]) {
      await Promise.all([
        servers.imdsConn.call("HELLO", proto),
        servers.redisConn.call("HELLO", proto),
      ]);
      await compareEach(leaves.map((n) => ["COMMAND", "INFO", n]));
    }
    await Promise.all([servers.imdsConn.call("HELLO", "2"), servers.redisConn.call("HELLO", "2")]);
  });

  test("COMMAND DOCS (arguments included, for redis-cli hints) of every leaf command", async () => {
    const names = await imdsNames();
    const leaves = names.filter(
      (n) => n.includes("|") || !names.some((m) => m.startsWith(`${n}|`)),
    );
    for (const proto of ["2", "3"]) {
      await Promise.all([
        servers.imdsConn.call("HELLO", proto),
        servers.redisConn.call("HELLO", proto),
      ]);
      await compareEach(leaves.map((n) => ["COMMAND", "DOCS", n]));
    }
    await Promise.all([servers.imdsConn.call("HELLO", "2"), servers.redisConn.call("HELLO", "2")]);
  });

  test("COMMAND GETKEYS follows the key specs", async () => {
    await compareEach([
      ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b"],
      ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["COMMAND", "GETKEYS", "ZINTER", "3", "a", "b", "c"],
      ["COMMAND", "GETKEYS", "ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
      ["COMMAND", "GETKEYS", "ZDIFFSTORE", "d", "1", "a"],
      ["COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"],
      ["COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "-1"],
      ["COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2", "c", "3"],
      ["COMMAND", "GETKEYS", "MGET", "a", "b", "c"],
      ["COMMAND", "GETKEYS", "DEL", "a", "b", "c"],
      ["COMMAND", "GETKEYS", "COPY", "a", "b", "DB", "1"],
      ["COMMAND", "GETKEYS", "RENAME", "a", "b"],
      ["COMMAND", "GETKEYS", "LCS", "a", "b"],
      ["COMMAND", "GETKEYS", "SET", "k", "v", "EX", "10"],
      ["COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"],
      ["COMMAND", "GETKEYS", "MOVE", "k", "1"],
      ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "0", "a"],
      ["COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "x", "a"],
      ["COMMAND", "GETKEYS", "PING"],
      ["COMMAND", "GETKEYS", "NOSUCH", "a"],
      ["COMMAND", "GETKEYS", "GET"],
    ]);
  });

  test("COMMAND COUNT counts what imds serves", async () => {
    const names = await imdsNames();
    const top = names.filter((n) => !n.includes("|")).length;
    expect(await servers.imdsConn.call("COMMAND", "COUNT")).toBe(top);
  });
});

describe("registration", () => {
  test("a command Redis 7.0 does not describe cannot register without its record", () => {
    const t = new CommandTable();
    expect(() => t.register([cmd("nosuchcommand", () => {})])).toThrow(/no such command/);
  });

  test("a subcommand must be named container|sub and exist in Redis", () => {
    const t = new CommandTable();
    expect(() =>
      t.register([cmd("client", () => {}, { subcommands: [cmd("list", () => {})] })]),
    ).toThrow(/must be named/);
    expect(() =>
      t.register([cmd("client", () => {}, { subcommands: [cmd("client|nosuch", () => {})] })]),
    ).toThrow(/no such command/);
  });

  test("specs carry Redis's flags as bits and its key specs", () => {
    const t = new CommandTable();
    t.register([cmd("zunionstore", () => {}), cmd("get", () => {})]);
    const z = t.get("zunionstore")!;
    expect(z.flagNames).toEqual(["write", "denyoom", "movablekeys"]);
    expect(z.keySpecs.length).toBe(2);
    expect(z.keySpecs[1]!.find_keys.type).toBe("keynum");
    expect(t.get("get")!.acl).toContain("@string");
  });
});
