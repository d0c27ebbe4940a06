// Scripts in process, in every reply mode: the caller's protocol shapes the script's result
// (v1 untyped and typed frames, RESP2, RESP3), the script context's db and stats, and a
// server that loads its engine on the first script command.
import { expect, test } from "bun:test";
import { MODE_RESP2, MODE_RESP3, MODE_V1, MODE_V1_TYPED } from "../../src/protocol/reply.ts";
import { InProc } from "../helpers/inproc.ts";
import { typedWhole } from "../helpers/v1typed.ts";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
const RESULT = "return {1, 'two', {ok='S'}, false, {double=1.5}, {map={k='v'}}}";

test("the Lua VM loads on the first script command, which waits for it and then answers", async () => {
  const p = new InProc(MODE_RESP2);
  expect(p.server.scripts.engine).toBeNull();
  // Without the VM there is nothing cached: SCRIPT EXISTS / FLUSH answer without loading it.
  expect(p.raw("SCRIPT", "EXISTS", "x")).toBe("*1\r\n:0\r\n");
  expect(p.raw("SCRIPT", "FLUSH")).toBe("+OK\r\n");
  expect(p.server.scripts.engine).toBeNull();
  // The EVAL is held (no reply yet) until the engine is there, then runs.
  expect(p.raw("EVAL", "return 1", "0")).toBe("");
  expect(p.server.scripts.engine).toBeNull();
  await p.server.scripts.init();
  expect(p.server.scripts.engine).not.toBeNull();
  expect(latin1(p.takeWritten())).toBe(":1\r\n");
  expect(p.raw("FUNCTION", "LIST")).toBe("*0\r\n");
});

test("the script's result in each protocol of the caller", async () => {
  const p = new InProc(MODE_RESP2);
  await p.server.scripts.init();
  expect(p.raw("EVAL", RESULT, "0")).toBe(
    "*6\r\n:1\r\n$3\r\ntwo\r\n+S\r\n$-1\r\n$3\r\n1.5\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n",
  );
  p.mode = MODE_RESP3;
  expect(p.raw("EVAL", RESULT, "0")).toBe(
    "*6\r\n:1\r\n$3\r\ntwo\r\n+S\r\n_\r\n,1.5\r\n%1\r\n$1\r\nk\r\n$1\r\nv\r\n",
  );
  p.mode = MODE_V1_TYPED;
  expect(typedWhole(p.exec("EVAL", RESULT, "0"))).toEqual({
    s: "array",
    v: [
      { s: "int", v: 1n },
      { s: "str", v: "two" },
      { s: "str", v: "S" },
      { s: "nil" },
      { s: "double", v: 1.5 },
      {
        s: "map",
        v: [
          { s: "str", v: "k" },
          { s: "str", v: "v" },
        ],
      },
    ],
  });
  p.mode = MODE_V1;
  const b = p.exec("EVAL", "return {1, 'two'}", "0");
  expect(new DataView(b.buffer, b.byteOffset).getUint32(4)).toBe(0);
  expect(latin1(b.subarray(8))).toBe("1\ntwo");
  const e = p.exec("EVAL", "return redis.call('nosuch')", "0");
  expect(new DataView(e.buffer, e.byteOffset).getUint32(4)).toBe(2);
});

test("SELECT inside a script: the script's db only; inner commands count in commandstats", async () => {
  const p = new InProc(MODE_RESP2);
  await p.server.scripts.init();
  p.call("SELECT", "2");
  expect(
    p.raw(
      "EVAL",
      "redis.call('SELECT', 5) redis.call('SET', 'x', '1') return redis.call('DBSIZE')",
      "0",
    ),
  ).toBe(":1\r\n");
  expect(p.raw("DBSIZE")).toBe(":0\r\n"); // still db 2
  p.call("SELECT", "5");
  expect(p.raw("GET", "x")).toBe("$1\r\n1\r\n");
  // The next script starts in the caller's db again (5 now).
  expect(p.raw("EVAL", "return redis.call('GET', 'x')", "0")).toBe("$1\r\n1\r\n");
  const stats = String(p.call("INFO", "commandstats"));
  expect(stats).toMatch(/cmdstat_set:calls=1,/);
  expect(stats).toMatch(/cmdstat_eval:calls=2,/);
});
