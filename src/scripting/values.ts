// The neutral reply model between the scripting core and the command layer: what a command run
// by redis.call returns to a script, and what a script returns to its caller. The EVAL/FCALL
// handler writes a ReplyValue through `Reply` (writeReply in reply-value.ts of phase 2).

export type ReplyValue =
  | { type: "status"; value: string }
  | { type: "error"; value: string } // starts with its code: "ERR ...", "WRONGTYPE ..."
  | { type: "int"; value: number | bigint }
  | { type: "bulk"; value: Uint8Array }
  | { type: "null" }
  | { type: "array"; value: ReplyValue[] }
  | { type: "map"; value: [ReplyValue, ReplyValue][] } // RESP3; RESP2 sees a flat array
  | { type: "set"; value: ReplyValue[] } // RESP3; RESP2 sees an array
  | { type: "double"; value: number } // RESP3; RESP2 sees a bulk string
  | { type: "bool"; value: boolean } // RESP3
  | { type: "bignum"; value: string }; // RESP3 big number; RESP2 sees a bulk string

export type RespVersion = 2 | 3;

/** What the scripting core asks of the server. */
export interface ScriptHost {
  /**
   * Run one command for redis.call / redis.pcall. `argv[0]` is the command name (any case).
   * `resp` is the protocol the script asked for with redis.setresp (default 2): reply in its
   * shapes. Command errors come back as `{type:"error"}` (the core raises them for redis.call),
   * including "ERR Unknown Redis command called from script",
   * "ERR Wrong number of args calling Redis command from script" and
   * "ERR This Redis command is not allowed from script".
   */
  call(argv: Uint8Array[], resp: RespVersion): ReplyValue;
  /** redis.log; level 0..3 = LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING. */
  log?(level: number, message: string): void;
  /** redis.acl_check_cmd: may the current user run argv? (default: yes) */
  aclCheck?(argv: Uint8Array[]): boolean;
}

const enc = new TextEncoder();
export const bulk = (s: string | Uint8Array): ReplyValue => ({
  type: "bulk",
  value: typeof s === "string" ? enc.encode(s) : s,
});
export const status = (s: string): ReplyValue => ({ type: "status", value: s });
export const err = (s: string): ReplyValue => ({ type: "error", value: s });
export const int = (n: number | bigint): ReplyValue => ({ type: "int", value: n });
export const NULL: ReplyValue = { type: "null" };
export const array = (v: ReplyValue[]): ReplyValue => ({ type: "array", value: v });
