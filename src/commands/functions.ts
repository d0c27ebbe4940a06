// FUNCTION (LOAD, LIST, DELETE, FLUSH, DUMP, RESTORE, STATS, KILL, HELP), FCALL and FCALL_RO,
// with Redis 7.0's replies and error texts (functions.c). Libraries live in the server's
// ScriptEngine; runs go through its ScriptRunner (src/scripting/runner.ts).

import { RDB_VERSION } from "../persistence/rdb/constants.ts";
import { verifyDumpPayload } from "../persistence/rdb/dump.ts";
import { RdbError, readRdb } from "../persistence/rdb/reader.ts";
import { RdbWriter } from "../persistence/rdb/writer.ts";
import type { ScriptEngine } from "../scripting/engine.ts";
import { parseLibraryShebang, ScriptError } from "../scripting/shebang.ts";
import { globMatchText } from "../store/glob.ts";
import { containerOnly, helpReply } from "./connection.ts";
import type { SessionContext } from "./context.ts";
import { scriptArgs } from "./scripting.ts";
import { type CommandDef, cmd } from "./table.ts";

const NO_ENGINE = "ERR scripting engine not started";

function engineOf(c: SessionContext): ScriptEngine | null {
  const e = c.server.scripts.engine;
  if (e === null) c.reply.error(NO_ENGINE);
  return e;
}

function fcallGeneric(c: SessionContext, ro: boolean): void {
  const eng = engineOf(c);
  if (eng === null) return;
  const name = c.argv.str(1);
  const fn = eng.getFunction(name);
  if (fn === undefined) return c.reply.error("ERR Function not found");
  const parsed = scriptArgs(c, "ERR Bad number of keys provided");
  if (parsed === null) return;
  c.server.scripts.run(
    c,
    { isEval: false, name, readOnlyCommand: ro, flags: fn.flags, declared: true },
    (engine, host, opts) => engine.fcall(name, parsed.keys, parsed.args, host, opts),
  );
}

function functionLoad(c: SessionContext): void {
  const eng = engineOf(c);
  if (eng === null) return;
  const a = c.argv;
  let replace = false;
  let i = 2;
  for (; i < a.count - 1; i++) {
    if (a.is(i, "replace")) replace = true;
    else return c.reply.error(`ERR Unknown option given: ${a.latin1(i)}`);
  }
  if (i >= a.count) return c.reply.error("ERR Function code is missing");
  try {
    const name = eng.loadLibrary(a.copy(i), replace);
    c.keyspace.nonKeyWrite();
    c.reply.bulkStr(name);
  } catch (e) {
    if (e instanceof ScriptError) return c.reply.error(e.message);
    throw e;
  }
}

function functionList(c: SessionContext): void {
  const eng = engineOf(c);
  if (eng === null) return;
  const a = c.argv;
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < a.count; i++) {
    if (!withCode && a.is(i, "withcode")) withCode = true;
    else if (pattern === null && a.is(i, "libraryname")) {
      if (i + 1 >= a.count) return c.reply.error("ERR library name argument was not given");
      pattern = a.str(++i);
    } else return c.reply.error(`ERR Unknown argument ${a.latin1(i)}`);
  }
  const libs = eng
    .listLibraries()
    .filter((l) => pattern === null || globMatchText(pattern, l.name, true));
  const r = c.reply;
  r.array(libs.length);
  for (const lib of libs) {
    r.map(withCode ? 4 : 3);
    r.bulkStr("library_name");
    r.bulkStr(lib.name);
    r.bulkStr("engine");
    r.bulkStr("LUA");
    r.bulkStr("functions");
    r.array(lib.functions.length);
    for (const f of lib.functions) {
      r.map(3);
      r.bulkStr("name");
      r.bulkStr(f.name);
      r.bulkStr("description");
      if (f.description === null) r.nil();
      else r.bulkStr(f.description);
      r.bulkStr("flags");
      r.set(f.flags.length);
      for (const fl of f.flags) r.status(fl);
    }
    if (withCode) {
      r.bulkStr("library_code");
      r.bulkBytes(lib.code);
    }
  }
}

function functionDelete(c: SessionContext): void {
  const eng = engineOf(c);
  if (eng === null) return;
  if (!eng.deleteLibrary(c.argv.str(2))) return c.reply.error("ERR Library not found");
  c.keyspace.nonKeyWrite();
  c.reply.ok();
}

function functionFlush(c: SessionContext): void {
  const a = c.argv;
  if (a.count > 3 || (a.count === 3 && !a.is(2, "async") && !a.is(2, "sync"))) {
    return c.reply.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  }
  const eng = engineOf(c);
  if (eng === null) return;
  eng.flushFunctions();
  c.keyspace.nonKeyWrite();
  c.reply.ok();
}

/** The libraries as a DUMP payload: FUNCTION2 records, RDB version, CRC-64 (rdbSaveFunctions). */
function functionDump(c: SessionContext): void {
  const eng = engineOf(c);
  if (eng === null) return;
  const w = new RdbWriter();
  for (const lib of eng.listLibraries()) w.writeFunction(lib.code);
  c.reply.bulkBytes(w.finishDump());
}

