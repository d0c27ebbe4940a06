// Generic key commands (work on keys of any type).

import type { Client } from "../server/client.ts";
import { type CommandSpec, command } from "./table.ts";

/** DEL key [key ...]: number of keys removed. */
function del(c: Client): void {
  const a = c.argv;
  const ks = c.server.keyspace;
  const t = ks.db(c.db);
  let n = 0;
  for (let i = 1; i < a.count; i++) {
    const e = ks.lookupWrite(c.db, a.buf, a.off(i), a.len(i));
    if (e >= 0) {
      t.remove(e);
      n++;
    }
  }
  c.reply.int(n);
}

/** The original imds DEL: `del key` answers OK (status 0) or not found (status 1). */
function delV1(c: Client): void {
  const a = c.argv;
  if (a.count !== 2) return c.reply.error("ERR wrong number of arguments");
  const ks = c.server.keyspace;
  const e = ks.lookupWrite(c.db, a.buf, a.off(1), a.len(1));
  if (e < 0) return c.reply.nil();
  ks.db(c.db).remove(e);
  c.reply.ok();
}

export const keyCommands: CommandSpec[] = [
  command("del", -2, "write", [1, -1, 1], "generic", "Deletes one or more keys.", del, {
    since: "1.0.0",
    v1Handler: delV1,
  }),
];
