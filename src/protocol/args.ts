// The arguments of one decoded request: byte ranges inside one buffer (the
// socket chunk, or the connection's carry buffer when a request spanned
// chunks). Decoders fill it in place; nothing is allocated per request. The
// ranges are valid only while the request is being executed: whatever a
// command keeps must be copied (the store copies into its arena).

import { latin1, parseInt64 } from "./number.ts";

const textDecoder = new TextDecoder();

export class Args {
  buf: Uint8Array = new Uint8Array(0);
  count = 0;
  offs: Int32Array;
  lens: Int32Array;
  /**
   * The RESP decoder's place in a multibulk request still arriving (src/protocol/resp.ts):
   * its N (-1 = none), arguments already parsed, and the next header's offset from the start.
   */
  resumeCount = -1;
  resumeDone = 0;
  resumeRel = 0;
  /**
   * Where the request came from, as the connection decoded it: bytes [frameStart, frameEnd)
   * of frameBuf (a RESP multibulk frame; frameBuf null otherwise). Lets the AOF copy a request
   * that is already in its canonical form instead of encoding it again (aof-encode.ts).
   */
  frameBuf: Uint8Array | null = null;
  frameStart = 0;
  frameEnd = 0;

  constructor(initialCapacity = 64) {
    this.offs = new Int32Array(initialCapacity);
    this.lens = new Int32Array(initialCapacity);
  }

  /** Make room for `n` arguments (RESP allows up to 1M per request). */
  reserve(n: number): void {
    if (n <= this.offs.length) return;
    let size = this.offs.length;
    while (size < n) size *= 2;
    const offs = new Int32Array(size);
    const lens = new Int32Array(size);
    offs.set(this.offs);
    lens.set(this.lens);
    this.offs = offs;
    this.lens = lens;
  }

  off(i: number): number {
    return this.offs[i]!;
  }

  len(i: number): number {
    return this.lens[i]!;
  }

  /** A view of argument i (allocates a view object; fine off the hottest paths). */
  bytes(i: number): Uint8Array {
    const o = this.offs[i]!;
    return this.buf.subarray(o, o + this.lens[i]!);
  }

  /** A copy of argument i that outlives the request. */
  copy(i: number): Uint8Array {
    return this.bytes(i).slice();
  }

  /** Argument i as UTF-8 text (for options, names, config values). */
  str(i: number): string {
    const o = this.offs[i]!;
    return textDecoder.decode(this.buf.subarray(o, o + this.lens[i]!));
  }

  /** Argument i as one char per byte (for error messages quoting raw bytes). */
  latin1(i: number): string {
    return latin1(this.buf, this.offs[i]!, this.lens[i]!);
  }

  /** Argument i as an int64 in Redis's strict syntax, or NaN. */
  int(i: number): number {
    return parseInt64(this.buf, this.offs[i]!, this.lens[i]!);
  }

  /** Case-insensitive compare of argument i with a lowercase ASCII word; no allocation. */
  is(i: number, lowerWord: string): boolean {
    const n = lowerWord.length;
    if (this.lens[i] !== n) return false;
    const b = this.buf;
    const o = this.offs[i]!;
    for (let k = 0; k < n; k++) {
      if ((b[o + k]! | 0x20) !== lowerWord.charCodeAt(k)) return false;
    }
    // `| 0x20` also folds some non-letters together (e.g. '@' and '`'); reject
    // those by checking the exact byte where the word has a non-letter.
    for (let k = 0; k < n; k++) {
      const w = lowerWord.charCodeAt(k);
      if ((w < 97 || w > 122) && b[o + k] !== w) return false;
    }
    return true;
  }

  /** All arguments as UTF-8 strings (for logs, MONITOR-like uses, tests). */
  toStrings(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.str(i));
    return out;
  }
}
