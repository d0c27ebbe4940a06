// The blocking machinery as the next users (XREAD BLOCK, transactions) will use it: a command
// that re-runs on a ready key and decides it still cannot be served stays blocked in its
// place; a context with denyBlocking cannot block. Runs in process on the real Server and
// Client, with BLPOP's table entry pointed at a test handler ("serve only when the list
// has at least two elements, then take two").

import { expect, test } from "bun:test";
import type { CommandContext } from "../../src/commands/context.ts";
import { MODE_RESP2 } from "../../src/protocol/reply.ts";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { Client, FRAMING_V1 } from "../../src/server/client.ts";
import type { List } from "../../src/store/list.ts";
import { TYPE_LIST } from "../../src/store/table.ts";
import { fakeSocket, InProc } from "../helpers/inproc.ts";

const enc = new TextEncoder();

function fakeClient(h: InProc, id: number) {
  const sink: Uint8Array[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: a socket stand-in with just what Client uses
  const c = new Client(id, h.server, fakeSocket(sink, id) as any);
  c.framing = FRAMING_V1;
  c.reply.mode = MODE_RESP2;
  h.server.clients.set(id, c);
  const send = (...args: string[]) => c.onData(encodeV1Request(args.map((a) => enc.encode(a))));
  const take = () => {
    const s = Buffer.concat(sink).toString("latin1");
    sink.length = 0;
    return s;
  };
  return { c, send, take };
}

test("a re-run that cannot serve stays blocked in its place; served in FIFO order", () => {
  const h = new InProc(MODE_RESP2);
  const spec = h.server.commands.lookup(enc.encode("blpop"), 0, 5)!;
  const calls: number[] = [];
  const takeTwo = (ctx: CommandContext) => {
    const sess = ctx as CommandContext & { client: { id: number } };
    calls.push(sess.client.id);
    const t = ctx.table;
    const a = ctx.argv;
    const e = t.find(a.buf, a.off(1), a.len(1));
    const n = e < 0 ? 0 : (t.getObj(e) as List).length;
    if (n < 2) {
      if (!ctx.block(1, 1, TYPE_LIST, 0)) ctx.reply.nilArray();
      return;
    }
    // serve: take two
    const l = t.getObj(e) as List;
    l.dropLeft();
    l.dropLeft();
    ctx.reply.int(2);
    if (l.length === 0) ctx.keyspace.removeEntry(t, e);
  };
  (spec as { handler: unknown }).handler = takeTwo;

  const a = fakeClient(h, 10);
  const b = fakeClient(h, 11);
  a.send("BLPOP", "k", "0");
  b.send("BLPOP", "k", "0");
  expect(h.server.blocking.count).toBe(2);
  expect(a.c.describe(Date.now())).toContain("flags=b");
  h.call("RPUSH", "k", "x"); // ready, but one element: a re-runs, stays; then b, stays
  expect(calls).toEqual([10, 11, 10, 11]);
  expect(a.take() + b.take()).toBe("");
  h.call("RPUSH", "k", "y"); // a (first in line) is served; the list is gone, b stays
  expect(a.take()).toBe(":2\r\n");
  expect(b.take()).toBe("");
  expect(h.server.blocking.count).toBe(1);
  h.call("RPUSH", "k", "1", "2", "3");
  expect(b.take()).toBe(":2\r\n");
  expect(h.server.blocking.count).toBe(0);
  expect(h.call("LRANGE", "k", "0", "-1")).toEqual(["3"]);
  // denyBlocking (EXEC, scripts): no block, the command answers itself
  a.c.ctx.denyBlocking = true;
  h.call("DEL", "k");
  a.send("BLPOP", "k", "0");
  expect(a.take()).toBe("*-1\r\n");
  expect(h.server.blocking.count).toBe(0);
  // a blocked client that goes away leaves no queue behind
  b.send("BLPOP", "k", "0");
  expect(h.server.blocking.count).toBe(1);
  b.c.close();
  expect(h.server.blocking.count).toBe(0);
  h.call("RPUSH", "k", "1", "2");
  expect(h.call("LLEN", "k")).toBe(2);
});
