import { expect, test } from "bun:test";
import { Stats } from "../../src/server/server.ts";

test("error replies are counted by code; at most 128 codes are tracked, all are totalled", () => {
  const s = new Stats();
  s.countError("ERR syntax error");
  s.countError("ERR value is not an integer or out of range");
  s.countError("WRONGTYPE Operation against a key holding the wrong kind of value");
  s.countError("NOSPACE");
  expect([...s.errorCodes]).toEqual([
    ["ERR", 2],
    ["WRONGTYPE", 1],
    ["NOSPACE", 1],
  ]);
  for (let i = 0; i < 130; i++) s.countError(`CODE${i} x`);
  expect(s.errorCodes.size).toBe(128); // the bound: new codes past it are not tracked...
  expect(s.errorReplies).toBe(134); // ...but every error is totalled
  s.countError("ERR again");
  expect(s.errorCodes.get("ERR")).toBe(3); // known codes keep counting at the bound
  s.reset();
  expect(s.errorReplies).toBe(0);
  expect(s.errorCodes.size).toBe(0);
});
