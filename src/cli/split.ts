// Split a command line into arguments the way redis-cli does (Redis's
// sdssplitargs): whitespace separates; "double quotes" understand \xHH, \n,
// \r, \t, \b, \a and \<any> (that char itself); 'single quotes' understand
// only \'; a closing quote must be followed by whitespace or the end.
// Arguments are bytes (the line is UTF-8 and "\x00" makes any byte). The
// splitting itself is the server's inline-command splitter (protocol/resp.ts).

import { Args } from "../protocol/args.ts";
import { splitQuoted } from "../protocol/resp.ts";

const encoder = new TextEncoder();

/** The arguments of `line`, or null when quotes are unbalanced ("Invalid argument(s)"). */
export function splitArgs(line: string | Uint8Array): Uint8Array[] | null {
  const s = typeof line === "string" ? encoder.encode(line) : line;
  const a = new Args();
  if (!splitQuoted(s, 0, s.length, a)) return null;
  const out: Uint8Array[] = [];
  // Copies: the splitter writes into a scratch buffer it reuses.
  for (let i = 0; i < a.count; i++) out.push(a.buf.slice(a.offs[i]!, a.offs[i]! + a.lens[i]!));
  return out;
}
