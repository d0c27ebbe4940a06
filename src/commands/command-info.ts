// COMMAND, COMMAND INFO / DOCS / COUNT / LIST / GETKEYS: the command table as Redis 7.0
// describes it, for redis-cli hints, client libraries, proxies and cluster clients. Everything
// is served from the registered CommandSpec records (Redis's own metadata, src/commands/table.ts);
// a container lists only the subcommands imds implements.

import type { Reply } from "../protocol/reply.ts";
import { globMatchText } from "../store/glob.ts";
import type { SessionContext } from "./context.ts";
import { SYNTAX } from "./errors.ts";
import {
  CMD_NO_MANDATORY_KEYS,
  type CommandSpec,
  type CommandTable,
  type KeySpec,
  keyPositions,
} from "./table.ts";

function statusSet(r: Reply, items: readonly string[]): void {
  r.set(items.length);
  for (const s of items) r.status(s);
}

/** A JSON value from the records as Redis replies it: maps, arrays, bulk strings, integers. */
function value(r: Reply, v: unknown, key = ""): void {
  if (typeof v === "number") return r.int(v);
  if (typeof v === "string") return r.bulkStr(v);
  if (Array.isArray(v)) {
    // Flag lists are sets of status replies (addReplyFlagsForArg, addReplyDocFlagsForCommand).
    if (key === "flags" || key === "doc_flags") return statusSet(r, v as string[]);
    if (key === "history") r.set(v.length);
    else r.array(v.length);
    for (const x of v) value(r, x);
    return;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  r.map(keys.length);
  for (const k of keys) {
    r.bulkStr(k);
    value(r, o[k], k);
  }
}

function keySpec(r: Reply, ks: KeySpec): void {
  r.map(ks.notes !== undefined ? 4 : 3);
  if (ks.notes !== undefined) {
    r.bulkStr("notes");
    r.bulkStr(ks.notes);
  }
  r.bulkStr("flags");
  statusSet(r, ks.flags);
  r.bulkStr("begin_search");
  value(r, ks.begin_search);
  r.bulkStr("find_keys");
  value(r, ks.find_keys);
}

/** One COMMAND INFO entry: the 10-element array of Redis 7.0. */
function commandInfo(r: Reply, spec: CommandSpec): void {
  r.array(10);
  r.bulkStr(spec.name);
  r.int(spec.arity);
  statusSet(r, spec.flagNames);
  r.int(spec.firstKey);
  r.int(spec.lastKey);
  r.int(spec.step);
  statusSet(r, spec.acl);
  r.set(spec.tips.length);
  for (const t of spec.tips) r.bulkStr(t);
  r.set(spec.keySpecs.length);
  for (const ks of spec.keySpecs) keySpec(r, ks);
  const subs = spec.subcommands ?? [];
  r.set(subs.length);
  for (const s of subs) commandInfo(r, s);
}

/** One COMMAND DOCS value: Redis's doc record, and the subcommands imds implements. */
function commandDocs(r: Reply, table: CommandTable, spec: CommandSpec): void {
  const subs = spec.subcommands ?? [];
  const docs = table.docsOf(spec);
  const keys = Object.keys(docs);
  r.map(keys.length + (subs.length > 0 ? 1 : 0));
  for (const k of keys) {
    r.bulkStr(k);
    value(r, docs[k], k);
  }
  if (subs.length > 0) {
    r.bulkStr("subcommands");
    r.map(subs.length);
    for (const s of subs) {
      r.bulkStr(s.name);
      commandDocs(r, table, s);
    }
  }
}

export function commandAll(c: SessionContext): void {
  const all = c.server.commands.all;
  c.reply.array(all.length);
  for (const spec of all) commandInfo(c.reply, spec);
}

export function commandCount(c: SessionContext): void {
  c.reply.int(c.server.commands.size);
}

export function commandInfoCmd(c: SessionContext): void {
  const a = c.argv;
  if (a.count === 2) return commandAll(c);
  c.reply.array(a.count - 2);
  for (let i = 2; i < a.count; i++) {
    const spec = c.server.commands.find(a.str(i));
    if (spec === undefined) c.reply.nil();
    else commandInfo(c.reply, spec);
  }
}

export function commandDocsCmd(c: SessionContext): void {
  const a = c.argv;
  const specs: CommandSpec[] = [];
  if (a.count === 2) specs.push(...c.server.commands.all);
  else {
    for (let i = 2; i < a.count; i++) {
      const spec = c.server.commands.find(a.str(i));
      if (spec !== undefined) specs.push(spec);
    }
  }
  c.reply.map(specs.length);
  for (const spec of specs) {
    c.reply.bulkStr(spec.name);
    commandDocs(c.reply, c.server.commands, spec);
  }
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]. */
export function commandList(c: SessionContext): void {
  const a = c.argv;
  let filter: (s: CommandSpec) => boolean = () => true;
  if (a.count === 5 && a.is(2, "filterby")) {
    const value = a.str(4);
    if (a.is(3, "module"))
      filter = () => false; // no modules
    else if (a.is(3, "aclcat")) {
      const cat = `@${value.toLowerCase()}`;
      filter = (s) => s.acl.includes(cat);
    } else if (a.is(3, "pattern")) filter = (s) => globMatchText(value, s.name, true);
    else return c.reply.error(SYNTAX);
  } else if (a.count !== 2) {
    return c.reply.error(SYNTAX);
  }
  const names: string[] = [];
  for (const spec of c.server.commands.all) {
    if (filter(spec)) names.push(spec.name);
    for (const s of spec.subcommands ?? []) if (filter(s)) names.push(s.name);
  }
  c.reply.array(names.length);
  for (const n of names) c.reply.bulkStr(n);
}

/** A command has keys if one of its key specs is not a "fake" key (doesCommandHaveKeys). */
function hasKeys(spec: CommandSpec): boolean {
  return spec.keySpecs.some((ks) => !ks.flags.includes("not_key"));
}

/** COMMAND GETKEYS command arg ...: the key arguments, found through the key specs. */
export function commandGetkeys(c: SessionContext): void {
  const a = c.argv;
  let spec = c.server.commands.find(a.str(2));
  // A container's keys are its subcommand's (OBJECT ENCODING key), as Redis's lookupCommand.
  if (spec?.subcommands !== undefined && a.count > 3) {
    spec = c.server.commands.find(`${a.str(2)}|${a.str(3)}`) ?? spec;
  }
  if (spec === undefined) return c.reply.error("ERR Invalid command specified");
  const argc = a.count - 2;
  if (!hasKeys(spec)) return c.reply.error("ERR The command has no key arguments");
  if ((spec.arity > 0 && argc !== spec.arity) || argc < -spec.arity) {
    return c.reply.error("ERR Invalid number of arguments specified for command");
  }
  const keys = keyPositions(
    spec,
    argc,
    (i, w) => a.is(i + 2, w),
    (i) => a.int(i + 2),
  );
  if (keys === null || keys.length === 0) {
    if (spec.flags & CMD_NO_MANDATORY_KEYS) return c.reply.array(0);
    return c.reply.error("ERR Invalid arguments specified for command");
  }
  c.reply.array(keys.length);
  for (const i of keys) c.reply.bulk(a.buf, a.off(i + 2), a.len(i + 2));
}

export const COMMAND_HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
];
