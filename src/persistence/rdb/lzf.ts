// LZF, byte-compatible with liblzf 3.6 (redis/src/lzf_c.c, lzf_d.c), which RDB uses for
// strings over 20 bytes when `rdbcompression yes`.
//
// Format: a control byte c.
//   c < 32:  a literal run of c+1 bytes follows.
//   c >= 32: a back reference: len = c >> 5 (7 means "7 + next byte"), then the low byte of
//            the offset; the match copies len+2 bytes from `out - ((c & 31) << 8 | low) - 1`.
// The compressor is lzf_c.c's VERY_FAST variant with HLOG 16; the hash table lives in the
// LzfCompressor instance (reused across calls, never reset: a stale slot is harmless because a
// candidate is checked to be behind the cursor, within the window, and equal, like liblzf
// without INIT_HTAB).

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/** lzf_c.c's IDX(h) for VERY_FAST: ((h >> (3*8 - HLOG)) - h*5) & (HSIZE - 1), in uint32. */
function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

export class LzfCompressor {
  private readonly htab = new Int32Array(HSIZE);

  /**
   * Compress the inLen bytes of src at `from` into out[0, outLimit); returns the compressed
   * length, or 0 when the result would not fit in outLimit bytes (the caller then stores the
   * input uncompressed). A range, not a view: a snapshot compresses ~200K strings per 1M mixed
   * keys, and a subarray each was JS heap garbage (docs/BENCHMARKS.md). Positions (ip, ref,
   * htab) are relative to `from`, so the output does not depend on where the bytes sit.
   */
  compress(
    src: Uint8Array,
    out: Uint8Array,
    outLimit = out.length,
    from = 0,
    inLen = src.length - from,
  ): number {
    const outEnd = Math.min(outLimit, out.length);
    if (inLen === 0 || outEnd === 0) return 0;
    const htab = this.htab;
    let ip = 0;
    let op = 1; // room for the first literal run's control byte
    let lit = 0;
    let hval = (src[from]! << 8) | src[from + 1]!;
    while (ip < inLen - 2) {
      hval = ((hval << 8) | src[from + ip + 2]!) >>> 0;
      const slot = idx(hval);
      const ref = htab[slot]!;
      htab[slot] = ip;
      const off = ip - ref - 1;
      if (
        ref > 0 && // liblzf never refers to position 0 (its empty-slot value)
        ref < ip &&
        off < MAX_OFF &&
        src[from + ref + 2] === src[from + ip + 2] &&
        src[from + ref] === src[from + ip] &&
        src[from + ref + 1] === src[from + ip + 1]
      ) {
        let len = 2;
        const maxlen = Math.min(inLen - ip - len, MAX_REF);
        if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;
        out[op - lit - 1] = lit - 1; // close the literal run
        if (lit === 0) op--; // drop an empty run
        do len++;
        while (len < maxlen && src[from + ref + len] === src[from + ip + len]);
        len -= 2; // now #octets - 1
        ip++;
        if (len < 7) {
          out[op++] = (off >>> 8) + (len << 5);
        } else {
          out[op++] = (off >>> 8) + (7 << 5);
          out[op++] = len - 7;
        }
        out[op++] = off & 0xff;
        lit = 0;
        op++; // start a new run
        ip += len + 1;
        if (ip >= inLen - 2) break;
        ip -= 2;
        hval = (src[from + ip]! << 8) | src[from + ip + 1]!;
        hval = ((hval << 8) | src[from + ip + 2]!) >>> 0;
        htab[idx(hval)] = ip;
        ip++;
        hval = ((hval << 8) | src[from + ip + 2]!) >>> 0;
        htab[idx(hval)] = ip;
        ip++;
      } else {
        if (op >= outEnd) return 0;
        lit++;
        out[op++] = src[from + ip++]!;
        if (lit === MAX_LIT) {
          out[op - lit - 1] = lit - 1;
          lit = 0;
          op++;
        }
      }
    }
    if (op + 3 > outEnd) return 0; // at most 3 literal bytes (and a control byte) remain
    while (ip < inLen) {
      lit++;
      out[op++] = src[from + ip++]!;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
    out[op - lit - 1] = lit - 1;
    if (lit === 0) op--;
    return op;
  }
}

/**
 * Decompress exactly `outLen` bytes (RDB stores the uncompressed length). Throws on a
 * malformed stream: a run past the input or output, or a reference before the output start.
 * The output never grows beyond outLen.
 */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  const inLen = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inLen) {
    let ctrl = input[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen) throw new Error("lzf: output overflow");
      if (ip + ctrl > inLen) throw new Error("lzf: literal run past the input");
      out.set(input.subarray(ip, ip + ctrl), op);
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inLen) throw new Error("lzf: truncated back reference");
      if (len === 7) {
        len += input[ip++]!;
        if (ip >= inLen) throw new Error("lzf: truncated back reference");
      }
      ref -= input[ip++]!;
      len += 2;
      if (op + len > outLen) throw new Error("lzf: output overflow");
      if (ref < 0) throw new Error("lzf: back reference before the start");
      for (let k = 0; k < len; k++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLen) throw new Error(`lzf: decompressed ${op} bytes, expected ${outLen}`);
  return out;
}
