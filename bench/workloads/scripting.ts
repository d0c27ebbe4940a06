// Scripting workloads (issue #15): EVALSHA of a rate-limiter style script (INCR + PEXPIRE on
// the first hit + compare with the limit), the shape of most production scripts, at pipeline
// 1 and 16. The script is loaded into both servers' caches by the setup (SCRIPT LOAD); its sha
// is computed here. Keys rl:<rand> spread over the runner's 100000-key space.

import { createHash } from "node:crypto";
import type { Workload } from "./types.ts";

export const RATE_LIMITER = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then return 0 end
return 1`;
const SHA = createHash("sha1").update(RATE_LIMITER).digest("hex");

export const scriptingWorkloads: Workload[] = [1, 16].map((pipeline) => ({
  name: `EVALSHA rate-limiter P${pipeline}`,
  family: "scripting",
  args: ["-P", String(pipeline), "EVALSHA", SHA, "1", "rl:__rand_int__", "60000", "100"],
  requests: pipeline === 1 ? 100_000 : 300_000,
  setup: [["SCRIPT", "LOAD", RATE_LIMITER]],
}));
