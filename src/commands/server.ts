// Server commands (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE, INFO, CONFIG,
// COMMAND, TIME, DEBUG, SHUTDOWN) with Redis 7.0's replies and error texts.

import { rewriteConfigFile } from "../config.ts";
import { NOTIFY_GENERIC } from "../store/notify.ts";
import {
  COMMAND_HELP,
  commandAll,
  commandCount,
  commandDocsCmd,
  commandGetkeys,
  commandInfoCmd,
  commandList,
} from "./command-info.ts";
import { containerOnly, dbIndexArg, helpReply } from "./connection.ts";
import type { CommandContext, SessionContext } from "./context.ts";
import { DB_RANGE, SAME_OBJECT, SYNTAX } from "./errors.ts";
import { lookupWrite, lookupWriteIn } from "./lookup.ts";
import { type CommandDef, cmd } from "./table.ts";

// ---- databases --------------------------------------------------------------------

function dbsize(c: CommandContext): void {
  c.reply.int(c.table.count);
}

/**
 * FLUSHDB / FLUSHALL [ASYNC|SYNC]. FLUSHALL drops the arena's pages at once either way
 * (O(pages)); FLUSHDB ASYNC (or lazyfree-lazy-user-flush without SYNC) detaches the table and
 * frees its blocks in bounded cron steps, as Redis's lazyfree thread does.
 */
function flushOption(c: CommandContext): boolean {
  const a = c.argv;
  if (a.count === 1) return true;
  if (a.count === 2 && (a.is(1, "async") || a.is(1, "sync"))) return true;
  c.reply.error(SYNTAX);
  return false;
}

function flushdb(c: CommandContext): void {
  if (!flushOption(c)) return;
  const a = c.argv;
  const lazy = a.count === 2 ? a.is(1, "async") : c.limits.lazyfreeLazyUserFlush;
  c.keyspace.flushDb(c.db, lazy);
  c.reply.ok();
}

function flushall(c: CommandContext): void {
  if (!flushOption(c)) return;
  c.keyspace.flushAll();
  c.reply.ok();
}

function swapdb(c: CommandContext): void {
  const a = c.argv;
  const ks = c.keyspace;
  const x = a.int(1);
  if (!Number.isInteger(x)) return c.reply.error("ERR invalid first DB index");
  const y = a.int(2);
  if (!Number.isInteger(y)) return c.reply.error("ERR invalid second DB index");
  if (x < 0 || x >= ks.databases || y < 0 || y >= ks.databases) {
    return c.reply.error(DB_RANGE);
  }
  if (x !== y) ks.swapDb(x, y);
  c.reply.ok();
}

/** MOVE key db: 1 if moved, 0 if absent here or present there. TTL moves with the key. */
function move(c: CommandContext): void {
  const a = c.argv;
  const dst = dbIndexArg(c, 2);
  if (dst < 0) return;
  if (dst === c.db) return c.reply.error(SAME_OBJECT);
  const ks = c.keyspace;
  const e = lookupWrite(c, 1);
  if (e < 0) return c.reply.int(0);
  if (lookupWriteIn(c, dst, 1) >= 0) return c.reply.int(0);
  c.table.moveTo(e, ks.db(dst));
  c.modifiedArg(1, NOTIFY_GENERIC, "move_from");
  c.keyModified(dst, a.buf, a.off(1), a.len(1), NOTIFY_GENERIC, "move_to");
  c.reply.int(1);
}

// ---- INFO TIME DEBUG ------------------------------------------------------------------

function info(c: SessionContext): void {
  const a = c.argv;
  const sections: string[] = [];
  for (let i = 1; i < a.count; i++) sections.push(a.str(i).toLowerCase());
  c.reply.verbatim(c.server.info(sections));
}

function time(c: CommandContext): void {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  c.reply.array(2);
  c.reply.bulkStr(String(Math.floor(us / 1e6)));
  c.reply.bulkStr(String(us % 1e6));
}

/** C's strtod on a prefix: "0.1x" -> 0.1, "x" -> 0. */
function strtod(s: string): number {
  const m = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(s);
  return m ? Number(m[0]) : 0;
}

