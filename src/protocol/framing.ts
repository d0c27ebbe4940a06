// What the streaming decoders share. A decoder looks at bytes [pos, end) and
// either fills `Args` with one complete request and returns the position after
// it, or returns NEED_MORE (nothing consumed), or PROTOCOL_ERROR. It never
// copies and never allocates on the common path.

import type { Args } from "./args.ts";

export const NEED_MORE = -1;
export const PROTOCOL_ERROR = -2;

/** Side results of the last decode call (module state: decoding is single-threaded). */
export const decodeStatus = {
  /**
   * After NEED_MORE: the fewest bytes from `pos` that could complete the
   * request, when known (a declared string length). Lets the connection skip
   * re-decoding until that much has arrived.
   */
  need: 0,
  /** After PROTOCOL_ERROR: the error reply text (the connection then closes). */
  error: "",
};

export interface DecodeLimits {
  /** Most strings in one v1 request (v1-max-args; the original's MAX_ARGS = 1024). */
  maxArgs: number;
  /** Longest string (proto-max-bulk-len). */
  maxBulkLen: number;
  /** RESP: longest inline command / unterminated multibulk header line (Redis: 64 KiB). */
  maxInlineLen: number;
  /**
   * RESP: the client must still AUTH (requirepass set). Redis 7.0 then refuses
   * requests of more than 10 arguments or 16 KiB strings.
   */
  unauthenticated?: boolean;
}

export type Decoder = (
  buf: Uint8Array,
  pos: number,
  end: number,
  args: Args,
  limits: DecodeLimits,
) => number;
