// The command boundary: a data command runs on a CommandContext alone (a keyspace, a reply
// writer, arguments), with no server, client or socket; every write it makes reaches the
// keyspace's observers through the one signal; and an exception escaping a handler is treated
// as a broken invariant (the server stops) rather than answered and carried on.

import { afterEach, expect, test } from "bun:test";
import { AssertionFailure, assertMode } from "../../src/assert.ts";
import { CommandContext, CommandLimits } from "../../src/commands/context.ts";
import { stringCommands } from "../../src/commands/strings.ts";
import { CommandTable, cmd } from "../../src/commands/table.ts";
import { zsetCommands } from "../../src/commands/zset.ts";
import { Args } from "../../src/protocol/args.ts";
import { OutBuf } from "../../src/protocol/outbuf.ts";
import { MODE_RESP2, Reply } from "../../src/protocol/reply.ts";
import { Keyspace } from "../../src/store/keyspace.ts";
import type { KeyObserver } from "../../src/store/notify.ts";
import { InProc } from "../helpers/inproc.ts";

const enc = new TextEncoder();

/** Point args at the words of `line` (space separated). */
function setArgs(a: Args, line: string): void {
  const words = line.split(" ");
  const buf = enc.encode(words.join(""));
  a.reserve(words.length);
  a.buf = buf;
  a.count = words.length;
  let off = 0;
  words.forEach((w, i) => {
    a.offs[i] = off;
    a.lens[i] = w.length;
    off += w.length;
  });
}

function handler(name: string) {
  const def = [...stringCommands, ...zsetCommands].find((d) => d.name === name);
  if (def === undefined) throw new Error(name);
  return def.handler as (c: CommandContext) => void;
}

afterEach(() => {
  assertMode.throwInstead = false;
});

test("a data handler runs on a bare CommandContext: no server, client or socket", () => {
  const ks = new Keyspace(16);
  const out = new OutBuf();
  const reply = new Reply(out);
  reply.mode = MODE_RESP2;
  const ctx = new CommandContext(ks, new CommandLimits(), reply, new Args());
  const events: string[] = [];
  const observer: KeyObserver = {
    keyModified: (db, buf, off, len, _cls, event) =>
      events.push(`${db}:${event}:${new TextDecoder().decode(buf.subarray(off, off + len))}`),
    flushed: () => {},
    swapped: () => {},
  };
  ks.addObserver(observer);
  const run = (line: string) => {
    setArgs(ctx.argv, line);
    handler(line.split(" ")[0]!.toLowerCase())(ctx);
  };
  run("set greeting hello");
  run("get greeting");
  run("incr counter");
  ctx.db = 3;
  run("zadd board 1 ann");
  run("zadd board 1 ann"); // no change: no signal
  const text = new TextDecoder().decode(out.buf.subarray(out.start, out.end));
  expect(text).toBe("+OK\r\n$5\r\nhello\r\n:1\r\n:1\r\n:0\r\n");
  expect(events).toEqual(["0:set:greeting", "0:incrby:counter", "3:zadd:board"]);
  expect(ks.dirty).toBe(3);
  expect(ks.hits).toBe(1); // GET's read lookup; writes are not counted
});

test("every store-initiated removal signals too: lazy expiry", () => {
  const p = new InProc(MODE_RESP2);
  const events: string[] = [];
  p.server.keyspace.addObserver({
    keyModified: (db, _b, _o, _l, _c, event) => events.push(`${db}:${event}`),
    flushed: (db) => events.push(`flush:${db}`),
    swapped: (a, b) => events.push(`swap:${a}:${b}`),
  });
  p.at(1_000_000);
  p.call("SET", "k", "v", "PX", "10");
  p.at(1_000_100);
  expect(p.call("GET", "k")).toBe(null);
  p.call("FLUSHDB");
  p.call("SWAPDB", "0", "1");
  p.call("FLUSHALL");
  expect(events).toEqual(["0:set", "0:expire", "0:expired", "flush:0", "swap:0:1", "flush:-1"]);
});

test("an exception escaping a handler is a broken invariant: the server stops", () => {
  assertMode.throwInstead = true; // instead of process.exit, for this test
  const p = new InProc(MODE_RESP2);
  const t = new CommandTable();
  // A "bug": the handler of a real command name throws half-way.
  t.register([
    cmd("get", () => {
      throw new TypeError("corrupt index");
    }),
  ]);
  (p.server as unknown as { commands: CommandTable }).commands = t;
  expect(() => p.call("GET", "x")).toThrow(AssertionFailure);
});
