// Persistence commands: SAVE, BGSAVE, LASTSAVE, SHUTDOWN (the RDB side), DUMP and RESTORE,
// with Redis 7.0's replies and error texts. Snapshots themselves live in src/persistence/.

import { createDumpPayloadOf } from "../persistence/dump-entry.ts";
import { decodeDumpPayload } from "../persistence/rdb/index.ts";
import { applyClock, storeValue } from "../persistence/snapshot-load.ts";
import { NOTIFY_GENERIC } from "../store/notify.ts";
import type { CommandContext, SessionContext } from "./context.ts";
import { NOT_INT, SYNTAX } from "./errors.ts";
import { lookupRead, lookupWrite } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";

function save(c: SessionContext): void {
  const err = c.server.save();
  if (err === null) return c.reply.ok();
  c.reply.error(err);
}

function bgsave(c: SessionContext): void {
  const a = c.argv;
  if (a.count > 2 || (a.count === 2 && !a.is(1, "schedule"))) return c.reply.error(SYNTAX);
  // No other background job exists, so SCHEDULE starts at once, like a plain BGSAVE.
  const r = c.server.bgsave();
  if (r.startsWith("ERR")) return c.reply.error(r);
  c.reply.status(r);
}

function lastsave(c: SessionContext): void {
  c.reply.int(c.server.lastSave());
}

// ---- DUMP / RESTORE ---------------------------------------------------------------------

function dump(c: CommandContext): void {
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.nil();
  const p = createDumpPayloadOf(c.table, e);
  c.reply.bulk(p, 0, p.length);
}

/** RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f] (cluster.c). */
function restore(c: CommandContext): void {
  const a = c.argv;
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < a.count; j++) {
    const more = a.count - j - 1;
    if (a.is(j, "replace")) replace = true;
    else if (a.is(j, "absttl")) absttl = true;
    else if (a.is(j, "idletime") && more >= 1 && freq === -1) {
      idle = a.int(j + 1);
      if (Number.isNaN(idle)) return c.reply.error(NOT_INT);
      if (idle < 0) return c.reply.error("ERR Invalid IDLETIME value, must be >= 0");
      j++;
    } else if (a.is(j, "freq") && more >= 1 && idle === -1) {
      freq = a.int(j + 1);
      if (Number.isNaN(freq)) return c.reply.error(NOT_INT);
      if (freq < 0 || freq > 255)
        return c.reply.error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      j++;
    } else return c.reply.error(SYNTAX);
  }
  const ks = c.keyspace;
  const t = c.table;
  const old = lookupWrite(c, 1);
  if (!replace && old >= 0) return c.reply.error("BUSYKEY Target key name already exists.");
  let ttl = a.int(2);
  if (Number.isNaN(ttl)) return c.reply.error(NOT_INT);
  if (ttl < 0) return c.reply.error("ERR Invalid TTL value, must be >= 0");
  const o = a.off(3);
  const r = decodeDumpPayload(a.buf.subarray(o, o + a.len(3)));
  if (!r.ok) return c.reply.error(r.error);
  let deleted = false;
  if (replace && old >= 0) {
    ks.removeEntry(t, old);
    deleted = true;
  }
  if (ttl !== 0 && !absttl) ttl += ks.now;
  if (ttl !== 0 && ttl <= ks.now) {
    // already expired: nothing is created (an old key replaced is deleted)
    if (deleted) c.modifiedArg(1, NOTIFY_GENERIC, "del");
    return c.reply.ok();
  }
  const key = a.buf.slice(a.off(1), a.off(1) + a.len(1));
  let e: number;
  try {
    e = storeValue(ks, t, key, r.value, c.limits);
  } catch {
    // a payload that parses but cannot be a value (duplicate zset members ...)
    return c.reply.error("ERR Bad data format");
  }
  ks.stampNew(t, e);
  if (ttl !== 0) ks.setExpire(t, e, ttl);
  applyClock(ks, t, e, idle, freq);
  c.modifiedArg(1, NOTIFY_GENERIC, "restore");
  c.reply.ok();
}

export const persistenceCommands: CommandDef[] = [
  cmd("save", save),
  cmd("bgsave", bgsave),
  cmd("lastsave", lastsave),
  cmd("dump", dump),
  cmd("restore", restore),
];
