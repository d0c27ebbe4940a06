// Generic key commands for the differential test. KEYS is compared as a set; SCAN (a full
// iteration from cursor 0) and RANDOMKEY are handled by the harness, see diff.test.ts.

import type { Prng } from "../../helpers/prng.ts";
import type { Arg, Family, KeyPicker } from "../gen.ts";
import { pattern, pick } from "../values.ts";

function someKeys(r: Prng, k: KeyPicker): Arg[] {
  return Array.from({ length: 1 + r.int(4) }, () => k.key());
}

function copyOptions(r: Prng): Arg[] {
  switch (r.int(8)) {
    case 0:
      return ["REPLACE"];
    case 1:
      return ["DB", pick(r, ["1", "2", "0"])];
    case 2:
      return ["DB", pick(r, ["16", "-1", "x", "4294967296", ""])];
    case 3:
      return ["DB", "1", "REPLACE"];
    case 4:
      return [pick(r, ["DB", "FOO", "replace", "db"])];
    default:
      return [];
  }
}

function scanOptions(r: Prng): Arg[] {
  const out: Arg[] = [];
  const n = r.int(3);
  for (let i = 0; i < n; i++) {
    const x = r.int(3);
    if (x === 0) out.push("MATCH", pattern(r));
    else if (x === 1) out.push("COUNT", pick(r, ["1", "2", "5", "100"]));
    else
      out.push(
        "TYPE",
        pick(r, ["string", "STRING", "zset", "hash", "list", "set", "none", "bogus"]),
      );
  }
  return out;
}

export const keysFamily: Family = {
  name: "keys",
  weight: 6,
  unordered: ["keys"],
  gens: [
    (r, k) => [pick(r, ["DEL", "UNLINK"]), ...someKeys(r, k)],
    (r, k) => ["EXISTS", ...someKeys(r, k)],
    (_r, k) => ["TYPE", k.key()],
    (r, k) => ["TOUCH", ...someKeys(r, k)],
    (_r, k) => ["RENAME", k.key(), k.key()],
    (_r, k) => ["RENAMENX", k.key(), k.key()],
    (r, k) => ["COPY", k.key(), k.key(), ...copyOptions(r)],
    (r) => ["KEYS", pattern(r)],
    // other databases: SELECT moves the rest of the stream there for a while
    (r) => ["SELECT", pick(r, ["0", "0", "1", "2"])],
    (r, k) => ["MOVE", k.key(), pick(r, ["0", "1", "2", "16", "-1", "x"])],
    // (not DBSIZE: it counts expired keys not yet reclaimed, which depends on timing)
    (r) => pick(r, [["FLUSHDB"], ["SWAPDB", "0", "1"], ["SWAPDB", "1", "2"]]),
    (r) => ["SCAN", "0", ...scanOptions(r)],
    () => ["RANDOMKEY"],
    (r, k) =>
      pick(r, [
        ["OBJECT", "FREQ", k.key()],
        ["OBJECT", "ENCODING", k.key()],
        ["OBJECT", "ENCODING", k.key()],
        ["OBJECT", "REFCOUNT", k.key()],
        ["OBJECT", "HELP"],
        ["OBJECT", "NOPE", k.key()],
        ["OBJECT", "ENCODING"],
        ["OBJECT", "FREQ", k.key(), k.key()],
      ]),
    (r) =>
      pick(r, [
        ["SCAN", pick(r, ["x", " 0", "1.5", "18446744073709551616"])],
        ["SCAN", "0", "COUNT", pick(r, ["0", "-1", "x"])],
        ["SCAN", "0", "MATCH"],
        ["SCAN", "0", "BOGUS", "1"],
      ]),
    // wrong arities
    (r, k) =>
      pick(r, [
        ["DEL"],
        ["UNLINK"],
        ["EXISTS"],
        ["TYPE"],
        ["TYPE", k.key(), k.key()],
        ["RENAME", k.key()],
        ["RENAMENX", k.key(), k.key(), k.key()],
        ["COPY", k.key()],
        ["KEYS"],
        ["KEYS", "*", "*"],
        ["SCAN"],
        ["RANDOMKEY", k.key()],
        ["TOUCH"],
        ["OBJECT"],
      ]),
  ],
};
