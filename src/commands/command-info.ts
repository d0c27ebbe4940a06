// COMMAND, COMMAND INFO / DOCS / COUNT / LIST / GETKEYS: the command table as
// Redis 7.0 describes it, for redis-cli hints and client libraries. Everything
// is derived from the CommandSpec data (arity, flags, key positions, group).

import type { Client } from "../server/client.ts";
import { ERR_SYNTAX } from "./connection.ts";
import { globMatch } from "./glob.ts";
import type { CommandSpec } from "./table.ts";

// COMMAND INFO lists flags in Redis's bit order, and only these (e.g. not
// "sentinel"); imds's internal "noauth" is Redis's "no_auth".
const FLAG_ORDER = [
  "write",
  "readonly",
  "denyoom",
  "module",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "asking",
  "fast",
  "no_auth",
  "may_replicate",
  "no_mandatory_keys",
  "no_multi",
  "allow_busy",
  "movablekeys",
];

function infoFlags(spec: CommandSpec): string[] {
  const have = new Set(spec.flags.map((f) => (f === "noauth" ? "no_auth" : f)));
  return FLAG_ORDER.filter((f) => have.has(f));
}

/**
 * What Redis's command JSON declares beyond what the flags imply, for the
 * commands of this family: extra ACL categories and command tips.
 */
