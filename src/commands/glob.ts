// Redis's glob matching (util.c stringmatchlen) for CONFIG GET, COMMAND LIST
// FILTERBY PATTERN and the like: `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes.
// Works on strings (names of options and commands), not on key bytes.

/** Bound on recursion through `*` (Redis 7.0 caps nesting the same way). */
const MAX_NESTING = 1000;

export function globMatch(pattern: string, text: string, nocase = false): boolean {
  const p = nocase ? pattern.toLowerCase() : pattern;
  const s = nocase ? text.toLowerCase() : text;
  return match(p, 0, s, 0, 0);
}

function match(p: string, pi: number, s: string, si: number, nesting: number): boolean {
  if (nesting > MAX_NESTING) return false;
  while (pi < p.length && si <= s.length) {
    const c = p[pi]!;
    switch (c) {
      case "*": {
        while (pi + 1 < p.length && p[pi + 1] === "*") pi++;
        if (pi + 1 === p.length) return true;
        for (let k = si; k <= s.length; k++) {
          if (match(p, pi + 1, s, k, nesting + 1)) return true;
        }
        return false;
      }
      case "?":
        if (si >= s.length) return false;
        si++;
        break;
      case "[": {
        if (si >= s.length) return false;
        pi++;
        const not = p[pi] === "^";
        if (not) pi++;
        let hit = false;
        for (;;) {
          if (pi >= p.length) {
            pi--; // unterminated class: Redis treats the end as a closing ']'
            break;
          }
          if (p[pi] === "\\" && pi + 1 < p.length) {
            pi++;
            if (p[pi] === s[si]) hit = true;
          } else if (p[pi] === "]") {
            break;
          } else if (pi + 2 < p.length && p[pi + 1] === "-") {
            let lo = p.charCodeAt(pi);
            let hi = p.charCodeAt(pi + 2);
            if (lo > hi) [lo, hi] = [hi, lo];
            const x = s.charCodeAt(si);
            if (x >= lo && x <= hi) hit = true;
            pi += 2;
          } else if (p[pi] === s[si]) {
            hit = true;
          }
          pi++;
        }
        if (not) hit = !hit;
        if (!hit) return false;
        si++;
        break;
      }
      case "\\":
        if (pi + 1 < p.length) pi++;
        if (si >= s.length || p[pi] !== s[si]) return false;
        si++;
        break;
      default:
        if (si >= s.length || c !== s[si]) return false;
        si++;
    }
    pi++;
    if (si === s.length) {
      while (pi < p.length && p[pi] === "*") pi++;
      break;
    }
  }
  return pi === p.length && si === s.length;
}

/** True when the pattern has no glob characters (an exact name). */
export function isPlainName(pattern: string): boolean {
  return !/[*?[\\]/.test(pattern);
}
