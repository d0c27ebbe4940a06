// Server commands (DBSIZE, FLUSHDB, FLUSHALL, SWAPDB, MOVE, INFO, CONFIG,
// COMMAND, TIME, DEBUG, FUNCTION) with Redis 7.0's replies and error texts.

import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { ConfigError, findOption, OPTIONS } from "../config.ts";
import type { Client } from "../server/client.ts";
import { configFile, renderInfo } from "../server/info.ts";
import { globMatchText } from "../store/glob.ts";
import {
  COMMAND_HELP,
  commandAll,
  commandCount,
  commandDocsCmd,
  commandGetkeys,
  commandInfoCmd,
  commandList,
} from "./command-info.ts";
import { dbIndexArg, ERR_DB_RANGE, ERR_SYNTAX, helpReply, sub } from "./connection.ts";
import { debugSetActiveExpire } from "./expire.ts";
import { type CommandSpec, command } from "./table.ts";

const SERVER = "server";
const ADMIN = "admin noscript loading stale";

// ---- databases --------------------------------------------------------------------

function dbsize(c: Client): void {
  c.reply.int(c.server.keyspace.db(c.db).count);
}

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: both flush at once (freeing is cheap here). */
function flushOption(c: Client): boolean {
  const a = c.argv;
  if (a.count === 1) return true;
  if (a.count === 2 && (a.is(1, "async") || a.is(1, "sync"))) return true;
  c.reply.error(ERR_SYNTAX);
  return false;
}

function flushdb(c: Client): void {
  if (!flushOption(c)) return;
  c.server.keyspace.db(c.db).clear();
  c.reply.ok();
}

function flushall(c: Client): void {
  if (!flushOption(c)) return;
  c.server.keyspace.flushAll();
  c.reply.ok();
}

function swapdb(c: Client): void {
  const a = c.argv;
  const ks = c.server.keyspace;
  const x = a.int(1);
  if (!Number.isInteger(x)) return c.reply.error("ERR invalid first DB index");
  const y = a.int(2);
  if (!Number.isInteger(y)) return c.reply.error("ERR invalid second DB index");
  if (x < 0 || x >= ks.databases || y < 0 || y >= ks.databases) {
    return c.reply.error(ERR_DB_RANGE);
  }
  if (x !== y) ks.swapDb(x, y);
  c.reply.ok();
}

/** MOVE key db: 1 if moved, 0 if absent here or present there. TTL moves with the key. */
function move(c: Client): void {
  const a = c.argv;
  const dst = dbIndexArg(c, 2);
  if (dst < 0) return;
  if (dst === c.db) return c.reply.error("ERR source and destination objects are the same");
  const ks = c.server.keyspace;
  const e = ks.lookupWrite(c.db, a.buf, a.off(1), a.len(1));
  if (e < 0) return c.reply.int(0);
  if (ks.lookupWrite(dst, a.buf, a.off(1), a.len(1)) >= 0) return c.reply.int(0);
  ks.db(c.db).moveTo(e, ks.db(dst));
  c.reply.int(1);
}

// ---- INFO TIME DEBUG ------------------------------------------------------------------

function info(c: Client): void {
  const a = c.argv;
  const sections: string[] = [];
  for (let i = 1; i < a.count; i++) sections.push(a.str(i).toLowerCase());
  c.reply.verbatim(renderInfo(c.server, sections));
}

