// Scripts for the differential test: any command of the other families run through
// redis.call / redis.pcall (`EVAL "return redis.pcall(unpack(ARGV))" 0 <command...>`), so every
// reply goes Redis reply -> Lua value -> reply and every error through the script error path;
// plus a few fixed scripts (several writes in one run, EVALSHA after SCRIPT LOAD, EVAL_RO).
// Commands whose reply order Redis leaves unspecified are not wrapped.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, CommandGen, Family, KeyPicker } from "../gen.ts";
import { expireFamily } from "./expire.ts";
import { keysFamily } from "./keys.ts";
import { stringsFamily } from "./strings.ts";
import { zsetFamily } from "./zset.ts";

const inner = [stringsFamily, keysFamily, expireFamily, zsetFamily];
const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.int(xs.length)]!;

function innerCommand(r: Prng, k: KeyPicker): Arg[] {
  for (;;) {
    const f = pick(r, inner);
    const cmd = pick(r, f.gens)(r, k);
    const name = String(cmd[0]).toLowerCase();
    if (!(f.unordered ?? []).includes(name) && !RANDOM.includes(name)) return cmd;
  }
}

// Random picks and cursors: the harness treats them specially when they are not wrapped.
const RANDOM = ["randomkey", "scan", "zscan", "zrandmember", "srandmember", "spop", "hrandfield"];

const PCALL = "return redis.pcall(unpack(ARGV))";
const CALL = "return redis.call(unpack(ARGV))";
const SWAP =
  "local v = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[1], ARGV[1]) return {v, redis.call('STRLEN', KEYS[1])}";
const SWAP_SHA = "bc6fea6c8330174376786b8e40b173a725097035"; // sha1 of SWAP

const gens: CommandGen[] = [
  (r, k) => ["EVAL", PCALL, "0", ...innerCommand(r, k)],
  (r, k) => ["EVAL", PCALL, "0", ...innerCommand(r, k)],
  (r, k) => ["EVAL", CALL, "0", ...innerCommand(r, k)],
  (r, k) => ["EVAL_RO", PCALL, "0", ...innerCommand(r, k)],
  (r, k) => ["EVAL", SWAP, "1", k.key(), pick(r, ["x", "12", "", "long value here"])],
  () => ["SCRIPT", "LOAD", SWAP],
  (r, k) => ["EVALSHA", SWAP_SHA, "1", k.key(), pick(r, ["y", "7"])],
];

export const scriptingFamily: Family = { name: "scripting", weight: 2, gens };