function debug(c: SessionContext): void {
  const a = c.argv;
  if (a.is(1, "sleep") && a.count === 3) {
    // Blocks the whole server, as in Redis: that is what tests use it for.
    const ms = strtod(a.str(2)) * 1000;
    if (ms > 0) Bun.sleepSync(ms);
    return c.reply.ok();
  }
  if (a.is(1, "set-active-expire") && a.count === 3) {
    // Like Redis's atoi: anything that does not start with a non-zero number turns it off.
    const v = Number.parseInt(a.latin1(2), 10);
    c.server.setActiveExpire(Number.isFinite(v) && v !== 0);
    return c.reply.ok();
  }
  if (a.is(1, "reload")) {
    // SAVE (unless NOSAVE), then load the file back into a fresh keyspace swapped in
    // (persistence/snapshots.ts). MERGE / NOFLUSH (load over the live data) are not supported.
    let save = true;
    for (let i = 2; i < a.count; i++) {
      if (a.is(i, "nosave")) save = false;
      else if (a.is(i, "merge") || a.is(i, "noflush")) {
        return c.reply.error("ERR DEBUG RELOAD MERGE and NOFLUSH are not supported by imds");
      } else {
        return c.reply.error(
          "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
        );
      }
    }
    const err = c.server.debugReload(save);
    return err === null ? c.reply.ok() : c.reply.error(err);
  }
  if (a.is(1, "help")) {
    return helpReply(c, "DEBUG", [
      "RELOAD [option ...]",
      "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
      "    * NOSAVE: the database will be loaded from an existing RDB file.",
      "    (MERGE and NOFLUSH, loading over the live data, are not supported by imds.)",
      "SLEEP <seconds>",
      "    Stop the server for <seconds>. Decimals allowed.",
      "SET-ACTIVE-EXPIRE <0|1>",
      "    Setting it to 0 disables expiring keys in background when they are not accessed.",
    ]);
  }
  c.reply.error(
    `ERR unknown subcommand or wrong number of arguments for '${a.latin1(1)}'. Try DEBUG HELP.`,
  );
}

// ---- CONFIG -----------------------------------------------------------------------------

/** CONFIG GET pattern [pattern ...]: name/value pairs, each option once (old names as asked). */
function configGet(c: SessionContext): void {
  const a = c.argv;
  const patterns: string[] = [];
  for (let i = 2; i < a.count; i++) patterns.push(a.str(i));
  const found = c.server.config.getMatching(patterns);
  c.reply.map(found.length);
  for (const [k, v] of found) {
    c.reply.bulkStr(k);
    c.reply.bulkStr(v);
  }
}

/** CONFIG SET name value [name value ...]: all or nothing, as Redis 7.0. */
function configSet(c: SessionContext): void {
  const a = c.argv;
  if ((a.count - 2) % 2 !== 0) return c.reply.error(SYNTAX);
  const pairs: [string, string][] = [];
  for (let i = 2; i < a.count; i += 2) pairs.push([a.str(i), a.str(i + 1)]);
  const err = c.server.config.setMany(pairs);
  if (err !== null) return c.reply.error(err);
  c.reply.ok();
}

function configResetstat(c: SessionContext): void {
  c.server.resetStats();
  c.reply.ok();
}

/** CONFIG REWRITE: the file keeps its comments and order (src/config.ts rewriteConfigText). */
function configRewrite(c: SessionContext): void {
  const path = c.server.configFile();
  if (path === "") return c.reply.error("ERR The server is running without a config file");
  try {
    rewriteConfigFile(c.server.config, path);
  } catch (e) {
    c.server.logLine("warning", `CONFIG REWRITE failed: ${(e as Error).message}`);
    return c.reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
  }
  c.server.logLine("notice", "CONFIG REWRITE executed with success.");
  c.reply.ok();
}

const CONFIG_HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

// ---- SHUTDOWN ------------------------------------------------------------------------

// ---- the table ---------------------------------------------------------------------------

const commandSubcommands: CommandDef[] = [
  cmd("command|count", commandCount),
  cmd("command|docs", commandDocsCmd),
  cmd("command|info", commandInfoCmd),
  cmd("command|list", commandList),
  cmd("command|getkeys", commandGetkeys),
  cmd("command|help", (c) => helpReply(c, "COMMAND", COMMAND_HELP)),
];

const configSubcommands: CommandDef[] = [
  cmd("config|get", configGet),
  cmd("config|set", configSet),
  cmd("config|resetstat", configResetstat),
  cmd("config|rewrite", configRewrite),
  cmd("config|help", (c) => helpReply(c, "CONFIG", CONFIG_HELP)),
];

export const serverCommands: CommandDef[] = [
  cmd("dbsize", dbsize),
  cmd("flushdb", flushdb),
  cmd("flushall", flushall),
  cmd("swapdb", swapdb),
  cmd("move", move),
  cmd("info", info),
  cmd("time", time),
  cmd("debug", debug),
  cmd("command", commandAll, { subcommands: commandSubcommands }),
  cmd("config", containerOnly, { subcommands: configSubcommands }),
];
