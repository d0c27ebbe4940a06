// The mixed dataset of the RDB snapshot benchmarks, built in a running redis-server: `n` keys,
// 70% strings by DEBUG POPULATE, 10% hashes of 5 fields, 10% intsets of 5, 5% zsets of 5, 5%
// lists of 5 (bench/snapshot.ts and bench/snapshot-load.ts).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RespConn } from "../../test/helpers/resp.ts";

const resp = (...a: string[]) =>
  `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("")}`;

export async function buildMixedData(
  rc: RespConn,
  port: number,
  n: number,
  tmpDir: string,
): Promise<void> {
  const nStr = Math.floor(n * 0.7);
  await rc.call("DEBUG", "POPULATE", nStr, "s");
  const cmds: string[] = [];
  const rest = n - nStr;
  for (let i = 0; i < rest; i++) {
    const k = i % 6;
    if (k < 2) {
      cmds.push(
        resp(
          "HSET",
          `h:${i}`,
          "name",
          `n${i}`,
          "age",
          String(i % 90),
          "city",
          "x",
          "a",
          "1",
          "b",
          "2",
        ),
      );
    } else if (k < 4) cmds.push(resp("SADD", `set:${i}`, "1", "2", "3", String(i), String(i + 1)));
    else if (k === 4) {
      cmds.push(resp("ZADD", `z:${i}`, "1", "a", "2", "b", "3", "c", "4", "d", String(i), "e"));
    } else cmds.push(resp("RPUSH", `l:${i}`, "a", "b", "c", "d", `e${i}`));
  }
  const file = join(tmpDir, "cmds.txt");
  writeFileSync(file, cmds.join(""));
  Bun.spawnSync(["sh", "-c", `redis-cli -p ${port} --pipe < ${file}`], { stdout: "ignore" });
}
