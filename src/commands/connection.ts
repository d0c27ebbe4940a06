// Connection commands (PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT ...)
// with Redis 7.0's replies and error texts. Per-connection state lives on the
// Client; the reply mode (RESP2/RESP3, v1 untyped/typed) on its Reply.

import { createHash, timingSafeEqual } from "node:crypto";
import { MODE_RESP2, MODE_RESP3, MODE_V1, MODE_V1_TYPED } from "../protocol/reply.ts";
import { type Client, FRAMING_V1, REPLY_OFF, REPLY_ON, REPLY_SKIP_NEXT } from "../server/client.ts";
import { REDIS_VERSION } from "../server/info.ts";
import { type CommandSpec, command } from "./table.ts";

export const ERR_NOT_INTEGER = "ERR value is not an integer or out of range";
export const ERR_DB_RANGE = "ERR DB index is out of range";
export const ERR_SYNTAX = "ERR syntax error";
const ERR_WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const ERR_NOPASS =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
const ERR_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

// ---- PING ECHO QUIT SELECT ----------------------------------------------------

function ping(c: Client): void {
  const a = c.argv;
  if (a.count > 2) return c.reply.error("ERR wrong number of arguments for 'ping' command");
  if (a.count === 1) return c.reply.status("PONG");
  c.reply.bulk(a.buf, a.off(1), a.len(1));
}

function echo(c: Client): void {
  const a = c.argv;
  c.reply.bulk(a.buf, a.off(1), a.len(1));
}

function quit(c: Client): void {
  c.reply.ok();
  c.closeAfterFlush = true;
}

/** A database index argument, or -1 after replying with Redis's error. */
export function dbIndexArg(c: Client, i: number): number {
  const n = c.argv.int(i);
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    c.reply.error(ERR_NOT_INTEGER);
    return -1;
  }
  if (n < 0 || n >= c.server.keyspace.databases) {
    c.reply.error(ERR_DB_RANGE);
    return -1;
  }
  return n;
}

function select(c: Client): void {
  const db = dbIndexArg(c, 1);
  if (db < 0) return;
  c.db = db;
  c.reply.ok();
}

// ---- AUTH HELLO RESET -----------------------------------------------------------

function digest(b: Uint8Array | string): Buffer {
  return createHash("sha256").update(b).digest();
}

/**
 * Check credentials for the only user, "default" (requirepass). With no
 * password configured the default user is "nopass": any password works.
 */
function credentialsOk(c: Client, user: string | null, passArg: number): boolean {
  if (user !== null && user !== "default") return false;
  const required = c.server.config.get("requirepass");
  if (required === "") return true;
  // Compare digests in constant time, as Redis's time_independent_strcmp.
  return timingSafeEqual(digest(c.argv.bytes(passArg)), digest(required));
}

function auth(c: Client): void {
  const a = c.argv;
  if (a.count > 3) return c.reply.error(ERR_SYNTAX);
  if (a.count === 2 && c.server.config.get("requirepass") === "") {
    return c.reply.error(ERR_NOPASS);
  }
  const user = a.count === 3 ? a.str(1) : null;
  if (!credentialsOk(c, user, a.count - 1)) {
    c.server.log.verbose(`AUTH failed for client id=${c.id} addr=${c.addr}`);
    return c.reply.error(ERR_WRONGPASS);
  }
  c.authenticated = true;
  c.reply.ok();
}

/** Redis's validateClientName: bytes '!'..'~' only (an empty name clears it). */
function validName(c: Client, i: number): boolean {
  const a = c.argv;
  const o = a.off(i);
  for (let k = 0; k < a.len(i); k++) {
    const b = a.buf[o + k]!;
    if (b < 33 || b > 126) return false;
  }
  return true;
}

