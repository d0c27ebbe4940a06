// Redis's glob matcher (util.c stringmatchlen) on bytes: `*`, `?`, `[abc]`, `[^a-z]`, `\x`.
//
// Redis matches recursively; this walks iteratively with one backtrack point (the most recent
// `*`). Every other token consumes exactly one byte, so backtracking to the last star alone gives
// the same answer, in O(pattern * string) time and constant stack, whatever the pattern.
// Edge cases follow the C code byte for byte:
// - the pattern is read as if NUL-terminated (C reads one byte past the end in places);
// - an unterminated `[` class ends at the end of the pattern;
// - range bounds compare as *signed* chars (x86 `char`), so `[a-\xff]` is an empty-ish range;
// - an empty string matches only the empty pattern (even `*` does not match it);
// - like Redis 7.0.15 ("protection against abusive patterns"), a match that has to pass more than
//   1000 `*` groups (not counting a final one) fails.

const STAR = 42;
const QUESTION = 63;
const OPEN = 91;
const CLOSE = 93;
const BACKSLASH = 92;
const CARET = 94;
const DASH = 45;
/** Redis's recursion cap: stringmatchlen_impl gives up past this nesting of `*`. */
const MAX_STAR_NESTING = 1000;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as C's signed char. */
function schar(c: number): number {
  return (c << 24) >> 24;
}

/**
 * Match the single (non-star) token at p against byte c: the index after the token when it
 * matched, -1 when it did not.
 */
function matchOne(pat: Uint8Array, p: number, pend: number, c: number, nocase: boolean): number {
  const at = (i: number): number => (i < pend ? pat[i]! : 0);
  const t = pat[p]!;
  if (t === QUESTION) return p + 1;
  if (t === OPEN) {
    p++;
    const not = at(p) === CARET;
    if (not) p++;
    let match = false;
    for (;;) {
      const left = pend - p;
      if (at(p) === BACKSLASH && left >= 2) {
        p++;
        if (pat[p] === c) match = true;
      } else if (at(p) === CLOSE) {
        break;
      } else if (left <= 0) {
        p--; // unterminated class: the C code steps back so the final p++ lands on the end
        break;
      } else if (left >= 3 && pat[p + 1] === DASH) {
        let start = schar(pat[p]!);
        let end = schar(pat[p + 2]!);
        let x = schar(c);
        if (start > end) {
          const s = start;
          start = end;
          end = s;
        }
        if (nocase) {
          start = lower(start);
          end = lower(end);
          x = lower(x);
        }
        p += 2;
        if (x >= start && x <= end) match = true;
      } else if (nocase ? lower(pat[p]!) === lower(c) : pat[p] === c) {
        match = true;
      }
      p++;
    }
    return (not ? !match : match) ? p + 1 : -1;
  }
  if (t === BACKSLASH && pend - p >= 2) p++;
  return (nocase ? lower(pat[p]!) === lower(c) : pat[p] === c) ? p + 1 : -1;
}

/** stringmatchlen(pattern, string, nocase): 1:1 with Redis, bytes in, boolean out. */
export function globMatch(
  pat: Uint8Array,
  poff: number,
  plen: number,
  str: Uint8Array,
  soff: number,
  slen: number,
  nocase = false,
): boolean {
  if (slen === 0) return plen === 0;
  const pend = poff + plen;
  const send = soff + slen;
  let p = poff;
  let s = soff;
  let starP = -1; // pattern index just after the last star
  let starS = 0; // string index the last star's rest was tried from
  let stars = 0; // star groups passed: Redis's recursion depth at this point
  for (;;) {
    if (s === send) {
      while (p < pend && pat[p] === STAR) p++;
      return p === pend;
    }
    if (p < pend) {
      if (pat[p] === STAR) {
        while (p + 1 < pend && pat[p + 1] === STAR) p++;
        if (p === pend - 1) return true; // trailing star eats the rest
        // Redis recurses here; past its cap every attempt fails, and with it the whole match.
        if (++stars > MAX_STAR_NESTING) return false;
        starP = p + 1;
        starS = s;
        p = starP;
        continue;
      }
      const next = matchOne(pat, p, pend, str[s]!, nocase);
      if (next >= 0) {
        p = next;
        s++;
        continue;
      }
    }
    // Mismatch, or pattern exhausted with string left: let the last star eat one more byte.
    // The rest after a star is never tried against an empty suffix (it needs a byte anyway).
    if (starP < 0 || starS + 1 >= send) return false;
    starS++;
    s = starS;
    p = starP;
  }
}

const encoder = new TextEncoder();

/** Convenience for text patterns (CONFIG GET, COMMAND LIST FILTERBY PATTERN, tests). */
export function globMatchText(pattern: string, text: string, nocase = false): boolean {
  const p = encoder.encode(pattern);
  const s = encoder.encode(text);
  return globMatch(p, 0, p.length, s, 0, s.length, nocase);
}
