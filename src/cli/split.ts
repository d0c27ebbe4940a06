// Split a command line into arguments the way redis-cli does (Redis's
// sdssplitargs): whitespace separates; "double quotes" understand \xHH, \n,
// \r, \t, \b, \a and \<any> (that char itself); 'single quotes' understand
// only \'; a closing quote must be followed by whitespace or the end.
// Arguments are bytes (the line is UTF-8 and "\x00" makes any byte).

const encoder = new TextEncoder();

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13); // ' ', \t \n \v \f \r
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const ESCAPES: Record<number, number> = { 110: 10, 114: 13, 116: 9, 98: 8, 97: 7 }; // n r t b a

/** The arguments of `line`, or null when quotes are unbalanced ("Invalid argument(s)"). */
export function splitArgs(line: string | Uint8Array): Uint8Array[] | null {
  const s = typeof line === "string" ? encoder.encode(line) : line;
  const n = s.length;
  const args: Uint8Array[] = [];
  let p = 0;
  for (;;) {
    while (p < n && isSpace(s[p]!)) p++;
    if (p >= n) return args;
    const cur: number[] = [];
    let inq = false; // inside "double quotes"
    let insq = false; // inside 'single quotes'
    for (let done = false; !done; ) {
      const c = p < n ? s[p]! : -1;
      if (inq) {
        if (c < 0) return null; // unterminated quotes
        if (
          c === 92 &&
          s[p + 1] === 120 &&
          hexVal(s[p + 2] ?? -1) >= 0 &&
          hexVal(s[p + 3] ?? -1) >= 0
        ) {
          cur.push(hexVal(s[p + 2]!) * 16 + hexVal(s[p + 3]!));
          p += 3;
        } else if (c === 92 && p + 1 < n) {
          p++;
          cur.push(ESCAPES[s[p]!] ?? s[p]!);
        } else if (c === 34) {
          // the closing quote must be followed by a space or nothing
          if (p + 1 < n && !isSpace(s[p + 1]!)) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (c < 0) return null;
        if (c === 92 && s[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < n && !isSpace(s[p + 1]!)) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (c < 0 || isSpace(c) || c === 0) {
        done = true;
      } else if (c === 34) {
        inq = true;
      } else if (c === 39) {
        insq = true;
      } else {
        cur.push(c);
      }
      if (p < n) p++;
    }
    args.push(new Uint8Array(cur));
  }
}