function hello(c: Client): void {
  const a = c.argv;
  const v1 = c.framing === FRAMING_V1;
  let ver = 0;
  if (a.count >= 2) {
    ver = a.int(1);
    if (!Number.isInteger(ver)) {
      return c.reply.error("ERR Protocol version is not an integer or out of range");
    }
    // RESP speaks 2 and 3; the v1 protocol also takes 1 (its original untyped replies).
    if (ver < (v1 ? 1 : 2) || ver > 3) return c.reply.error("NOPROTO unsupported protocol version");
  }
  let userArg = -1;
  let nameArg = -1;
  for (let j = 2; j < a.count; j++) {
    const more = a.count - 1 - j;
    if (a.is(j, "auth") && more >= 2) {
      userArg = j + 1;
      j += 2;
    } else if (a.is(j, "setname") && more >= 1) {
      if (!validName(c, j + 1)) return c.reply.error(ERR_NAME);
      nameArg = j + 1;
      j++;
    } else {
      return c.reply.error(`ERR Syntax error in HELLO option '${a.latin1(j)}'`);
    }
  }
  if (userArg >= 0) {
    if (!credentialsOk(c, a.str(userArg), userArg + 1)) return c.reply.error(ERR_WRONGPASS);
    c.authenticated = true;
  }
  if (!c.authenticated) {
    return c.reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  if (nameArg >= 0) c.name = a.str(nameArg);
  if (ver !== 0) {
    c.protover = ver;
    if (v1) c.reply.mode = ver === 1 ? MODE_V1 : MODE_V1_TYPED;
    else c.reply.mode = ver === 3 ? MODE_RESP3 : MODE_RESP2;
  }
  const r = c.reply;
  r.map(7);
  r.bulkStr("server");
  r.bulkStr("redis");
  r.bulkStr("version");
  r.bulkStr(REDIS_VERSION);
  r.bulkStr("proto");
  r.int(c.protover);
  r.bulkStr("id");
  r.int(c.id);
  r.bulkStr("mode");
  r.bulkStr("standalone");
  r.bulkStr("role");
  r.bulkStr("master");
  r.bulkStr("modules");
  r.array(0);
}

/** RESET: the connection as new (db 0, RESP2 / untyped v1, no name, not authenticated). */
function reset(c: Client): void {
  c.db = 0;
  c.name = "";
  c.replyMode = REPLY_ON;
  c.noEvict = false;
  c.authenticated = c.server.config.get("requirepass") === "";
  if (c.framing === FRAMING_V1) {
    c.protover = 1;
    c.reply.mode = MODE_V1;
  } else {
    c.protover = 2;
    c.reply.mode = MODE_RESP2;
  }
  c.reply.status("RESET");
}

// ---- CLIENT -----------------------------------------------------------------------

/** One CLIENT LIST line, with Redis 7.0's fields. */
export function clientInfoLine(c: Client): string {
  const now = c.server.now;
  let argvMem = 0;
  const a = c.argv;
  for (let i = 0; i < a.count; i++) argvMem += a.len(i);
  const flags = c.closeAfterFlush ? "c" : "N";
  const omem = c.out.pending;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=-1 name=${c.name} ` +
    `age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${flags} db=${c.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=${c.queryBufferBytes} qbuf-free=0 ` +
    `argv-mem=${argvMem} multi-mem=0 rbs=${c.out.capacity} rbp=${c.out.capacity} obl=0 oll=0 ` +
    `omem=${omem} tot-mem=${c.out.capacity + c.queryBufferBytes} events=${omem > 0 ? "rw" : "r"} ` +
    `cmd=${c.lastCommand} user=default redir=-1 resp=${c.protover}`
  );
}

function clientId(c: Client): void {
  c.reply.int(c.id);
}

function clientInfo(c: Client): void {
  c.reply.verbatim(`${clientInfoLine(c)}\n`);
}

const CLIENT_TYPES = ["normal", "master", "replica", "slave", "pubsub"];

function clientList(c: Client): void {
  const a = c.argv;
  let ids: Set<number> | null = null;
  let type = "";
  for (let i = 2; i < a.count; i++) {
    if (a.is(i, "type") && i + 1 < a.count) {
      type = a.str(i + 1).toLowerCase();
      if (!CLIENT_TYPES.includes(type)) {
        return c.reply.error(`ERR Unknown client type '${a.latin1(i + 1)}'`);
      }
      i++;
    } else if (a.is(i, "id") && i + 1 < a.count) {
      ids = new Set();
      for (i++; i < a.count; i++) {
        const id = a.int(i);
        if (!Number.isInteger(id)) return c.reply.error("ERR Invalid client ID");
        ids.add(id);
      }
    } else {
      return c.reply.error(ERR_SYNTAX);
    }
  }
  let text = "";
  // Every client is a normal one: there are no replicas and no pubsub yet.
  if (type === "" || type === "normal") {
    for (const other of c.server.clients.values()) {
      if (ids === null || ids.has(other.id)) text += `${clientInfoLine(other)}\n`;
    }
  }
  c.reply.verbatim(text);
}

function clientGetname(c: Client): void {
  if (c.name === "") return c.reply.nil();
  c.reply.bulkStr(c.name);
}

function clientSetname(c: Client): void {
  if (!validName(c, 2)) return c.reply.error(ERR_NAME);
  c.name = c.argv.str(2);
  c.reply.ok();
}

function clientReply(c: Client): void {
  const a = c.argv;
  if (a.is(2, "on")) c.replyMode = REPLY_ON;
  else if (a.is(2, "off")) c.replyMode = REPLY_OFF;
  else if (a.is(2, "skip")) c.replyMode = REPLY_SKIP_NEXT;
  else return c.reply.error(ERR_SYNTAX);
  c.reply.ok(); // dropped by server.execute for OFF and SKIP
}

function clientNoEvict(c: Client): void {
  const a = c.argv;
  if (a.is(2, "on")) c.noEvict = true;
  else if (a.is(2, "off")) c.noEvict = false;
  else return c.reply.error(ERR_SYNTAX);
  c.reply.ok();
}

/** CLIENT KILL <ip:port> | CLIENT KILL <filter> <value> ... (ID ADDR LADDR TYPE USER SKIPME MAXAGE). */
function clientKill(c: Client): void {
  const a = c.argv;
  const server = c.server;
  if (a.count === 3) {
    // Old form: by address, may kill the caller itself; replies OK or an error.
    const addr = a.str(2);
    for (const other of server.clients.values()) {
      if (other.addr === addr) {
        c.reply.ok();
        kill(c, other);
        return;
      }
    }
    return c.reply.error("ERR No such client");
  }
  let id = 0;
  let addr: string | null = null;
  let laddr: string | null = null;
  let type: string | null = null;
  let user: string | null = null;
  let skipme = true;
  let maxAge = 0;
  if ((a.count - 2) % 2 !== 0) return c.reply.error(ERR_SYNTAX);
  for (let i = 2; i < a.count; i += 2) {
    if (a.is(i, "id")) {
      id = a.int(i + 1);
      if (!(id > 0)) return c.reply.error("ERR client-id should be greater than 0");
    } else if (a.is(i, "addr")) addr = a.str(i + 1);
    else if (a.is(i, "laddr")) laddr = a.str(i + 1);
    else if (a.is(i, "type")) {
      type = a.str(i + 1).toLowerCase();
      if (!CLIENT_TYPES.includes(type)) {
        return c.reply.error(`ERR Unknown client type '${a.latin1(i + 1)}'`);
      }
    } else if (a.is(i, "user")) {
      user = a.str(i + 1);
      if (user !== "default") return c.reply.error(`ERR No such user '${user}'`);
    } else if (a.is(i, "skipme")) {
      if (a.is(i + 1, "yes")) skipme = true;
      else if (a.is(i + 1, "no")) skipme = false;
      else return c.reply.error(ERR_SYNTAX);
    } else if (a.is(i, "maxage")) {
      maxAge = a.int(i + 1);
      if (!Number.isInteger(maxAge)) return c.reply.error(ERR_NOT_INTEGER);
    } else return c.reply.error(ERR_SYNTAX);
  }
  const victims: Client[] = [];
  const now = server.now;
  for (const other of server.clients.values()) {
    if (id !== 0 && other.id !== id) continue;
    if (addr !== null && other.addr !== addr) continue;
    if (laddr !== null && other.laddr !== laddr) continue;
    if (type !== null && type !== "normal") continue;
    if (maxAge > 0 && (now - other.createdAt) / 1000 < maxAge) continue;
    if (skipme && other === c) continue;
    victims.push(other);
  }
  c.reply.int(victims.length);
  for (const v of victims) kill(c, v);
}

/** Close a client; the caller itself is closed once its reply is flushed. */
function kill(self: Client, victim: Client): void {
  if (victim === self) self.closeAfterFlush = true;
  else victim.close();
}

export function helpReply(c: Client, name: string, lines: readonly string[]): void {
  const all = [
    `${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`,
    ...lines,
    "HELP",
    "    Prints this help.",
  ];
  c.reply.array(all.length);
  for (const l of all) c.reply.status(l);
}

const CLIENT_HELP = [
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

const CONN = "connection";
const ADMIN = "admin noscript loading stale";

/** Subcommand spec: `name` is "container|sub"; arity counts the container name. */
export function sub(
  name: string,
  arity: number,
  flags: string,
  summary: string,
  handler: (c: Client) => void,
  since: string,
  group = CONN,
): CommandSpec {
  return command(name, arity, flags, [0, 0, 0], group, summary, handler, { since });
}

const clientSubcommands: CommandSpec[] = [
  sub(
    "client|id",
    2,
    "noscript loading stale",
    "Returns the unique client ID of the connection.",
    clientId,
    "5.0.0",
  ),
  sub(
    "client|info",
    2,
    "noscript loading stale",
    "Returns information about the connection.",
    clientInfo,
    "6.2.0",
  ),
  sub("client|list", -2, ADMIN, "Lists open connections.", clientList, "2.4.0"),
  sub("client|kill", -3, ADMIN, "Terminates open connections.", clientKill, "2.4.0"),
  sub(
    "client|getname",
    2,
    "noscript loading stale",
    "Returns the name of the connection.",
    clientGetname,
    "2.6.9",
  ),
  sub(
    "client|setname",
    3,
    "noscript loading stale",
    "Sets the connection name.",
    clientSetname,
    "2.6.9",
  ),
  sub(
    "client|reply",
    3,
    "noscript loading stale",
    "Instructs the server whether to reply to commands.",
    clientReply,
    "3.2.0",
  ),
  sub(
    "client|no-evict",
    3,
    ADMIN,
    "Sets the client eviction mode of the connection.",
    clientNoEvict,
    "7.0.0",
  ),
  sub(
    "client|help",
    2,
    "loading stale",
    "Returns helpful text about the different subcommands.",
    (c) => helpReply(c, "CLIENT", CLIENT_HELP),
    "5.0.0",
  ),
];

function containerOnly(c: Client): void {
  // Unreachable: server.execute dispatches to a subcommand (arity -2 needs one).
  c.reply.error(`ERR wrong number of arguments for '${c.argv.str(0).toLowerCase()}' command`);
}

export const connectionCommands: CommandSpec[] = [
  command(
    "ping",
    -1,
    "fast sentinel",
    [0, 0, 0],
    CONN,
    "Returns the server's liveliness response.",
    ping,
    { since: "1.0.0" },
  ),
  command("echo", 2, "loading stale fast", [0, 0, 0], CONN, "Returns the given string.", echo, {
    since: "1.0.0",
  }),
  command(
    "quit",
    -1,
    "noscript loading stale fast noauth allow_busy",
    [0, 0, 0],
    CONN,
    "Closes the connection.",
    quit,
    { since: "1.0.0" },
  ),
  command(
    "select",
    2,
    "loading stale fast",
    [0, 0, 0],
    CONN,
    "Changes the selected database.",
    select,
    { since: "1.0.0" },
  ),
  command(
    "auth",
    -2,
    "noscript loading stale fast noauth sentinel allow_busy",
    [0, 0, 0],
    CONN,
    "Authenticates the connection.",
    auth,
    { since: "1.0.0" },
  ),
  command(
    "hello",
    -1,
    "noscript loading stale fast noauth sentinel allow_busy",
    [0, 0, 0],
    CONN,
    "Handshakes with the Redis server.",
    hello,
    { since: "6.0.0" },
  ),
  command(
    "reset",
    1,
    "noscript loading stale fast noauth allow_busy",
    [0, 0, 0],
    CONN,
    "Resets the connection.",
    reset,
    { since: "6.2.0" },
  ),
  command(
    "client",
    -2,
    "sentinel",
    [0, 0, 0],
    CONN,
    "A container for client connection commands.",
    containerOnly,
    { since: "2.4.0", subcommands: clientSubcommands },
  ),
];
