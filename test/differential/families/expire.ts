// Expiry commands for the differential test. Every time a generated command can set lies far in
// the future as an ABSOLUTE time (or in the past, which deletes), so replies never depend on when
// each server ran the command: TTL/PTTL (relative) are not queried, EXPIRETIME/PEXPIRETIME are,
// but only on this family's own keys: the strings family sets relative TTLs (SET EX, SETEX) on
// the shared keys, whose absolute time differs by the milliseconds between the two servers.
// NX/XX/GT/LT against those relative TTLs stay deterministic: ours are years away from them.
// Relative EXPIRE/PEXPIRE only get non-positive times (delete) or invalid input here;
// test/integration/expire-*.test.ts covers positive relative TTLs with range checks.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, Family, KeyPicker } from "../gen.ts";

/** 2100-01-01 and a few days after it: far enough that no test run reaches them. */
const FUTURE_S = 4_102_444_800;
const futureS = (r: Prng) => String(FUTURE_S + r.int(4) * 86_400);
const futureMs = (r: Prng) => String(FUTURE_S * 1000 + r.int(4) * 86_400_000 + r.int(3));

/** Keys no other family names (only KEYS/SCAN/FLUSH* see them, deterministically). */
const OWN = ["ttl:a", "ttl:b", "ttl:c"];
const own = (r: Prng) => OWN[r.int(OWN.length)]!;
const anyKey = (r: Prng, keys: KeyPicker): Arg => (r.int(2) === 0 ? own(r) : keys.key());

const FLAGS = ["nx", "xx", "gt", "lt", "NX", "Gt"];
function flags(r: Prng): string[] {
  const n = r.int(10);
  if (n < 5) return [];
  if (n < 9) return [FLAGS[r.int(FLAGS.length)]!];
  return [FLAGS[r.int(FLAGS.length)]!, FLAGS[r.int(FLAGS.length)]!]; // mostly incompatible
}

/** Invalid or boundary time arguments, with the reply each command must give. */
const BAD = [
  "abc",
  "1.5",
  "",
  " 1",
  "+1",
  "99999999999999999999",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775",
  "-9223372036854776",
];

// Valid times beyond 2^53 ms are accepted by both but read back rounded here (docs/EXPIRY.md,
// "Limit"), so only the bad inputs that stay errors or deletes are generated.
const BAD_MS = BAD.filter((b) => b !== "9223372036854775807" && b !== "9223372036854775");

// EXPIREAT 9223372036854775 (seconds) is valid too: 9223372036854775000 ms.
const BAD_S = BAD.filter((b) => b !== "9223372036854775");

function absolute(r: Prng, keys: KeyPicker): Arg[] {
  const ms = r.int(2) === 0;
  const roll = r.int(20);
  let t: string;
  if (roll === 0) t = (ms ? BAD_MS : BAD_S)[r.int(ms ? BAD_MS.length : BAD_S.length)]!;
  else if (roll < 3)
    t = String(r.int(3) === 0 ? -r.int(1000) : r.int(1_000_000)); // past: delete
  else t = ms ? futureMs(r) : futureS(r);
  return [ms ? "pexpireat" : "expireat", anyKey(r, keys), t, ...flags(r)];
}

function relative(r: Prng, keys: KeyPicker): Arg[] {
  const ms = r.int(2) === 0;
  const bad = ms ? BAD_MS : BAD; // a valid huge PEXPIRE would be a positive relative TTL
  const t = r.int(4) === 0 ? bad[r.int(bad.length)]! : String(-r.int(100));
  return [ms ? "pexpire" : "expire", anyKey(r, keys), t, ...flags(r)];
}

export const expireFamily: Family = {
  name: "expire",
  weight: 3,
  gens: [
    absolute,
    absolute,
    relative,
    (r) => ["set", own(r), "v"],
    (r) => [r.int(2) === 0 ? "expiretime" : "pexpiretime", own(r)],
    (r) => [r.int(2) === 0 ? "expiretime" : "pexpiretime", own(r)],
    (r, k) => ["persist", anyKey(r, k)],
    // TTL/PTTL only where the answer is -2 or -1 or comes from a deletion: a key never given a
    // future time replies the same on both servers; a key with one would not, so query keys
    // through EXPIRETIME above instead.
    (r) => [r.int(2) === 0 ? "ttl" : "pttl", `never-set-${r.int(3)}`],
    // Arity errors (and past-time deletes with options): never a valid TTL query on a shared key.
    (r, k) => {
      const name = ["expire", "pexpireat", "persist", "ttl", "expiretime"][r.int(5)]!;
      const args = [k.key(), "-1", "nx", "xx", "gt"].slice(0, r.int(5));
      if (name !== "expire" && name !== "pexpireat" && args.length === 1) args.push("x");
      return [name, ...args];
    },
  ],
};
