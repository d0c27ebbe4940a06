// Generic key commands (Redis db.c / object.c): they work on keys of any type. A key's type is
// t.type[e]; a non-string key's structure is t.getObj(e), copied for COPY through the per-type
// hooks in store/objects.ts.

import { parseInt64, parseInt64Big } from "../protocol/number.ts";
import { copyBytes } from "../store/bytes.ts";
import { globMatch } from "../store/glob.ts";
import { CLOCK_LFU } from "../store/keyspace.ts";
import { NOTIFY_GENERIC } from "../store/notify.ts";
import { cloneObject, objectEncoding } from "../store/objects.ts";
import {
  type Table,
  TYPE_HASH,
  TYPE_LIST,
  TYPE_SET,
  TYPE_STREAM,
  TYPE_STRING,
  TYPE_ZSET,
} from "../store/table.ts";
import { type CommandContext, RecordSlot } from "./context.ts";
import { arityError, NOT_INT, SYNTAX } from "./errors.ts";
import {
  lookupRead,
  lookupReadNoTouch,
  lookupReadNoTouchNoNotify,
  lookupWrite,
  lookupWriteIn,
} from "./lookup.ts";
import { encodingMarker, intArg } from "./strings.ts";
import { type CommandDef, cmd } from "./table.ts";

/** Redis's type names (TYPE, SCAN TYPE). */
export function typeName(type: number): string {
  switch (type) {
    case TYPE_STRING:
      return "string";
    case TYPE_ZSET:
      return "zset";
    case TYPE_HASH:
      return "hash";
    case TYPE_LIST:
      return "list";
    case TYPE_SET:
      return "set";
    case TYPE_STREAM:
      return "stream";
    default:
      return "none";
  }
}

/** Argument i equals argument j, byte for byte. */
function sameArg(c: CommandContext, i: number, j: number): boolean {
  const a = c.argv;
  const n = a.len(i);
  if (n !== a.len(j)) return false;
  const b = a.buf;
  const oi = a.off(i);
  const oj = a.off(j);
  for (let k = 0; k < n; k++) if (b[oi + k] !== b[oj + k]) return false;
  return true;
}

/**
 * Add key argument ki to table dst holding entry e of src's value and TTL. RENAME moves the
 * structure object and keeps the access clock (Redis keeps the robj); COPY clones the object
 * through the type's hook and starts a fresh clock (a new robj). Returns the new id.
 */
function duplicate(
  c: CommandContext,
  src: Table,
  e: number,
  dst: Table,
  ki: number,
  clone: boolean,
): number {
  const a = c.argv;
  const type = src.type[e]!;
  const vlen = src.valLen[e]!;
  const ne = dst.add(a.buf, a.off(ki), a.len(ki), type, vlen);
  copyBytes(src.page(e), src.valueOffset(e), dst.page(ne), dst.valueOffset(ne), vlen);
  if (type === TYPE_STRING) {
    // RENAME keeps the object; COPY's dupStringObject keeps the encoding, but a copied integer
    // is a new object, never a shared one (refcount 1)
    const enc = clone ? stringEncoding(src, e) : encodingMarker(src, e);
    if (enc !== undefined && (enc !== "embstr" || encodingMarker(src, e) !== undefined)) {
      dst.setObj(ne, enc);
    }
  } else {
    const obj = src.getObj(e);
    if (clone) {
      const copy = cloneObject.get(type)!(obj);
      dst.setObj(ne, copy); // the table's hook adds its size to keyspace.objectBytes
    } else {
      dst.setObj(ne, obj);
    }
  }
  // columns may have been replaced by add(): index them afresh
  dst.setExpireAt(ne, src.expireAt[e]!);
  if (!clone) dst.setClock(ne, src.clock[e]!);
  return ne;
}

// ---- DEL, UNLINK, EXISTS, TYPE, TOUCH ----------------------------------------------------------

