// RESP request decoder (multibulk and inline). Placeholder until the RESP work
// lands: every RESP request is refused with a protocol error.

import type { Args } from "./args.ts";
import { type DecodeLimits, decodeStatus, PROTOCOL_ERROR } from "./framing.ts";

export function decodeResp(
  _buf: Uint8Array,
  _pos: number,
  _end: number,
  _args: Args,
  _limits: DecodeLimits,
): number {
  decodeStatus.error = "ERR Protocol error: only the imds v1 protocol is supported so far";
  return PROTOCOL_ERROR;
}
