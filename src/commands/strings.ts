// String commands. Values live as bytes in the arena; replies copy straight
// from the arena into the output buffer.

import type { Client } from "../server/client.ts";
import { TYPE_STRING } from "../store/table.ts";
import { type CommandSpec, command } from "./table.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";

function get(c: Client): void {
  const a = c.argv;
  const ks = c.server.keyspace;
  const e = ks.lookupRead(c.db, a.buf, a.off(1), a.len(1));
  if (e < 0) {
    c.server.stats.keyspaceMisses++;
    return c.reply.nil();
  }
  const t = ks.db(c.db);
  if (t.type[e] !== TYPE_STRING) return c.reply.error(WRONGTYPE);
  c.server.stats.keyspaceHits++;
  c.reply.bulk(t.page(e), t.valueOffset(e), t.valLen[e]!);
}

function set(c: Client): void {
  const a = c.argv;
  if (a.count !== 3) return c.reply.error("ERR syntax error");
  const t = c.server.keyspace.db(c.db);
  const e = t.upsertString(a.buf, a.off(1), a.len(1), a.buf, a.off(2), a.len(2));
  t.expireAt[e] = 0; // a plain SET clears any TTL
  c.reply.ok();
}

export const stringCommands: CommandSpec[] = [
  command(
    "get",
    2,
    "readonly fast",
    [1, 1, 1],
    "string",
    "Returns the string value of a key.",
    get,
    { since: "1.0.0" },
  ),
  command(
    "set",
    -3,
    "write denyoom",
    [1, 1, 1],
    "string",
    "Sets the string value of a key, ignoring its type.",
    set,
    { since: "1.0.0" },
  ),
];