/** DEL key [key ...] (and UNLINK: freeing is already O(1) here): number of keys removed. */
function del(c: CommandContext): void {
  const a = c.argv;
  const ks = c.keyspace;
  const t = ks.db(c.db);
  let n = 0;
  for (let i = 1; i < a.count; i++) {
    const e = lookupWrite(c, i);
    if (e >= 0) {
      ks.removeEntry(t, e);
      c.modifiedArg(i, NOTIFY_GENERIC, "del");
      n++;
    }
  }
  c.reply.int(n);
}

/** The original imds DEL: `del key` answers OK (status 0) or not found (status 1). */
function delV1(c: CommandContext): void {
  const a = c.argv;
  if (a.count !== 2) return c.reply.error("ERR wrong number of arguments");
  const e = lookupWrite(c, 1);
  if (e < 0) return c.reply.nil();
  c.keyspace.removeEntry(c.table, e);
  c.modifiedArg(1, NOTIFY_GENERIC, "del");
  c.reply.ok();
}

/** EXISTS key [key ...]: a key named twice counts twice. */
function exists(c: CommandContext): void {
  let n = 0;
  for (let i = 1; i < c.argv.count; i++) if (lookupReadNoTouch(c, i) >= 0) n++;
  c.reply.int(n);
}

function type(c: CommandContext): void {
  const e = lookupReadNoTouch(c, 1);
  c.reply.status(e < 0 ? "none" : typeName(c.table.type[e]!));
}

function touchCmd(c: CommandContext): void {
  let n = 0;
  for (let i = 1; i < c.argv.count; i++) if (lookupRead(c, i) >= 0) n++;
  c.reply.int(n);
}

// ---- RENAME, RENAMENX, COPY --------------------------------------------------------------------

