// Server commands (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE, INFO, CONFIG,
// COMMAND, TIME, DEBUG, FUNCTION) with Redis 7.0's replies and error texts.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { ConfigError, findOption, OPTIONS } from "../config.ts";
import { globMatchText } from "../store/glob.ts";
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

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: both flush at once (freeing is cheap here). */
function flushOption(c: CommandContext): boolean {
  const a = c.argv;
  if (a.count === 1) return true;
  if (a.count === 2 && (a.is(1, "async") || a.is(1, "sync"))) return true;
  c.reply.error(SYNTAX);
  return false;
}

function flushdb(c: CommandContext): void {
  if (!flushOption(c)) return;
  c.keyspace.flushDb(c.db);
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
  if (a.is(1, "reload") && a.count === 2) {
    // SAVE, then load the file back into a fresh keyspace swapped in (persistence/snapshots.ts)
    const err = c.server.debugReload();
    return err === null ? c.reply.ok() : c.reply.error(err);
  }
  if (a.is(1, "help")) {
    return helpReply(c, "DEBUG", [
      "RELOAD",
      "    Save the RDB on disk and reload it back to memory.",
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

/** True when the pattern has no glob characters (an exact name, aliases allowed). */
function isPlainName(pattern: string): boolean {
  return !/[*?[\\]/.test(pattern);
}

/** CONFIG GET pattern [pattern ...]: name/value pairs, each option once. */
function configGet(c: SessionContext): void {
  const a = c.argv;
  const config = c.server.config;
  const found = new Map<string, string>();
  for (let i = 2; i < a.count; i++) {
    const pattern = a.str(i);
    if (isPlainName(pattern)) {
      const o = findOption(pattern);
      if (o !== undefined) found.set(pattern.toLowerCase(), config.get(o.name));
      continue;
    }
    for (const o of OPTIONS) {
      if (globMatchText(pattern, o.name, true)) found.set(o.name, config.get(o.name));
    }
  }
  c.reply.map(found.size);
  for (const [k, v] of found) {
    c.reply.bulkStr(k);
    c.reply.bulkStr(v);
  }
}

/** CONFIG SET name value [name value ...]: all or nothing, as Redis 7.0. */
function configSet(c: SessionContext): void {
  const a = c.argv;
  if ((a.count - 2) % 2 !== 0) return c.reply.error(SYNTAX);
  const config = c.server.config;
  const names: string[] = [];
  for (let i = 2; i < a.count; i += 2) {
    const raw = a.str(i);
    const o = findOption(raw);
    if (o === undefined) {
      return c.reply.error(`ERR Unknown option or number of arguments for CONFIG SET - '${raw}'`);
    }
    const why = (msg: string) =>
      `ERR CONFIG SET failed (possibly related to argument '${raw}') - ${msg}`;
    if (!o.mutable) return c.reply.error(why("can't set immutable config"));
    if (names.includes(o.name)) return c.reply.error(why("duplicate parameter"));
    names.push(o.name);
  }
  const before = names.map((n) => config.get(n));
  for (let k = 0; k < names.length; k++) {
    try {
      config.set(names[k]!, a.str(3 + 2 * k));
    } catch (e) {
      // Put back what was already set, then report.
      for (let j = k - 1; j >= 0; j--) config.set(names[j]!, before[j]!, true);
      if (e instanceof ConfigError) return c.reply.error(`ERR ${e.message}`);
      throw e;
    }
  }
  c.reply.ok();
}

function configResetstat(c: SessionContext): void {
  c.server.resetStats();
  c.reply.ok();
}

function configRewrite(c: SessionContext): void {
  const path = c.server.configFile();
  if (path === "") return c.reply.error("ERR The server is running without a config file");
  try {
    rewriteConfigFile(c, path);
  } catch (e) {
    c.server.logLine("warning", `CONFIG REWRITE failed: ${(e as Error).message}`);
    return c.reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
  }
  c.server.logLine("notice", "CONFIG REWRITE executed with success.");
  c.reply.ok();
}

/**
 * Keep the file's lines and comments; replace the line of each option whose
 * value differs from its default, append the others, drop lines of options
 * back at their default. (Redis's rewrite works the same way, roughly.)
 */
function rewriteConfigFile(c: SessionContext, path: string): void {
  const config = c.server.config;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const quote = (v: string) => (v === "" || /[\s"']/.test(v) ? JSON.stringify(v) : v);
  const changed = new Map<string, string>();
  for (const o of OPTIONS) {
    const v = config.get(o.name);
    if (v !== o.default && o.name !== "dir") changed.set(o.name, v);
  }
  const out: string[] = [];
  const written = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const word = line.trim().split(/\s+/)[0] ?? "";
    const o = line.trim().startsWith("#") ? undefined : findOption(word);
    if (o === undefined) {
      out.push(line);
      continue;
    }
    if (written.has(o.name)) continue;
    written.add(o.name);
    const v = changed.get(o.name);
    if (v !== undefined) out.push(`${o.name} ${o.multi ? v : quote(v)}`);
  }
  const extra = [...changed].filter(([n]) => !written.has(n));
  if (extra.length > 0) {
    if (out.length > 0 && out[out.length - 1] === "") out.pop();
    out.push("# Generated by CONFIG REWRITE");
    for (const [n, v] of extra) out.push(`${n} ${findOption(n)!.multi ? v : quote(v)}`);
    out.push("");
  }
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, out.join("\n"));
  renameSync(tmp, path);
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

// ---- FUNCTION (no functions: imds has no scripting) ------------------------------------

function functionList(c: SessionContext): void {
  const a = c.argv;
  for (let i = 2; i < a.count; i++) {
    if (a.is(i, "withcode")) continue;
    if (a.is(i, "libraryname")) {
      if (i + 1 >= a.count) return c.reply.error("ERR library name argument was not given");
      i++;
      continue;
    }
    return c.reply.error(`ERR Unknown argument ${a.latin1(i)}`);
  }
  c.reply.array(0);
}

function functionFlush(c: SessionContext): void {
  const a = c.argv;
  if (a.count > 3 || (a.count === 3 && !a.is(2, "async") && !a.is(2, "sync"))) {
    return c.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  c.reply.ok();
}

const FUNCTION_HELP = [
  "LIST [LIBRARYNAME <pattern>] [WITHCODE]",
  "    Return general information on all the libraries.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
];

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

const functionSubcommands: CommandDef[] = [
  cmd("function|list", functionList),
  cmd("function|flush", functionFlush),
  cmd("function|help", (c) => helpReply(c, "FUNCTION", FUNCTION_HELP)),
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
  cmd("function", containerOnly, { subcommands: functionSubcommands }),
];