/** The library codes of a FUNCTION DUMP payload, or Redis's error text. */
function dumpedLibraries(p: Uint8Array): Uint8Array[] | string {
  const bad = verifyDumpPayload(p);
  if (bad !== null) return bad;
  // The body is a run of RDB records: read it as an RDB file with no keys.
  const body = p.subarray(0, p.length - 10);
  const file = new Uint8Array(9 + body.length + 9);
  file.set(new TextEncoder().encode(`REDIS${String(RDB_VERSION).padStart(4, "0")}`), 0);
  file.set(body, 9);
  file[9 + body.length] = 0xff; // EOF; checksum 0 = not checked
  const codes: Uint8Array[] = [];
  let keys = 0;
  try {
    readRdb(
      file,
      {
        onFunction: (code) => codes.push(code),
        onKey: () => {
          keys++;
        },
      },
      { verifyChecksum: false },
    );
  } catch (e) {
    if (e instanceof RdbError) return "ERR given type is not a function";
    throw e;
  }
  if (keys > 0) return "ERR given type is not a function";
  return codes;
}

function functionRestore(c: SessionContext): void {
  const eng = engineOf(c);
  if (eng === null) return;
  const a = c.argv;
  let policy = "append";
  if (a.count > 3) {
    if (a.count > 4)
      return c.reply.error("ERR wrong number of arguments for 'function|restore' command");
    if (a.is(3, "flush")) policy = "flush";
    else if (a.is(3, "append")) policy = "append";
    else if (a.is(3, "replace")) policy = "replace";
    else
      return c.reply.error(
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
      );
  }
  const codes = dumpedLibraries(a.bytes(2));
  if (typeof codes === "string") return c.reply.error(codes);
  if (policy === "append") {
    const have = new Set(eng.listLibraries().map((l) => l.name));
    for (const code of codes) {
      let name: string;
      try {
        name = parseLibraryShebang(code).name;
      } catch (e) {
        if (e instanceof ScriptError) return c.reply.error(e.message);
        throw e;
      }
      // libraryJoin's text (no quotes, unlike FUNCTION LOAD's)
      if (have.has(name)) return c.reply.error(`ERR Library ${name} already exists`);
    }
  }
  // All or nothing: remember the libraries, restore them if any load fails.
  const before = eng.listLibraries().map((l) => l.code);
  if (policy === "flush") eng.flushFunctions();
  try {
    for (const code of codes) eng.loadLibrary(code, policy !== "append");
  } catch (e) {
    if (!(e instanceof ScriptError)) throw e;
    eng.flushFunctions();
    for (const code of before) eng.loadLibrary(code, true);
    return c.reply.error(e.message);
  }
  c.keyspace.nonKeyWrite();
  c.reply.ok();
}

function functionStats(c: SessionContext): void {
  const eng = engineOf(c);
  if (eng === null) return;
  const r = c.reply;
  const scripts = c.server.scripts;
  if (scripts.timedOut && scripts.runningFunction() === null) return r.error(scripts.busyError());
  const running = scripts.runningFunction();
  r.map(2);
  r.bulkStr("running_script");
  if (running === null) r.nil();
  else {
    r.map(3);
    r.bulkStr("name");
    r.bulkStr(running.name);
    r.bulkStr("command");
    r.array(running.argv.length);
    for (const x of running.argv) r.bulkBytes(x);
    r.bulkStr("duration_ms");
    r.int(running.durationMs);
  }
  r.bulkStr("engines");
  r.map(1);
  r.bulkStr("LUA");
  r.map(2);
  r.bulkStr("libraries_count");
  const libs = eng.listLibraries();
  r.int(libs.length);
  r.bulkStr("functions_count");
  r.int(libs.reduce((n, l) => n + l.functions.length, 0));
}

const FUNCTION_HELP = [
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
];

/** These run on the Lua VM: the dispatcher loads it first (CMD_NEEDS_ENGINE). */
const LUA = { needsEngine: true };

const functionSubcommands: CommandDef[] = [
  cmd("function|load", functionLoad, LUA),
  cmd("function|list", functionList, LUA),
  cmd("function|delete", functionDelete, LUA),
  cmd("function|flush", functionFlush, LUA),
  cmd("function|dump", functionDump, LUA),
  cmd("function|restore", functionRestore, LUA),
  cmd("function|stats", functionStats, LUA),
  cmd("function|kill", (c) => c.server.scripts.kill(c, false)),
  cmd("function|help", (c) => helpReply(c, "FUNCTION", FUNCTION_HELP)),
];

export const functionCommands: CommandDef[] = [
  cmd("fcall", (c) => fcallGeneric(c, false), LUA),
  cmd("fcall_ro", (c) => fcallGeneric(c, true), LUA),
  cmd("function", containerOnly, { subcommands: functionSubcommands }),
];
