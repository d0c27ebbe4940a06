// Loading AOF files: read a file in chunks, decode each RESP command with the same decoder as
// client input, and hand it to a Replayer (the real command table on a context without a
// socket, src/persistence/aof.ts). As Redis's loadSingleAppendOnlyFile:
//  - a command cut short at the end of the LAST file (a crash mid-write) is a truncation: with
//    aof-load-truncated yes everything before it is loaded, the file is cut back to the last
//    whole command (so later appends do not follow garbage) and a warning is logged;
//  - anything else that is not a command (in the middle, or in a file that is not the last)
//    is corruption: loading stops with the file's name and the byte offset;
//  - MULTI ... EXEC is replayed as one unit; a MULTI without EXEC at the end is dropped (and
//    cut off the file the same way).

import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from "node:fs";
import { Args } from "../protocol/args.ts";
import { type DecodeLimits, decodeStatus, NEED_MORE } from "../protocol/framing.ts";
import { decodeResp } from "../protocol/resp.ts";

export class AofLoadError extends Error {}

export interface Replayer {
  /** Run one command; return an error text to stop loading (unknown command), else null. */
  run(argv: Args): string | null;
}

export interface LoadOptions {
  /** This is the last file of the manifest (only it may end in a cut command). */
  last: boolean;
  /** aof-load-truncated. */
  truncatedOk: boolean;
  log: (level: "notice" | "warning", msg: string) => void;
  /** Called every `progressBytes` and at the end with bytes read so far in this file. */
  progress?: (loadedBytes: number) => void;
  progressBytes?: number;
  /** Read size (tests use small chunks to cross command boundaries). */
  chunkBytes?: number;
}

export interface LoadResult {
  commands: number;
  /** Size of the file after loading (smaller than before if a cut tail was removed). */
  size: number;
  /** Offset the file was cut back to, or -1. */
  truncatedAt: number;
}

const LIMITS: DecodeLimits = {
  maxArgs: 1 << 30,
  maxBulkLen: 0x7fffffff,
  maxInlineLen: 64 * 1024,
  unauthenticated: false,
};

const STAR = 42;

function isWord(a: Args, i: number, w: string): boolean {
  return a.count === 1 && a.is(i, w);
}

/** Load one AOF file (path: for reading and for messages). Throws AofLoadError. */
export function loadAofFile(path: string, name: string, r: Replayer, o: LoadOptions): LoadResult {
  const fd = openSync(path, o.last ? "r+" : "r");
  try {
    return loadFd(fd, name, r, o);
  } finally {
    closeSync(fd);
  }
}

function loadFd(fd: number, name: string, r: Replayer, o: LoadOptions): LoadResult {
  const size = fstatSync(fd).size;
  const chunk = o.chunkBytes ?? 4 << 20;
  const progressEvery = o.progressBytes ?? 64 << 20;
  let buf = new Uint8Array(Math.max(16, Math.min(chunk, size + 1)));
  const args = new Args();
  let fileOff = 0; // file offset of buf[0]
  let pos = 0;
  let end = 0;
  let eof = false;
  let commands = 0;
  let nextProgress = progressEvery;
  // MULTI ... EXEC: the queued commands (copies of their bytes) and where the MULTI began.
  let queue: Uint8Array[] | null = null;
  let multiAt = -1;
  const fail = (at: number, why: string): never => {
    throw new AofLoadError(
      `Bad file format reading the append only file ${name} at offset ${at}: ${why}. ` +
        "Make a backup of your AOF file, then use redis-check-aof --fix <filename.manifest>",
    );
  };
  const exec = (a: Args) => {
    const err = r.run(a);
    if (err !== null) fail(fileOff + pos, err);
    commands++;
  };
  for (;;) {
    if (pos >= end && eof) break;
    if (pos < end) {
      if (buf[pos] !== STAR) fail(fileOff + pos, "expected '*'");
      const next = decodeResp(buf, pos, end, args, LIMITS);
      if (next >= 0) {
        if (args.count === 0) fail(fileOff + pos, "empty command");
        if (queue === null && isWord(args, 0, "multi")) {
          queue = [];
          multiAt = fileOff + pos;
        } else if (queue !== null && isWord(args, 0, "exec")) {
          const q = queue;
          queue = null;
          const qa = new Args();
          for (const cmd of q) {
            decodeResp(cmd, 0, cmd.length, qa, LIMITS);
            exec(qa);
          }
        } else if (queue !== null) {
          queue.push(buf.slice(pos, next));
        } else {
          exec(args);
        }
        pos = next;
        const loaded = fileOff + pos;
        if (loaded >= nextProgress) {
          o.progress?.(loaded);
          nextProgress = loaded + progressEvery;
        }
        continue;
      }
      if (next !== NEED_MORE) fail(fileOff + pos, decodeStatus.error);
      if (eof) break; // a cut command at the end
    }
    // Read more: keep the unparsed tail at the front, grow for a command bigger than buf.
    const rest = end - pos;
    if (rest > 0 && pos > 0) buf.copyWithin(0, pos, end);
    fileOff += pos;
    pos = 0;
    end = rest;
    if (end === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf.subarray(0, end));
      buf = bigger;
    }
    const n = readSync(fd, buf, end, buf.length - end, fileOff + end);
    if (n === 0) eof = true;
    end += n;
  }
  o.progress?.(fileOff + pos);
  let validEnd = fileOff + pos;
  let truncatedAt = -1;
  if (validEnd < size) {
    // A command cut short at the end (a crash mid-write).
    if (!o.last)
      fail(validEnd, "the file ends in the middle of a command and is not the last file");
    if (!o.truncatedOk) {
      throw new AofLoadError(
        `Unexpected end of file reading the append only file ${name} at offset ${validEnd}. ` +
          "You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix " +
          "<filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' " +
          "configuration option to yes and restart the server.",
      );
    }
    o.log(
      "warning",
      `!!! Warning: short read while loading the AOF file ${name}!!! ` +
        `(${size - validEnd} bytes of a cut command at offset ${validEnd})`,
    );
    truncatedAt = validEnd;
  }
  if (queue !== null) {
    if (!o.last) fail(multiAt, "MULTI without EXEC in a file that is not the last");
    o.log("warning", `Revert incomplete MULTI/EXEC transaction in AOF file ${name}`);
    validEnd = multiAt;
    truncatedAt = multiAt;
  }
  if (truncatedAt >= 0) {
    ftruncateSync(fd, validEnd);
    o.log(
      "warning",
      `AOF ${name} loaded anyway because aof-load-truncated is enabled (cut back to ${validEnd} bytes)`,
    );
  }
  return { commands, size: validEnd, truncatedAt };
}
