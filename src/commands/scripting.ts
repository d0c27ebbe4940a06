// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (LOAD, EXISTS, FLUSH, KILL, HELP), with Redis
// 7.0's replies and error texts (eval.c). The engine, the run and its host live in the server's
// ScriptRunner (src/scripting/runner.ts); these handlers parse and hand over.

import type { Args } from "../protocol/args.ts";
import type { CompiledScript } from "../scripting/engine.ts";
import { ScriptError } from "../scripting/shebang.ts";
import { containerOnly, helpReply } from "./connection.ts";
import { RecordSlot, type SessionContext } from "./context.ts";
import { NOT_INT } from "./errors.ts";
import { type CommandDef, cmd } from "./table.ts";

export const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";

/**
 * numkeys at argv[2] and the keys/args after it (copies: a suspended run outlives the
 * request's buffer). `badNumber` is the text for a non-integer (EVAL and FCALL differ).
 */
export function scriptArgs(
  c: SessionContext,
  badNumber: string,
): { keys: Uint8Array[]; args: Uint8Array[] } | null {
  const a = c.argv;
  const n = a.int(2);
  if (Number.isNaN(n)) {
    c.reply.error(badNumber);
    return null;
  }
  if (n > a.count - 3) {
    c.reply.error("ERR Number of keys can't be greater than number of args");
    return null;
  }
  if (n < 0) {
    c.reply.error("ERR Number of keys can't be negative");
    return null;
  }
  const keys: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) keys[i] = a.copy(3 + i);
  const args: Uint8Array[] = new Array(a.count - 3 - n);
  for (let i = 3 + n; i < a.count; i++) args[i - 3 - n] = a.copy(i);
  return { keys, args };
}

/**
 * EVALSHA's sha argument as a lowercase string; the last one is kept with its bytes, so the
 * usual case (one script called again and again) makes no string per call.
 */
class ShaText {
  private readonly bytes = new Uint8Array(40);
  private last = "";

  text(a: Args): string {
    const b = a.buf;
    const o = a.off(1);
    let same = this.last !== "";
    for (let i = 0; same && i < 40; i++) same = (b[o + i]! | 0x20) === this.bytes[i];
    if (same) return this.last;
    for (let i = 0; i < 40; i++) this.bytes[i] = b[o + i]! | 0x20;
    this.last = a.latin1(1).toLowerCase();
    return this.last;
  }
}
const SHA_SLOT = new RecordSlot(() => new ShaText());

function evalGeneric(c: SessionContext, bySha: boolean, ro: boolean): void {
  const runner = c.server.scripts;
  const eng = runner.engine;
  if (eng === null) return c.reply.error("ERR scripting engine not started");
  const a = c.argv;
  if (bySha && a.len(1) !== 40) return c.reply.error(NOSCRIPT);
  const parsed = scriptArgs(c, NOT_INT);
  if (parsed === null) return;
  let info: CompiledScript | undefined;
  if (bySha) {
    info = eng.getScript(c.scratch.record(SHA_SLOT).text(a));
    if (info === undefined) return c.reply.error(NOSCRIPT);
  } else {
    try {
      info = eng.loadScript(a.bytes(1));
    } catch (e) {
      if (e instanceof ScriptError) return c.reply.error(e.message);
      throw e;
    }
  }
  const sha = info.sha;
  runner.run(
    c,
    { isEval: true, name: sha, readOnlyCommand: ro, flags: info.flags, declared: info.shebang },
    (engine, host, opts) => engine.evalsha(sha, parsed.keys, parsed.args, host, opts),
  );
}

// ---- SCRIPT ------------------------------------------------------------------------------

function scriptLoad(c: SessionContext): void {
  const eng = c.server.scripts.engine;
  if (eng === null) return c.reply.error("ERR scripting engine not started");
  try {
    c.reply.bulkStr(eng.loadScript(c.argv.bytes(2)).sha);
  } catch (e) {
    if (e instanceof ScriptError) return c.reply.error(e.message);
    throw e;
  }
}

function scriptExists(c: SessionContext): void {
  const eng = c.server.scripts.engine;
  const a = c.argv;
  c.reply.array(a.count - 2);
  for (let i = 2; i < a.count; i++) {
    const found = eng !== null && a.len(i) === 40 && eng.getScript(a.latin1(i)) !== undefined;
    c.reply.int(found ? 1 : 0);
  }
}

/** FLUSH [ASYNC|SYNC]: both flush at once here (the cache is small; Redis frees in a thread). */
export function flushMode(c: SessionContext, error: string): boolean {
  const a = c.argv;
  if (a.count === 2 || (a.count === 3 && (a.is(2, "sync") || a.is(2, "async")))) return true;
  c.reply.error(error);
  return false;
}

function scriptFlush(c: SessionContext): void {
  if (!flushMode(c, "ERR SCRIPT FLUSH only support SYNC|ASYNC option")) return;
  c.server.scripts.engine?.flushScripts();
  c.reply.ok();
}

const SCRIPT_HELP = [
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
];

function scriptDebug(c: SessionContext): void {
  // The Lua debugger (LDB) is not implemented; NO (the default) is accepted.
  if (c.argv.is(2, "no")) return c.reply.ok();
  c.reply.error("ERR SCRIPT DEBUG is not supported by imds (only NO)");
}

/** These run on the Lua VM: the dispatcher loads it first (CMD_NEEDS_ENGINE). */
const LUA = { needsEngine: true };

const scriptSubcommands: CommandDef[] = [
  cmd("script|load", scriptLoad, LUA),
  cmd("script|exists", scriptExists),
  cmd("script|flush", scriptFlush),
  cmd("script|kill", (c) => c.server.scripts.kill(c, true)),
  cmd("script|debug", scriptDebug),
  cmd("script|help", (c) => helpReply(c, "SCRIPT", SCRIPT_HELP)),
];

export const scriptingCommands: CommandDef[] = [
  cmd("eval", (c) => evalGeneric(c, false, false), LUA),
  cmd("evalsha", (c) => evalGeneric(c, true, false), LUA),
  cmd("eval_ro", (c) => evalGeneric(c, false, true), LUA),
  cmd("evalsha_ro", (c) => evalGeneric(c, true, true), LUA),
  cmd("script", containerOnly, { subcommands: scriptSubcommands }),
];
