// Connection commands (PING, ECHO, QUIT, SELECT, HELLO, AUTH, RESET, CLIENT ...)
// with Redis 7.0's replies and error texts. Per-connection state lives on the
// Client; the reply mode (RESP2/RESP3, v1 untyped/typed) on its Reply.

import { MODE_RESP2, MODE_RESP3, MODE_V1, MODE_V1_TYPED } from "../protocol/reply.ts";
import { REDIS_VERSION } from "../version.ts";
import {
  type ClientSession,
  type CommandContext,
  REPLY_OFF,
  REPLY_ON,
  REPLY_SKIP_NEXT,
  type SessionContext,
} from "./context.ts";
import { DB_RANGE, NOT_INT, SYNTAX } from "./errors.ts";
import { type CommandDef, cmd } from "./table.ts";

const ERR_WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const ERR_NOPASS =
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
const ERR_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

// ---- PING ECHO QUIT SELECT ----------------------------------------------------

function ping(c: SessionContext): void {
  const a = c.argv;
  if (a.count > 2) return c.reply.error("ERR wrong number of arguments for 'ping' command");
  // A subscribed client without push types (RESP2) gets PING's answer as a message.
  if (c.client.subscriptionCount > 0 && c.protover !== 3) {
    c.reply.array(2);
    c.reply.bulkStr("pong");
    if (a.count === 1) c.reply.bulkStr("");
    else c.reply.bulk(a.buf, a.off(1), a.len(1));
    return;
  }
  if (a.count === 1) return c.reply.status("PONG");
  c.reply.bulk(a.buf, a.off(1), a.len(1));
}

function echo(c: SessionContext): void {
  const a = c.argv;
  c.reply.bulk(a.buf, a.off(1), a.len(1));
}

function quit(c: SessionContext): void {
  c.reply.ok();
  c.client.closeAfterFlush = true;
}

/** A database index argument, or -1 after replying with Redis's error. */
export function dbIndexArg(c: CommandContext, i: number): number {
  const n = c.argv.int(i);
  if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    c.reply.error(NOT_INT);
    return -1;
  }
  if (n < 0 || n >= c.keyspace.databases) {
    c.reply.error(DB_RANGE);
    return -1;
  }
  return n;
}

function select(c: SessionContext): void {
  const db = dbIndexArg(c, 1);
  if (db < 0) return;
  c.db = db;
  c.reply.ok();
}

// ---- AUTH HELLO RESET -----------------------------------------------------------

// node:crypto costs ~1-3 MB of RSS once imported: required at the first AUTH with a password
// (require caches it).
function cryptoModule(): typeof import("node:crypto") {
  return require("node:crypto") as typeof import("node:crypto");
}

function digest(b: Uint8Array | string): Buffer {
  return cryptoModule().createHash("sha256").update(b).digest();
}

/**
 * Check credentials for the only user, "default" (requirepass). With no
 * password configured the default user is "nopass": any password works.
 */
function credentialsOk(c: SessionContext, user: string | null, passArg: number): boolean {
  if (user !== null && user !== "default") return false;
  const required = c.server.config.get("requirepass");
  if (required === "") return true;
  // Compare digests in constant time, as Redis's time_independent_strcmp.
  return cryptoModule().timingSafeEqual(digest(c.argv.bytes(passArg)), digest(required));
}

function auth(c: SessionContext): void {
  const a = c.argv;
  if (a.count > 3) return c.reply.error(SYNTAX);
  if (a.count === 2 && c.server.config.get("requirepass") === "") {
    return c.reply.error(ERR_NOPASS);
  }
  const user = a.count === 3 ? a.str(1) : null;
  if (!credentialsOk(c, user, a.count - 1)) {
    c.server.logLine("verbose", `AUTH failed for client id=${c.client.id} addr=${c.client.addr}`);
    return c.reply.error(ERR_WRONGPASS);
  }
  c.client.authenticated = true;
  c.reply.ok();
}

/** Redis's validateClientName: bytes '!'..'~' only (an empty name clears it). */
function validName(c: SessionContext, i: number): boolean {
  const a = c.argv;
  const o = a.off(i);
  for (let k = 0; k < a.len(i); k++) {
    const b = a.buf[o + k]!;
    if (b < 33 || b > 126) return false;
  }
  return true;
}

function hello(c: SessionContext): void {
  const a = c.argv;
  const v1 = c.client.isV1;
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
    c.client.authenticated = true;
  }
  if (!c.client.authenticated) {
    return c.reply.error(
      "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    );
  }
  if (nameArg >= 0) c.client.name = a.str(nameArg);
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
  r.int(c.client.id);
  r.bulkStr("mode");
  r.bulkStr("standalone");
  r.bulkStr("role");
  r.bulkStr("master");
  r.bulkStr("modules");
  r.array(0);
}

/** RESET: the connection as new (db 0, RESP2 / untyped v1, no name, not authenticated). */
function reset(c: SessionContext): void {
  c.db = 0;
  c.client.reset();
  c.client.name = "";
  c.client.replyMode = REPLY_ON;
  c.client.noEvict = false;
  c.client.authenticated = c.server.config.get("requirepass") === "";
  if (c.client.isV1) {
    c.protover = 1;
    c.reply.mode = MODE_V1;
  } else {
    c.protover = 2;
    c.reply.mode = MODE_RESP2;
  }
  c.reply.status("RESET");
}

// ---- CLIENT -----------------------------------------------------------------------

