// How imds-cli prints replies, following redis-cli: on a terminal
// `"quoted"` strings with escapes, `(integer) 5`, `(nil)`, `(error) ...`,
// numbered lists `1) ...` (nested, sets `1~`, maps `1# k => v`); when stdout
// is not a terminal, the raw values one per line.

import type { Tagged } from "../client/decode.ts";
import { formatDouble } from "../protocol/number.ts";

const utf8 = new TextDecoder();

/** redis-cli's sdscatrepr: printable ASCII as is, \" \\ \n \r \t \a \b, else \xHH. */
export function repr(b: Uint8Array): string {
  let out = '"';
  for (const c of b) {
    if (c === 92 || c === 34) out += `\\${String.fromCharCode(c)}`;
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c >= 32 && c <= 126) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, "0")}`;
  }
  return `${out}"`;
}

// The binary protocol carries status replies (+OK) and bulk strings alike as
// status 0. Print the usual status words bare, as redis-cli does, except for
// commands that return stored data (GET of the value "OK" stays quoted).
const STATUS_WORDS = new Set(["OK", "PONG", "QUEUED", "RESET"]);
const DATA_COMMANDS = new Set([
  "get",
  "getdel",
  "getex",
  "getset",
  "getrange",
  "substr",
  "echo",
  "hget",
  "lindex",
  "lpop",
  "rpop",
  "spop",
  "srandmember",
  "hrandfield",
  "lmove",
  "rpoplpush",
  "blpop",
  "brpop",
  "zrandmember",
  "dump",
]);
const STATUS_COMMANDS = new Set(["type"]);

export function isStatus(command: string, b: Uint8Array): boolean {
  if (STATUS_COMMANDS.has(command)) return true;
  if (b.length > 6 || DATA_COMMANDS.has(command)) return false;
  return STATUS_WORDS.has(utf8.decode(b));
}

/** A reply as redis-cli shows it on a terminal; ends with a newline. */
export function formatTTY(r: Tagged, command = "", prefix = ""): string {
  switch (r.type) {
    case "string":
      return `${isStatus(command, r.value) ? utf8.decode(r.value) : repr(r.value)}\n`;
    case "nil":
      return "(nil)\n";
    case "error":
      return `(error) ${r.value}\n`;
    case "int":
      return `(integer) ${r.value}\n`;
    case "double":
      return `(double) ${formatDouble(r.value)}\n`;
    case "bool":
      return r.value ? "(true)\n" : "(false)\n";
    default: {
      const xs = r.value;
      if (xs.length === 0) {
        const empty = { array: "array", set: "set", map: "hash", push: "push" }[r.type];
        return `(empty ${empty})\n`;
      }
      const isMap = r.type === "map";
      const count = isMap ? xs.length / 2 : xs.length;
      const width = String(count).length;
      const sep = r.type === "set" ? "~" : isMap ? "#" : ")";
      const inner = prefix + " ".repeat(width + 2);
      let out = "";
      for (let i = 0, k = 1; i < xs.length; i++, k++) {
        // the first line follows the parent's index on the same line
        out += `${i === 0 ? "" : prefix}${String(k).padStart(width)}${sep} `;
        out += formatTTY(xs[i]!, command, inner);
        if (isMap) {
          out = `${out.slice(0, -1)} => ${formatTTY(xs[++i]!, command, inner)}`;
        }
      }
      return out;
    }
  }
}

/** A reply as redis-cli prints it when stdout is not a terminal (--raw). */
export function formatRaw(r: Tagged): Uint8Array | string {
  switch (r.type) {
    case "string":
      return r.value;
    case "nil":
      return "";
    case "error":
      return r.value;
    case "int":
      return String(r.value);
    case "double":
      return formatDouble(r.value);
    case "bool":
      return r.value ? "(true)" : "(false)";
    case "map": {
      const lines: (Uint8Array | string)[] = [];
      for (let i = 0; i < r.value.length; i += 2) {
        lines.push(join([formatRaw(r.value[i]!), formatRaw(r.value[i + 1]!)], " "));
      }
      return join(lines, "\n");
    }
    default:
      return join(r.value.map(formatRaw), "\n");
  }
}

const encoder = new TextEncoder();

function join(parts: (Uint8Array | string)[], sep: string): Uint8Array | string {
  if (parts.every((p) => typeof p === "string")) return parts.join(sep);
  const bufs = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  const s = encoder.encode(sep);
  let size = 0;
  for (const b of bufs) size += b.length;
  const out = new Uint8Array(size + s.length * Math.max(0, bufs.length - 1));
  let at = 0;
  bufs.forEach((b, i) => {
    if (i > 0) {
      out.set(s, at);
      at += s.length;
    }
    out.set(b, at);
    at += b.length;
  });
  return out;
}
