#!/usr/bin/env bun
// imds-cli: a redis-cli-like command line client for imds (binary protocol).
//
//   bunx imds-cli                      interactive, prompt 127.0.0.1:6677>
//   bunx imds-cli set k v              one command, print the reply
//   printf 'set a 1\nget a\n' | bunx imds-cli     commands from stdin, pipelined

import { appendFileSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type Client, ConnectionError, connect, ReplyError, type Tagged } from "../client/index.ts";
import { formatRaw, formatTTY } from "./format.ts";
import { splitArgs } from "./split.ts";

const VERSION: string = (
  JSON.parse(readFileSync(join(import.meta.dir, "../../package.json"), "utf8")) as {
    version: string;
  }
).version;

const USAGE = `imds-cli ${VERSION}

Usage: imds-cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: 6677).
  -a <password>      Password to use when connecting to the server (sends AUTH).
                     The IMDSCLI_AUTH environment variable works too.
  --user <username>  Send ACL style 'AUTH username pass'. Needs -a.
  -n <db>            Database number (sends SELECT).
  -e                 Exit with status 1 when the command's reply is an error.
  --raw              Print raw replies even on a terminal.
  --no-raw           Print formatted replies even when stdout is not a terminal.
  --untyped          Do not ask for typed replies (HELLO 3); speak the original protocol.
  --help             Output this help and exit.
  -v, --version      Output version and exit.

Examples:
  imds-cli set greeting "hello world"
  imds-cli get greeting
  printf 'set a 1\\nget a\\n' | imds-cli
  imds-cli -p 6678 -n 2          (interactive; 'quit' to leave)

Arguments are split like redis-cli: "double quotes" understand \\x00, \\n, \\t, \\\\ and \\";
'single quotes' only \\'. History is kept in ~/.imdscli_history (IMDSCLI_HISTFILE).
`;

interface Options {
  host: string;
  port: number;
  password?: string;
  user?: string;
  db: number;
  exitOnError: boolean;
  raw: boolean | null; // null: decide by whether stdout is a terminal
  typed: boolean;
  command: string[];
}

function fail(msg: string): never {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
}

function parseOptions(argv: string[]): Options {
  const o: Options = {
    host: "127.0.0.1",
    port: 6677,
    password: process.env.IMDSCLI_AUTH || undefined,
    db: 0,
    exitOnError: false,
    raw: null,
    typed: true,
    command: [],
  };
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) fail(`Unrecognized option or bad number of args for: '${name}'`);
    return v;
  };
  const int = (name: string, v: string, max: number): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > max) fail(`Invalid ${name}: '${v}'`);
    return n;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help") {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === "-v" || a === "--version") {
      process.stdout.write(`imds-cli ${VERSION}\n`);
      process.exit(0);
    } else if (a === "-h") o.host = value(a);
    else if (a === "-p") o.port = int("port", value(a), 65535);
    else if (a === "-a" || a === "--pass") o.password = value(a);
    else if (a === "--user") o.user = value(a);
    else if (a === "-n") o.db = int("database number", value(a), 1 << 20);
    else if (a === "-e") o.exitOnError = true;
    else if (a === "--raw") o.raw = true;
    else if (a === "--no-raw") o.raw = false;
    else if (a === "--untyped") o.typed = false;
    else if (a.startsWith("-") && a.length > 1 && o.command.length === 0) {
      fail(`Unrecognized option or bad number of args for: '${a}'\nTry 'imds-cli --help'.`);
    } else {
      o.command = argv.slice(i);
      break;
    }
  }
  return o;
}

// Output is collected and written with Bun.write, whose promise settles once the
// OS took every byte: exiting right after process.stdout.write can drop what a
// slow reader on a pipe has not read yet.
let outParts: (string | Uint8Array)[] = [];

function emit(x: string | Uint8Array): void {
  outParts.push(x);
}

async function flushOut(): Promise<void> {
  if (outParts.length === 0) return;
  const parts = outParts;
  outParts = [];
  await Bun.write(Bun.stdout, new Blob(parts));
}

async function finish(code: number): Promise<never> {
  await flushOut();
  process.exit(code);
}

function print(reply: Tagged, command: string, raw: boolean): void {
  if (!raw) return emit(formatTTY(reply, command));
  emit(formatRaw(reply));
  emit("\n");
}

/** Send one command; an error reply comes back as a Tagged error, not a throw. */
async function run(db: Client, args: (string | Uint8Array)[]): Promise<Tagged> {
  try {
    return (await db.call(...args)) as unknown as Tagged;
  } catch (e) {
    if (e instanceof ReplyError) return { type: "error", value: e.message };
    throw e;
  }
}