function clientId(c: SessionContext): void {
  c.reply.int(c.client.id);
}

function clientInfo(c: SessionContext): void {
  c.reply.verbatim(`${c.client.describe(c.now)}\n`);
}

const CLIENT_TYPES = ["normal", "master", "replica", "slave", "pubsub"];

function clientList(c: SessionContext): void {
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
      return c.reply.error(SYNTAX);
    }
  }
  let text = "";
  // Clients are normal or pubsub (subscribed to something); there are no replicas.
  for (const other of c.server.clientList()) {
    if (type !== "" && type !== clientType(other)) continue;
    if (ids === null || ids.has(other.id)) text += `${other.describe(c.now)}\n`;
  }
  c.reply.verbatim(text);
}

function clientGetname(c: SessionContext): void {
  if (c.client.name === "") return c.reply.nil();
  c.reply.bulkStr(c.client.name);
}

function clientSetname(c: SessionContext): void {
  if (!validName(c, 2)) return c.reply.error(ERR_NAME);
  c.client.name = c.argv.str(2);
  c.reply.ok();
}

function clientReply(c: SessionContext): void {
  const a = c.argv;
  if (a.is(2, "on")) c.client.replyMode = REPLY_ON;
  else if (a.is(2, "off")) c.client.replyMode = REPLY_OFF;
  else if (a.is(2, "skip")) c.client.replyMode = REPLY_SKIP_NEXT;
  else return c.reply.error(SYNTAX);
  c.reply.ok(); // dropped by server.execute for OFF and SKIP
}

function clientNoEvict(c: SessionContext): void {
  const a = c.argv;
  if (a.is(2, "on")) c.client.noEvict = true;
  else if (a.is(2, "off")) c.client.noEvict = false;
  else return c.reply.error(SYNTAX);
  c.reply.ok();
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: end a blocking command of another client. */
function clientUnblock(c: SessionContext): void {
  const a = c.argv;
  let withError = false;
  if (a.count === 4) {
    if (a.is(3, "error")) withError = true;
    else if (!a.is(3, "timeout"))
      return c.reply.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  }
  const id = a.int(2);
  if (Number.isNaN(id)) return c.reply.error(NOT_INT);
  c.reply.int(c.server.unblockClient(id, withError) ? 1 : 0);
}

/** CLIENT KILL <ip:port> | CLIENT KILL <filter> <value> ... (ID ADDR LADDR TYPE USER SKIPME MAXAGE). */
function clientKill(c: SessionContext): void {
  const a = c.argv;
  const server = c.server;
  if (a.count === 3) {
    // Old form: by address, may kill the caller itself; replies OK or an error.
    const addr = a.str(2);
    for (const other of server.clientList()) {
      if (other.addr === addr) {
        c.reply.ok();
        kill(c.client, other);
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
  if ((a.count - 2) % 2 !== 0) return c.reply.error(SYNTAX);
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
      else return c.reply.error(SYNTAX);
    } else if (a.is(i, "maxage")) {
      maxAge = a.int(i + 1);
      if (!Number.isInteger(maxAge)) return c.reply.error(NOT_INT);
    } else return c.reply.error(SYNTAX);
  }
  const victims: ClientSession[] = [];
  const now = c.now;
  for (const other of server.clientList()) {
    if (id !== 0 && other.id !== id) continue;
    if (addr !== null && other.addr !== addr) continue;
    if (laddr !== null && other.laddr !== laddr) continue;
    if (type !== null && type !== clientType(other)) continue;
    if (maxAge > 0 && (now - other.createdAt) / 1000 < maxAge) continue;
    if (skipme && other === c.client) continue;
    victims.push(other);
  }
  c.reply.int(victims.length);
  for (const v of victims) kill(c.client, v);
}

/** Redis's getClientType name: "pubsub" while subscribed, else "normal". */
function clientType(cl: ClientSession): string {
  return cl.subscriptionCount > 0 ? "pubsub" : "normal";
}

/** Close a client; the caller itself is closed once its reply is flushed. */
function kill(self: ClientSession, victim: ClientSession): void {
  if (victim === self) self.closeAfterFlush = true;
  else victim.close();
}

export function helpReply(c: CommandContext, name: string, lines: readonly string[]): void {
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
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

const clientSubcommands: CommandDef[] = [
  cmd("client|id", clientId),
  cmd("client|info", clientInfo),
  cmd("client|list", clientList),
  cmd("client|kill", clientKill),
  cmd("client|getname", clientGetname),
  cmd("client|setname", clientSetname),
  cmd("client|reply", clientReply),
  cmd("client|no-evict", clientNoEvict),
  cmd("client|unblock", clientUnblock),
  cmd("client|help", (c) => helpReply(c, "CLIENT", CLIENT_HELP)),
];

/** A container's own handler (CLIENT, CONFIG...): dispatch runs its subcommands instead. */
export function containerOnly(c: CommandContext): void {
  // Unreachable: server.execute dispatches to a subcommand (arity -2 needs one).
  c.reply.error(`ERR wrong number of arguments for '${c.argv.str(0).toLowerCase()}' command`);
}

export const connectionCommands: CommandDef[] = [
  cmd("ping", ping),
  cmd("echo", echo),
  cmd("quit", quit),
  cmd("select", select),
  cmd("auth", auth),
  cmd("hello", hello),
  cmd("reset", reset),
  cmd("client", containerOnly, { subcommands: clientSubcommands }),
];