function time(c: Client): void {
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

function debug(c: Client): void {
  const a = c.argv;
  if (a.is(1, "sleep") && a.count === 3) {
    // Blocks the whole server, as in Redis: that is what tests use it for.
    const ms = strtod(a.str(2)) * 1000;
    if (ms > 0) Bun.sleepSync(ms);
    return c.reply.ok();
  }
  if (a.is(1, "set-active-expire") && a.count === 3) return debugSetActiveExpire(c);
  if (a.is(1, "help")) {
    return helpReply(c, "DEBUG", [
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
function configGet(c: Client): void {
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
function configSet(c: Client): void {
  const a = c.argv;
  if ((a.count - 2) % 2 !== 0) return c.reply.error(ERR_SYNTAX);
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

function configResetstat(c: Client): void {
  const server = c.server;
  server.stats.reset();
  server.commands.stats.reset();
  server.keyspace.expiredKeys = 0;
  server.evictor.evictedKeys = 0;
  server.expiry.timeCapReached = 0;
  server.expiry.cpuMs = 0;
  c.reply.ok();
}

function configRewrite(c: Client): void {
  const path = configFile();
  if (path === "") return c.reply.error("ERR The server is running without a config file");
  try {
    rewriteConfigFile(c, path);
  } catch (e) {
    c.server.log.warn(`CONFIG REWRITE failed: ${(e as Error).message}`);
    return c.reply.error(`ERR Rewriting config file: ${(e as Error).message}`);
  }
  c.server.log.notice("CONFIG REWRITE executed with success.");
  c.reply.ok();
}

/**
 * Keep the file's lines and comments; replace the line of each option whose
 * value differs from its default, append the others, drop lines of options
 * back at their default. (Redis's rewrite works the same way, roughly.)
 */
function rewriteConfigFile(c: Client, path: string): void {
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

function functionList(c: Client): void {
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

function functionFlush(c: Client): void {
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

function containerOnly(c: Client): void {
  c.reply.error(`ERR wrong number of arguments for '${c.argv.str(0).toLowerCase()}' command`);
}

const commandSubcommands: CommandSpec[] = [
  sub(
    "command|count",
    2,
    "loading stale",
    "Returns a count of commands.",
    commandCount,
    "2.8.13",
    SERVER,
  ),
  sub(
    "command|docs",
    -2,
    "loading stale",
    "Returns documentary information about one, multiple or all commands.",
    commandDocsCmd,
    "7.0.0",
    SERVER,
  ),
  sub(
    "command|info",
    -2,
    "loading stale",
    "Returns information about one, multiple or all commands.",
    commandInfoCmd,
    "2.8.13",
    SERVER,
  ),
  sub(
    "command|list",
    -2,
    "loading stale",
    "Returns a list of command names.",
    commandList,
    "7.0.0",
    SERVER,
  ),
  sub(
    "command|getkeys",
    -4,
    "loading stale",
    "Extracts the key names from an arbitrary command.",
    commandGetkeys,
    "2.8.13",
    SERVER,
  ),
  sub(
    "command|help",
    2,
    "loading stale",
    "Returns helpful text about the different subcommands.",
    (c) => helpReply(c, "COMMAND", COMMAND_HELP),
    "5.0.0",
    SERVER,
  ),
];

const configSubcommands: CommandSpec[] = [
  sub(
    "config|get",
    -3,
    ADMIN,
    "Returns the effective values of configuration parameters.",
    configGet,
    "2.0.0",
    SERVER,
  ),
  sub(
    "config|set",
    -4,
    ADMIN,
    "Sets configuration parameters in-flight.",
    configSet,
    "2.0.0",
    SERVER,
  ),
  sub(
    "config|resetstat",
    2,
    ADMIN,
    "Resets the server's statistics.",
    configResetstat,
    "2.0.0",
    SERVER,
  ),
  sub(
    "config|rewrite",
    2,
    ADMIN,
    "Persists the effective configuration to file.",
    configRewrite,
    "2.8.0",
    SERVER,
  ),
  sub(
    "config|help",
    2,
    "loading stale",
    "Returns helpful text about the different subcommands.",
    (c) => helpReply(c, "CONFIG", CONFIG_HELP),
    "5.0.0",
    SERVER,
  ),
];

const functionSubcommands: CommandSpec[] = [
  sub(
    "function|list",
    -2,
    "noscript",
    "Returns information about all libraries.",
    functionList,
    "7.0.0",
    "scripting",
  ),
  sub(
    "function|flush",
    -2,
    "write noscript",
    "Deletes all libraries and functions.",
    functionFlush,
    "7.0.0",
    "scripting",
  ),
  sub(
    "function|help",
    2,
    "loading stale",
    "Returns helpful text about the different subcommands.",
    (c) => helpReply(c, "FUNCTION", FUNCTION_HELP),
    "7.0.0",
    "scripting",
  ),
];

export const serverCommands: CommandSpec[] = [
  command(
    "dbsize",
    1,
    "readonly fast",
    [0, 0, 0],
    SERVER,
    "Returns the number of keys in the database.",
    dbsize,
    { since: "1.0.0" },
  ),
  command(
    "flushdb",
    -1,
    "write",
    [0, 0, 0],
    SERVER,
    "Removes all keys from the current database.",
    flushdb,
    { since: "1.0.0" },
  ),
  command(
    "flushall",
    -1,
    "write",
    [0, 0, 0],
    SERVER,
    "Removes all keys from all databases.",
    flushall,
    { since: "1.0.0" },
  ),
  command("swapdb", 3, "write fast", [0, 0, 0], SERVER, "Swaps two Redis databases.", swapdb, {
    since: "4.0.0",
  }),
  command("move", 3, "write fast", [1, 1, 1], "generic", "Moves a key to another database.", move, {
    since: "1.0.0",
  }),
  command(
    "info",
    -1,
    "loading stale sentinel",
    [0, 0, 0],
    SERVER,
    "Returns information and statistics about the server.",
    info,
    { since: "1.0.0" },
  ),
  command("time", 1, "loading stale fast", [0, 0, 0], SERVER, "Returns the server time.", time, {
    since: "2.6.0",
  }),
  command(
    "debug",
    -2,
    "admin noscript loading stale",
    [0, 0, 0],
    SERVER,
    "A container for debugging commands.",
    debug,
    { since: "1.0.0" },
  ),
  command(
    "command",
    -1,
    "loading stale sentinel",
    [0, 0, 0],
    SERVER,
    "Returns detailed information about all commands.",
    commandAll,
    { since: "2.8.13", subcommands: commandSubcommands },
  ),
  command(
    "config",
    -2,
    "",
    [0, 0, 0],
    SERVER,
    "A container for server configuration commands.",
    containerOnly,
    { since: "2.0.0", subcommands: configSubcommands },
  ),
  command(
    "function",
    -2,
    "",
    [0, 0, 0],
    "scripting",
    "A container for function commands.",
    containerOnly,
    { since: "7.0.0", subcommands: functionSubcommands },
  ),
];
