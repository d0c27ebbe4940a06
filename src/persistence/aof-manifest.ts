// Redis 7.0's multi-part AOF layout: in `dir`/`appenddirname` a manifest
// (`<appendfilename>.manifest`) lists one base file, history files (being deleted) and the
// incremental files, one line each, exactly as aof.c's aofInfoFormat writes them:
//
//   file appendonly.aof.1.base.aof seq 1 type b
//   file appendonly.aof.1.incr.aof seq 1 type i
//
// Base files are `<name>.<seq>.base.aof` (AOF format) or `.base.rdb` (RDB preamble); incr files
// `<name>.<seq>.incr.aof`. A file name that needs quoting is written as sdscatrepr does, and
// parsed with the same splitter as config lines (sdssplitargs).

import { repr, splitArgs } from "../config.ts";

export const TYPE_BASE = "b";
export const TYPE_HISTORY = "h";
export const TYPE_INCR = "i";

export interface AofFileInfo {
  name: string;
  seq: number;
  type: "b" | "h" | "i";
}

export interface Manifest {
  base: AofFileInfo | null;
  incr: AofFileInfo[];
  history: AofFileInfo[];
}

export class ManifestError extends Error {}

/** Redis 7.0's AOF_MANIFEST_MAX_LINE: longer lines are refused. */
const MAX_LINE = 1024;

export function manifestName(appendfilename: string): string {
  return `${appendfilename}.manifest`;
}

export function baseName(appendfilename: string, seq: number, rdb = false): string {
  return `${appendfilename}.${seq}.base.${rdb ? "rdb" : "aof"}`;
}

export function incrName(appendfilename: string, seq: number): string {
  return `${appendfilename}.${seq}.incr.aof`;
}

function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 0x22 || c === 0x27 || c === 0x5c) return true;
  }
  return false;
}

function fileLine(f: AofFileInfo): string {
  const name = needsRepr(f.name) ? repr(f.name) : f.name;
  return `file ${name} seq ${f.seq} type ${f.type}\n`;
}

/** The manifest text: base, then history, then incr files (aofManifestToString's order). */
export function formatManifest(m: Manifest): string {
  let s = "";
  if (m.base !== null) s += fileLine(m.base);
  for (const h of m.history) s += fileLine(h);
  for (const i of m.incr) s += fileLine(i);
  return s;
}

/** Parse a manifest as aofLoadManifestFromFile; throws ManifestError with Redis's texts. */
export function parseManifest(text: string): Manifest {
  const m: Manifest = { base: null, incr: [], history: [] };
  let maxIncrSeq = 0;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    if (raw.length + 1 > MAX_LINE)
      throw new ManifestError("The AOF manifest file contains too long line");
    const line = raw.replace(/[\s]+$/, "").replace(/^[\s]+/, "");
    if (line === "") throw new ManifestError("Invalid AOF manifest file format");
    if (line.startsWith("#")) continue;
    const words = splitArgs(line);
    if (words === null || words.length < 6 || words.length % 2 !== 0)
      throw new ManifestError("Invalid AOF manifest file format");
    let name: string | undefined;
    let seq = 0;
    let type: string | undefined;
    for (let i = 0; i < words.length; i += 2) {
      const k = words[i]!;
      const v = words[i + 1]!;
      if (k === "file") name = v;
      else if (k === "seq") seq = Number.parseInt(v, 10);
      else if (k === "type") type = v;
      // unknown keys are ignored, as Redis does (forward compatibility)
    }
    if (name === undefined || !(seq > 0) || type === undefined)
      throw new ManifestError("Invalid AOF manifest file format");
    const f: AofFileInfo = { name, seq, type: type as AofFileInfo["type"] };
    if (type === TYPE_BASE) {
      if (m.base !== null) throw new ManifestError("Found duplicate base file information");
      m.base = f;
    } else if (type === TYPE_HISTORY) {
      m.history.push(f);
    } else if (type === TYPE_INCR) {
      if (seq <= maxIncrSeq) throw new ManifestError("Found a non-monotonic sequence number");
      maxIncrSeq = seq;
      m.incr.push(f);
    } else {
      throw new ManifestError("Unknown AOF file type");
    }
  }
  return m;
}
