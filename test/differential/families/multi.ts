// Transactions for the differential test: MULTI, EXEC, DISCARD, WATCH, UNWATCH drawn among the
// other families' commands on one connection, so queued commands, +QUEUED, EXEC's array of
// in-place results (errors included), EXECABORT after a queue-time error (the other families
// generate wrong arities and unknown subcommands), nested MULTI, WATCH inside MULTI, EXEC /
// DISCARD without MULTI, and a WATCHed key dirtied by the connection's own writes are all
// compared byte for byte with redis-server. EXEC and DISCARD are drawn more often than MULTI so
// transactions stay short. The runner leaves out commands whose reply is unordered or random
// (SCAN, KEYS, RANDOMKEY...) while a MULTI is open: inside EXEC's array they cannot be sorted.

import type { Family } from "../gen.ts";

export const multiFamily: Family = {
  name: "multi",
  weight: 2,
  gens: [
    () => ["MULTI"],
    () => ["MULTI"],
    () => ["EXEC"],
    () => ["EXEC"],
    () => ["exec"],
    () => ["DISCARD"],
    (r, keys) => (r.int(2) === 0 ? ["WATCH", keys.key()] : ["WATCH", keys.key(), keys.key()]),
    () => ["UNWATCH"],
    (r) => (r.int(2) === 0 ? ["MULTI", "x"] : ["EXEC", "x"]), // arity errors
  ],
};