function renameGeneric(c: CommandContext, nx: boolean): void {
  const e = lookupWrite(c, 1);
  if (e < 0) return c.reply.error("ERR no such key");
  if (sameArg(c, 1, 2)) return nx ? c.reply.int(0) : c.reply.ok();
  const ks = c.keyspace;
  const t = ks.db(c.db);
  const old = lookupWrite(c, 2);
  if (old >= 0) {
    if (nx) return c.reply.int(0);
    ks.removeEntry(t, old);
  }
  duplicate(c, t, e, t, 2, false);
  t.remove(e); // the object moved with the key: its bytes stay accounted
  c.modifiedArg(1, NOTIFY_GENERIC, "rename_from");
  c.modifiedArg(2, NOTIFY_GENERIC, "rename_to");
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function rename(c: CommandContext): void {
  renameGeneric(c, false);
}

function renamenx(c: CommandContext): void {
  renameGeneric(c, true);
}

/** COPY source destination [DB destination-db] [REPLACE] */
function copy(c: CommandContext): void {
  const a = c.argv;
  const ks = c.keyspace;
  let replace = false;
  let dbid = c.db;
  for (let j = 3; j < a.count; j++) {
    const more = a.count - j - 1;
    if (a.is(j, "replace")) {
      replace = true;
    } else if (a.is(j, "db") && more >= 1) {
      const id = intArg(c, j + 1);
      if (Number.isNaN(id)) return c.reply.error(NOT_INT);
      if (id < -2147483648 || id > 2147483647) {
        return c.reply.error(
          "ERR value is out of range, value must between -2147483648 and 2147483647",
        );
      }
      if (id < 0 || id >= ks.databases) return c.reply.error("ERR DB index is out of range");
      dbid = id;
      j++;
    } else {
      return c.reply.error(SYNTAX);
    }
  }
  if (dbid === c.db && sameArg(c, 1, 2)) {
    return c.reply.error("ERR source and destination objects are the same");
  }
  const e = lookupRead(c, 1);
  if (e < 0) return c.reply.int(0);
  const src = ks.db(c.db);
  const type = src.type[e]!;
  if (type !== TYPE_STRING && !cloneObject.has(type)) {
    // A data type without a clone hook: refuse rather than share a mutable object.
    return c.reply.error(`ERR COPY of ${typeName(type)} keys is not supported: no clone hook`);
  }
  const dst = ks.db(dbid);
  const old = lookupWriteIn(c, dbid, 2);
  if (old >= 0) {
    if (!replace) return c.reply.int(0);
    ks.removeEntry(dst, old);
  }
  duplicate(c, src, e, dst, 2, true);
  c.keyModified(dbid, a.buf, a.off(2), a.len(2), NOTIFY_GENERIC, "copy_to");
  c.reply.int(1);
}

// ---- KEYS, SCAN, RANDOMKEY ---------------------------------------------------------------------

const EMPTY = new Uint8Array(0);

// Matched entry ids of one call (grown as needed, reused by the context's later calls).
const FOUND = new RecordSlot(() => ({ ids: new Int32Array(1024) }));

function remember(st: { ids: Int32Array }, n: number, e: number): void {
  if (n === st.ids.length) {
    const bigger = new Int32Array(st.ids.length * 2);
    bigger.set(st.ids);
    st.ids = bigger;
  }
  st.ids[n] = e;
}

function replyKeys(c: CommandContext, t: Table, n: number): void {
  const st = c.scratch.record(FOUND);
  c.reply.array(n);
  for (let i = 0; i < n; i++) {
    const e = st.ids[i]!;
    c.reply.bulk(t.page(e), t.keyOffset(e), t.keyLen[e]!);
  }
}

function keys(c: CommandContext): void {
  const st = c.scratch.record(FOUND);
  const a = c.argv;
  const ks = c.keyspace;
  const t = ks.db(c.db);
  const pb = a.buf;
  const po = a.off(1);
  const pl = a.len(1);
  const all = pl === 1 && pb[po] === 42; // "*"
  const now = ks.now;
  let n = 0;
  for (let e = t.nextEntry(0); e >= 0; e = t.nextEntry(e + 1)) {
    const at = t.expireAt[e]!;
    if (at !== 0 && at <= now) continue; // expired: hidden, left for the expiry cycle
    if (!all && !globMatch(pb, po, pl, t.page(e), t.keyOffset(e), t.keyLen[e]!)) continue;
    remember(st, n++, e);
  }
  replyKeys(c, t, n);
}

/** strtoul as parseScanCursorOrReply uses it; -1 when invalid. Values past 2^53 are clamped. */
function parseCursor(c: CommandContext, i: number): number {
  const a = c.argv;
  const b = a.buf;
  let p = a.off(i);
  let end = p + a.len(i);
  for (let k = p; k < end; k++) {
    if (b[k] === 0) {
      end = k; // a C string ends at NUL
      break;
    }
  }
  if (p === end) return 0; // strtoul("") converts nothing and leaves eptr at the end: cursor 0
  const first = b[p]!;
  if (first === 32 || (first >= 9 && first <= 13)) return -1;
  let neg = false;
  if (first === 43 || first === 45) {
    neg = first === 45;
    p++;
  }
  if (p === end) return -1;
  let v = 0;
  let digits = 0;
  for (; p < end; p++) {
    const d = b[p]! - 48;
    if (d < 0 || d > 9) return -1;
    if (digits > 0 || d > 0) digits++;
    v = v * 10 + d;
  }
  if (digits > 20) return -1; // ERANGE
  if (
    digits === 20 &&
    BigInt(a.latin1(i).replace(/\0.*$/s, "").replace(/^[+-]/, "")) >= 2n ** 64n
  ) {
    return -1;
  }
  // "-n" wraps around to 2^64 - n: far past any entry id, an immediately finished scan.
  if (neg && v !== 0) return Number.MAX_SAFE_INTEGER;
  return Math.min(v, Number.MAX_SAFE_INTEGER);
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor is the next entry id to
 * visit; entry ids never move while a key lives, so a key present for the whole scan is returned
 * at least once whatever grows, shrinks or rehashes in between. Each call visits at most
 * 10 * COUNT rows and collects at most COUNT keys before filtering, like Redis.
 */
function scan(c: CommandContext): void {
  const st = c.scratch.record(FOUND);
  const a = c.argv;
  const cursor = parseCursor(c, 1);
  if (cursor < 0) return c.reply.error("ERR invalid cursor");
  let count = 10;
  let patArg = -1;
  let typeArg = -1;
  for (let i = 2; i < a.count; ) {
    const more = a.count - i;
    if (a.is(i, "count") && more >= 2) {
      const n = intArg(c, i + 1);
      if (Number.isNaN(n)) return c.reply.error(NOT_INT);
      if (n < 1) return c.reply.error(SYNTAX);
      count = n;
      i += 2;
    } else if (a.is(i, "match") && more >= 2) {
      patArg = i + 1;
      i += 2;
    } else if (a.is(i, "type") && more >= 2) {
      typeArg = i + 1;
      i += 2;
    } else {
      return c.reply.error(SYNTAX);
    }
  }
  const ks = c.keyspace;
  const t = ks.db(c.db);
  const hw = t.highWater;
  const maxRows = Math.min(count * 10, hw);
  let e = cursor;
  let collected = 0;
  const stop = Math.min(hw, cursor + maxRows);
  for (; e < stop && collected < count; e++) {
    if (t.type[e] !== 0) remember(st, collected++, e);
  }
  const next = e >= hw ? 0 : e;
  // Filter: pattern, then type, then expiry (Redis's order).
  const usePattern = patArg >= 0 && !(a.len(patArg) === 1 && a.buf[a.off(patArg)] === 42);
  const wantType = typeArg >= 0 ? a.str(typeArg).toLowerCase() : "";
  let n = 0;
  const ghosts: Uint8Array[] = [];
  let lastRemovedKey: Uint8Array = EMPTY;
  for (let i = 0; i < collected; i++) {
    const id = st.ids[i]!;
    if (t.type[id] === 0) continue;
    if (typeArg >= 0 && wantType === "none") lastRemovedKey = t.keyBytes(id);
    if (
      usePattern &&
      !globMatch(a.buf, a.off(patArg), a.len(patArg), t.page(id), t.keyOffset(id), t.keyLen[id]!)
    ) {
      continue;
    }
    if (typeArg >= 0) {
      // Redis looks the key up to learn its type; an expired key is deleted by that lookup and
      // has type "none", and the later expiry check no longer sees it: TYPE none returns it.
      if (ks.expireIfNeeded(t, id)) {
        ks.misses++;
        if (wantType === "none") ghosts.push(lastRemovedKey);
        continue;
      }
      ks.hits++;
      if (typeName(t.type[id]!) !== wantType) continue;
    } else if (ks.expireIfNeeded(t, id)) {
      continue;
    }
    st.ids[n++] = id;
  }
  c.reply.array(2);
  c.reply.bulkStr(String(next));
  if (ghosts.length === 0) return replyKeys(c, t, n);
  c.reply.array(n + ghosts.length);
  for (let i = 0; i < n; i++) {
    const e = st.ids[i]!;
    c.reply.bulk(t.page(e), t.keyOffset(e), t.keyLen[e]!);
  }
  for (const g of ghosts) c.reply.bulkBytes(g);
}

function randomkey(c: CommandContext): void {
  const ks = c.keyspace;
  const t = ks.db(c.db);
  // Each expired pick is deleted, so this ends within count + 1 rounds.
  for (let tries = t.count + 1; tries > 0; tries--) {
    const e = t.randomEntry();
    if (e < 0) break;
    if (ks.expireIfNeeded(t, e)) continue;
    return c.reply.bulk(t.page(e), t.keyOffset(e), t.keyLen[e]!);
  }
  c.reply.nil();
}

// ---- OBJECT -------------------------------------------------------------------------------------

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

/** Redis shares one object for the integers 0..9999 unless an LRU/LFU policy needs per-key clocks. */
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

/**
 * Redis's encoding of a string value: the marker APPEND/SETRANGE/INCRBYFLOAT left, else what
 * tryObjectEncoding picks from the bytes: int, embstr (<= 44 bytes) or raw.
 */
function stringEncoding(t: Table, e: number): "int" | "embstr" | "raw" {
  const marked = encodingMarker(t, e);
  if (marked !== undefined) return marked;
  const len = t.valLen[e]!;
  if (len <= 20 && !Number.isNaN(parseLongOrNaN(t.page(e), t.valueOffset(e), len))) return "int";
  return len <= 44 ? "embstr" : "raw";
}

/** string2l: the value (approximate past 2^53), or NaN when not an integer in Redis's syntax. */
function parseLongOrNaN(buf: Uint8Array, off: number, len: number): number {
  const v = parseInt64(buf, off, len);
  if (!Number.isNaN(v)) return v;
  const b = parseInt64Big(buf, off, len);
  return b === null ? Number.NaN : Number(b);
}

function object(c: CommandContext): void {
  const a = c.argv;
  const r = c.reply;
  const sub = a.str(1).toLowerCase();
  const known = ["help", "encoding", "freq", "idletime", "refcount"];
  if (!known.includes(sub)) {
    return r.error(`ERR unknown subcommand '${a.latin1(1).slice(0, 128)}'. Try OBJECT HELP.`);
  }
  if (a.count !== (sub === "help" ? 2 : 3)) return arityError(c, `object|${sub}`);
  if (sub === "help") {
    r.array(OBJECT_HELP.length);
    for (const line of OBJECT_HELP) r.status(line);
    return;
  }
  const e = lookupReadNoTouchNoNotify(c, 2); // OBJECT: LOOKUP_NONOTIFY
  if (e < 0) return r.nil();
  const ks = c.keyspace;
  const t = c.table;
  const type = t.type[e]!;
  switch (sub) {
    case "encoding": {
      if (type === TYPE_STRING) return r.bulkStr(stringEncoding(t, e));
      const hook = objectEncoding.get(type);
      return r.bulkStr(hook ? hook(t.getObj(e)) : "unknown");
    }
    case "refcount": {
      if (
        type === TYPE_STRING &&
        encodingMarker(t, e) === undefined &&
        stringEncoding(t, e) === "int"
      ) {
        const v = parseLongOrNaN(t.page(e), t.valueOffset(e), t.valLen[e]!);
        if (v >= 0 && v < SHARED_INTEGERS && c.limits.sharedIntegers) return r.int(SHARED_REFCOUNT);
      }
      return r.int(1);
    }
    case "idletime":
      if (ks.clockMode === CLOCK_LFU) {
        return r.error(
          "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
      }
      return r.int(Math.floor(ks.idleMs(t, e) / 1000));
    default: // freq
      if (ks.clockMode !== CLOCK_LFU) {
        return r.error(
          "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
      }
      return r.int(ks.lfuFreq(t, e));
  }
}

// ---- the table ----------------------------------------------------------------------------------

export const keyCommands: CommandDef[] = [
  cmd("del", del, { v1Handler: delV1 }),
  cmd("unlink", del),
  cmd("exists", exists),
  cmd("type", type),
  cmd("touch", touchCmd),
  cmd("rename", rename),
  cmd("renamenx", renamenx),
  cmd("copy", copy),
  cmd("keys", keys),
  cmd("scan", scan),
  cmd("randomkey", randomkey),
  cmd("object", object, {
    subcommands: ["encoding", "freq", "idletime", "refcount", "help"].map((sub) =>
      cmd(`object|${sub}`, object),
    ),
  }),
];
