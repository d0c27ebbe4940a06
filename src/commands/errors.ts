// Error replies shared by the command families, with Redis 7.0's exact texts (server.c's
// shared.* objects and the t_*.c messages). Errors are for what the client did wrong; a broken
// invariant is an assert (src/assert.ts), never an error reply.

import { MODE_V1 } from "../protocol/reply.ts";
import type { CommandContext } from "./context.ts";

export const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const NOT_INT = "ERR value is not an integer or out of range";
export const NOT_FLOAT = "ERR value is not a valid float";
export const SYNTAX = "ERR syntax error";
export const OVERFLOW = "ERR increment or decrement would overflow";
export const STRING_TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
export const DB_RANGE = "ERR DB index is out of range";
export const NO_SUCH_KEY = "ERR no such key";
export const SAME_OBJECT = "ERR source and destination objects are the same";
export const POSITIVE_COUNT = "ERR value is out of range, must be positive";
export const ZSET_RANGE_NOT_FLOAT = "ERR min or max is not a float";
export const ZSET_RANGE_NOT_LEX = "ERR min or max not valid string range item";
export const ZSET_NAN = "ERR resulting score is not a number (NaN)";
export const ZSET_TOO_BIG = "ERR sorted set size limit exceeded";
export const NOAUTH = "NOAUTH Authentication required.";
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

/** Redis's arity error (the original v1 protocol has its own shorter text). */
export function arityError(c: CommandContext, name: string): void {
  if (c.reply.mode === MODE_V1) c.reply.error("ERR wrong number of arguments");
  else c.reply.error(`ERR wrong number of arguments for '${name}' command`);
}

/** "ERR unknown subcommand 'x'. Try CONTAINER HELP." (argument 1 quoted as Redis does). */
export function unknownSubcommand(c: CommandContext, container: string): void {
  c.reply.error(
    `ERR unknown subcommand '${c.argv.latin1(1).slice(0, 128)}'. Try ${container.toUpperCase()} HELP.`,
  );
}
