// SHUTDOWN (AOF flushed and fsynced, RDB saved as asked) and BGREWRITEAOF (Redis 7.0's replies and error texts).

import type { SessionContext } from "../commands/context.ts";
import { SYNTAX } from "../commands/errors.ts";
import { type CommandDef, cmd } from "../commands/table.ts";

/** SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: on success there is no reply (it exits). */
function shutdown(c: SessionContext): void {
  const a = c.argv;
  let nosave = false;
  let save = false;
  let force = false;
  let abort = false;
  let other = false;
  for (let i = 1; i < a.count; i++) {
    if (a.is(i, "nosave")) nosave = true;
    else if (a.is(i, "save")) save = true;
    else if (a.is(i, "now")) other = true;
    else if (a.is(i, "force")) force = true;
    else if (a.is(i, "abort")) abort = true;
    else return c.reply.error(SYNTAX);
  }
  if ((abort && (nosave || save || force || other)) || (nosave && save)) {
    return c.reply.error(SYNTAX);
  }
  // Shutdown is immediate here (no wait for replicas), so there is never one to abort.
  if (abort) return c.reply.error("ERR No shutdown in progress.");
  // During a script past busy-reply-threshold only SHUTDOWN NOSAVE may stop the server.
  const scripts = c.server.scripts;
  if (!nosave && scripts.timedOut) return c.reply.error(scripts.busyError());
  const err = c.server.shutdown({ force, save: nosave ? "nosave" : save ? "save" : "default" });
  if (err !== null) c.reply.error(err);
}

function bgrewriteaof(c: SessionContext): void {
  const r = c.server.rewriteAof();
  if (r.startsWith("ERR")) return c.reply.error(r);
  c.reply.status(r);
}

export const persistenceCommands: CommandDef[] = [
  cmd("shutdown", shutdown),
  cmd("bgrewriteaof", bgrewriteaof),
];