const EXTRA: Record<string, { acl?: string[]; tips?: string[] }> = {
  ping: { tips: ["request_policy:all_shards", "response_policy:all_succeeded"] },
  dbsize: { acl: ["keyspace"], tips: ["request_policy:all_shards", "response_policy:agg_sum"] },
  flushdb: {
    acl: ["keyspace", "dangerous"],
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
  },
  flushall: {
    acl: ["keyspace", "dangerous"],
    tips: ["request_policy:all_shards", "response_policy:all_succeeded"],
  },
  swapdb: { acl: ["keyspace", "dangerous"] },
  info: {
    acl: ["dangerous"],
    tips: ["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
  },
  time: { tips: ["nondeterministic_output"] },
  command: { acl: ["connection"], tips: ["nondeterministic_output_order"] },
  "command|count": { acl: ["connection"] },
  "command|docs": { acl: ["connection"], tips: ["nondeterministic_output_order"] },
  "command|info": { acl: ["connection"], tips: ["nondeterministic_output_order"] },
  "command|list": { acl: ["connection"], tips: ["nondeterministic_output_order"] },
  "command|getkeys": { acl: ["connection"] },
  "command|help": { acl: ["connection"] },
  "client|list": { tips: ["nondeterministic_output"] },
  "client|info": { tips: ["nondeterministic_output"] },
  "client|id": {},
  "config|get": {},
  "config|set": { tips: ["request_policy:all_nodes", "response_policy:all_succeeded"] },
  "config|resetstat": { tips: ["request_policy:all_nodes", "response_policy:all_succeeded"] },
  "function|list": { tips: ["nondeterministic_output_order"] },
  "function|flush": { tips: ["request_policy:all_shards", "response_policy:all_succeeded"] },
};

// Redis lists a command's ACL categories in the order of their flag bits.
const CATEGORY_ORDER = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** ACL categories, derived as Redis assigns them: data type, read/write, fast/slow, admin. */
export function aclCategories(spec: CommandSpec): string[] {
  const has = (f: string) => spec.flags.includes(f);
  const cats = new Set<string>();
  // A container (CLIENT, CONFIG...) is only @slow; its subcommands carry the rest.
  if (spec.subcommands !== undefined && spec.name !== "command") return ["@slow"];
  for (const extra of EXTRA[spec.name]?.acl ?? []) cats.add(extra);
  if (has("write")) cats.add("write");
  if (has("readonly")) cats.add("read");
  const group =
    spec.group === "generic"
      ? "keyspace"
      : spec.group === "sorted-set"
        ? "sortedset"
        : spec.group === "transactions"
          ? "transaction"
          : spec.group;
  if (CATEGORY_ORDER.includes(group) && group !== "admin" && group !== "connection") {
    cats.add(group);
  }
  // Connection commands are @connection, but not the admin ones (CLIENT LIST, KILL...).
  if (group === "connection" && !has("admin")) cats.add("connection");
  if (has("admin")) cats.add("admin").add("dangerous");
  cats.add(has("fast") ? "fast" : "slow");
  return CATEGORY_ORDER.filter((c) => cats.has(c)).map((c) => `@${c}`);
}

function statusSet(c: Client, items: readonly string[]): void {
  c.reply.set(items.length);
  for (const s of items) c.reply.status(s);
}

function keySpecs(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  if (spec.firstKey <= 0) return r.set(0);
  r.set(1);
  r.map(3);
  r.bulkStr("flags");
  if (spec.flags.includes("write")) statusSet(c, ["RW", "update"]);
  else if (spec.flags.includes("readonly")) statusSet(c, ["RO", "access"]);
  else statusSet(c, []);
  r.bulkStr("begin_search");
  r.map(2);
  r.bulkStr("type");
  r.bulkStr("index");
  r.bulkStr("spec");
  r.map(1);
  r.bulkStr("index");
  r.int(spec.firstKey);
  r.bulkStr("find_keys");
  r.map(2);
  r.bulkStr("type");
  r.bulkStr("range");
  r.bulkStr("spec");
  r.map(3);
  r.bulkStr("lastkey");
  r.int(spec.lastKey < 0 ? spec.lastKey : spec.lastKey - spec.firstKey);
  r.bulkStr("keystep");
  r.int(spec.step);
  r.bulkStr("limit");
  r.int(0);
}

/** One COMMAND INFO entry: the 10-element array of Redis 7.0. */
export function commandInfo(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  r.array(10);
  r.bulkStr(spec.name);
  r.int(spec.arity);
  statusSet(c, infoFlags(spec));
  r.int(spec.firstKey);
  r.int(spec.lastKey);
  r.int(spec.step);
  statusSet(c, aclCategories(spec));
  const tips = EXTRA[spec.name]?.tips ?? [];
  r.set(tips.length);
  for (const t of tips) r.bulkStr(t);
  keySpecs(c, spec);
  const subs = spec.subcommands ?? [];
  r.set(subs.length);
  for (const s of subs) commandInfo(c, s);
}

/** One COMMAND DOCS value: summary, since, group (and subcommands for containers). */
function commandDocs(c: Client, spec: CommandSpec): void {
  const r = c.reply;
  const subs = spec.subcommands ?? [];
  r.map(subs.length > 0 ? 4 : 3);
  r.bulkStr("summary");
  r.bulkStr(spec.summary);
  r.bulkStr("since");
  r.bulkStr(spec.since ?? "1.0.0");
  r.bulkStr("group");
  r.bulkStr(spec.group);
  if (subs.length > 0) {
    r.bulkStr("subcommands");
    r.map(subs.length);
    for (const s of subs) {
      r.bulkStr(s.name);
      commandDocs(c, s);
    }
  }
}

/** Find a command or "container|sub" by name. */
function findSpec(c: Client, name: string): CommandSpec | undefined {
  const lower = name.toLowerCase();
  const bar = lower.indexOf("|");
  const top = c.server.commands.get(bar < 0 ? lower : lower.slice(0, bar));
  if (top === undefined || bar < 0) return top;
  return top.subcommands?.find((s) => s.name === lower);
}

export function commandAll(c: Client): void {
  const all = c.server.commands.all;
  c.reply.array(all.length);
  for (const spec of all) commandInfo(c, spec);
}

export function commandCount(c: Client): void {
  c.reply.int(c.server.commands.size);
}

export function commandInfoCmd(c: Client): void {
  const a = c.argv;
  if (a.count === 2) return commandAll(c);
  c.reply.array(a.count - 2);
  for (let i = 2; i < a.count; i++) {
    const spec = findSpec(c, a.str(i));
    if (spec === undefined) c.reply.nil();
    else commandInfo(c, spec);
  }
}

export function commandDocsCmd(c: Client): void {
  const a = c.argv;
  const specs: CommandSpec[] = [];
  if (a.count === 2) specs.push(...c.server.commands.all);
  else {
    for (let i = 2; i < a.count; i++) {
      const spec = findSpec(c, a.str(i));
      if (spec !== undefined) specs.push(spec);
    }
  }
  c.reply.map(specs.length);
  for (const spec of specs) {
    c.reply.bulkStr(spec.name);
    commandDocs(c, spec);
  }
}

/** COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]. */
export function commandList(c: Client): void {
  const a = c.argv;
  let filter: (s: CommandSpec) => boolean = () => true;
  if (a.count === 5 && a.is(2, "filterby")) {
    const value = a.str(4);
    if (a.is(3, "module"))
      filter = () => false; // no modules
    else if (a.is(3, "aclcat")) {
      const cat = `@${value.toLowerCase()}`;
      filter = (s) => aclCategories(s).includes(cat);
    } else if (a.is(3, "pattern")) filter = (s) => globMatch(value, s.name, true);
    else return c.reply.error(ERR_SYNTAX);
  } else if (a.count !== 2) {
    return c.reply.error(ERR_SYNTAX);
  }
  const names: string[] = [];
  for (const spec of c.server.commands.all) {
    if (filter(spec)) names.push(spec.name);
    for (const s of spec.subcommands ?? []) if (filter(s)) names.push(s.name);
  }
  c.reply.array(names.length);
  for (const n of names) c.reply.bulkStr(n);
}

/** COMMAND GETKEYS command arg ...: the key arguments, from the key positions. */
export function commandGetkeys(c: Client): void {
  const a = c.argv;
  const spec = findSpec(c, a.str(2));
  if (spec === undefined) return c.reply.error("ERR Invalid command specified");
  const argc = a.count - 2;
  if (spec.firstKey <= 0) return c.reply.error("ERR The command has no key arguments");
  if ((spec.arity > 0 && argc !== spec.arity) || argc < -spec.arity) {
    return c.reply.error("ERR Invalid number of arguments specified for command");
  }
  const last = spec.lastKey < 0 ? argc + spec.lastKey : spec.lastKey;
  const keys: number[] = [];
  for (let i = spec.firstKey; i <= last && i < argc; i += spec.step) keys.push(i + 2);
  c.reply.array(keys.length);
  for (const i of keys) c.reply.bulk(a.buf, a.off(i), a.len(i));
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
