// Argument parsing shared by the blocking commands (BLPOP, BZPOPMIN, XREAD BLOCK...). The
// blocking itself is the context's block() (context.ts), implemented by the server
// (src/server/blocking.ts).

import { parseLongDouble } from "../protocol/longdouble.ts";
import type { CommandContext } from "./context.ts";

const TWO_63 = 2 ** 63;

/**
 * Redis's getTimeoutFromObjectOrReply: argument i as a timeout in seconds (fractions allowed)
 * or milliseconds (`ms`: XREAD BLOCK, integers only). Returns the unix ms deadline, 0 for
 * "forever", or -1 after replying the error.
 */
export function blockDeadline(c: CommandContext, i: number, ms = false): number {
  const a = c.argv;
  let tval: number;
  if (ms) {
    tval = a.int(i);
    if (Number.isNaN(tval)) {
      c.reply.error("ERR timeout is not an integer or out of range");
      return -1;
    }
  } else {
    const ld = parseLongDouble(a.buf, a.off(i), a.len(i));
    if (ld === null) {
      c.reply.error("ERR timeout is not a float or out of range");
      return -1;
    }
    const f = Number(a.latin1(i));
    // (long long)(ftval * 1000.0): out of range (inf, 1e300) gives LLONG_MIN on x86-64.
    const v = ld.inf ? Number.NEGATIVE_INFINITY : Number.isNaN(f) ? 0 : f * 1000;
    tval = Math.abs(v) < TWO_63 ? Math.trunc(v) : -TWO_63;
  }
  if (tval < 0) {
    c.reply.error("ERR timeout is negative");
    return -1;
  }
  if (tval === 0) return 0;
  if (tval > TWO_63 - 1 - c.now) {
    c.reply.error("ERR timeout is out of range");
    return -1;
  }
  return c.now + tval;
}