const utf8 = new TextDecoder();
const nameOf = (a: string | Uint8Array) =>
  (typeof a === "string" ? a : utf8.decode(a)).toLowerCase();

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const interactive = o.command.length === 0 && process.stdin.isTTY === true;
  const raw = o.raw ?? !process.stdout.isTTY;
  let db: Client;
  try {
    db = await connect({
      host: o.host,
      port: o.port,
      password: o.password,
      username: o.user,
      db: o.db,
      typed: o.typed ? "auto" : false,
      tagged: true,
      reconnect: interactive ? { attempts: 3, delayMs: 100 } : false,
    });
  } catch (e) {
    if (e instanceof ConnectionError) fail(e.message);
    if (e instanceof ReplyError) fail(`(error) ${e.message}`);
    throw e;
  }

  if (o.command.length > 0) {
    const reply = await run(db, o.command);
    print(reply, nameOf(o.command[0]!), raw);
    await db.close();
    return finish(o.exitOnError && reply.type === "error" ? 1 : 0);
  }
  if (!interactive) return piped(db, raw, o.exitOnError);
  return repl(db, o, raw);
}

/** Commands from stdin, one per line, sent pipelined in batches; replies printed in order. */
async function piped(db: Client, raw: boolean, exitOnError: boolean): Promise<void> {
  const BATCH = 1000;
  const rl = createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity });
  let batch: { name: string; reply: Promise<Tagged> }[] = [];
  let sawError = false;
  const drain = async () => {
    for (const b of batch) {
      const r = await b.reply;
      if (r.type === "error") sawError = true;
      print(r, b.name, raw);
    }
    batch = [];
    await flushOut();
  };
  try {
    for await (const line of rl) {
      const args = splitArgs(line);
      if (args === null) {
        batch.push({
          name: "",
          reply: Promise.resolve({ type: "error", value: "Invalid argument(s)" }),
        });
        continue;
      }
      if (args.length === 0) continue;
      batch.push({ name: nameOf(args[0]!), reply: run(db, args) });
      if (batch.length >= BATCH) await drain();
    }
    await drain();
  } catch (e) {
    fail(`Error: ${(e as Error).message}`);
  }
  await db.close();
  return finish(exitOnError && sawError ? 1 : 0);
}

/** The history file; IMDSCLI_HISTFILE overrides, and set but empty means none. */
function historyFile(): string | null {
  const env = process.env.IMDSCLI_HISTFILE;
  if (env !== undefined) return env === "" ? null : env;
  return join(homedir(), ".imdscli_history");
}

function loadHistory(path: string | null): string[] {
  if (path === null) return [];
  try {
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
    return lines.slice(-1000).reverse(); // readline wants the newest first
  } catch {
    return [];
  }
}

async function repl(db: Client, o: Options, raw: boolean): Promise<void> {
  let dbIndex = o.db;
  const prompt = () =>
    db.connected || db.pending > 0
      ? `${o.host}:${o.port}${dbIndex ? `[${dbIndex}]` : ""}> `
      : "not connected> ";
  const histPath = historyFile();
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history: loadHistory(histPath),
    historySize: 1000,
    removeHistoryDuplicates: false,
  } as Parameters<typeof createInterface>[0]);
  rl.setPrompt(prompt());
  rl.prompt();
  for await (const line of rl) {
    const args = splitArgs(line);
    if (args === null) {
      emit("Invalid argument(s)\n");
    } else if (args.length > 0) {
      const name = nameOf(args[0]!);
      if (name === "quit" || name === "exit") break;
      // AUTH lines would put a password in the history file.
      if (name !== "auth" && histPath !== null) {
        try {
          appendFileSync(histPath, `${line}\n`);
        } catch {
          // no history file (read-only home): keep going with in-memory history
        }
      }
      if (name === "clear") emit("\x1b[H\x1b[2J");
      else {
        try {
          const reply = await run(db, args);
          print(reply, name, raw);
          if (name === "select" && reply.type !== "error" && args.length === 2) {
            dbIndex = Number(utf8.decode(args[1]!));
          }
        } catch (e) {
          emit(`Error: ${(e as Error).message}\n`);
        }
      }
    }
    await flushOut();
    rl.setPrompt(prompt());
    rl.prompt();
  }
  rl.close();
  db.destroy();
  return finish(0);
}

await main();
