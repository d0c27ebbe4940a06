// String and key commands on the original binary protocol: untyped frames (statuses 0/1/2, every
// reply rendered as text, docs/PROTOCOL.md "Untyped replies") and typed frames (after HELLO 2/3,
// "Typed replies"). The decoder below is written from docs/PROTOCOL.md alone, independently of
// the client library's, so the document, the server and this test check each other.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MODE_V1, MODE_V1_TYPED } from "../../src/protocol/reply.ts";
import { encodeV1Request } from "../../src/protocol/v1.ts";
import { InProc } from "../helpers/inproc.ts";
import { RawConn } from "../helpers/raw.ts";
import { type Running, startImds } from "../helpers/servers.ts";
import { type Typed, typedWhole } from "../helpers/v1typed.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

/** One untyped frame: [status, payload text]. Checks the frame covers the whole reply. */
function untyped(b: Uint8Array): [number, string] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  expect(dv.getUint32(0)).toBe(b.length - 4);
  return [dv.getUint32(4), latin1(b.subarray(8))];
}

describe("untyped v1 replies (the original protocol)", () => {
  const p = new InProc(MODE_V1);
  const u = (...args: string[]) => untyped(p.exec(...args));

  test("get/set/del stay byte for byte the original ones", () => {
    expect(hex(p.exec("set", "foo", "bar"))).toBe("00000006000000004f4b");
    expect(hex(p.exec("get", "foo"))).toBe("0000000700000000626172");
    expect(hex(p.exec("get", "nope"))).toBe("0000000400000001");
    expect(hex(p.exec("del", "foo"))).toBe("00000006000000004f4b");
    expect(hex(p.exec("del", "foo"))).toBe("0000000400000001");
    // the original took exactly `set key value`: other arguments answer its arity error,
    // unless they are valid Redis SET options (an extension old clients never send)
    const arity = "ERR wrong number of arguments";
    expect(u("set", "k", "v", "x")).toEqual([2, arity]);
    expect(u("set", "k", "v", "EX")).toEqual([2, arity]);
    expect(u("set", "k")).toEqual([2, arity]);
    expect(u("set", "k", "v", "EX", "100")).toEqual([0, "OK"]);
    expect(u("set", "k", "w", "GET")).toEqual([0, "v"]);
    expect(u("set", "k", "v", "EX", "0")).toEqual([2, "ERR invalid expire time in 'set' command"]);
    expect(hex(p.exec("del", "a", "b"))).toBe(
      hex(new TextEncoder().encode("\0\0\0\x21\0\0\0\x02ERR wrong number of arguments")),
    );
  });

  test("integers, floats, arrays and nils as text", () => {
    expect(u("incr", "n")).toEqual([0, "1"]);
    expect(u("incrby", "n", "-10")).toEqual([0, "-9"]);
    expect(u("incrbyfloat", "f", "2.5")).toEqual([0, "2.5"]);
    expect(u("set", "a", "x")).toEqual([0, "OK"]);
    expect(u("mget", "a", "nope", "f")).toEqual([0, "x\n\n2.5"]); // nil element: empty line
    expect(u("mget", "nope", "nope")).toEqual([0, "\n"]);
    expect(u("keys", "zz*")).toEqual([0, ""]); // empty array: empty payload
    expect(u("exists", "a", "a", "nope")).toEqual([0, "2"]);
    expect(u("type", "a")).toEqual([0, "string"]);
    expect(u("setnx", "a", "y")).toEqual([0, "0"]);
    expect(u("set", "a", "y", "NX")).toEqual([1, ""]); // nil
    expect(u("getrange", "nope", "0", "1")).toEqual([0, ""]); // empty string, not nil
    // nested arrays are flattened: SCAN's [cursor, [keys...]]
    const [status, text] = u("scan", "0", "match", "a");
    expect(status).toBe(0);
    expect(text).toBe("0\na");
  });

  test("errors are status 2 with Redis's text; the original texts for unknown/arity", () => {
    p.exec("set", "s", "x");
    expect(u("incr", "s")).toEqual([2, "ERR value is not an integer or out of range"]);
    expect(u("get")).toEqual([2, "ERR wrong number of arguments"]);
    expect(u("mset", "a")).toEqual([2, "ERR wrong number of arguments"]);
    expect(u("mset", "a", "1", "b")).toEqual([2, "ERR wrong number of arguments"]);
    expect(u("nosuch")).toEqual([2, "ERR unknown command"]);
  });
});

describe("typed v1 replies", () => {
  const p = new InProc(MODE_V1_TYPED);
  const t = (...args: string[]) => typedWhole(p.exec(...args));

  test("integers are int64 big-endian, exact beyond 2^53", () => {
    expect(hex(p.exec("incr", "n"))).toBe("0000000c000000030000000000000001");
    p.exec("set", "big", "9223372036854775806");
    expect(t("incr", "big")).toEqual({ s: "int", v: 9223372036854775807n });
    expect(t("decrby", "neg", "9223372036854775807")).toEqual({
      s: "int",
      v: -9223372036854775807n,
    });
    expect(t("strlen", "big")).toEqual({ s: "int", v: 19n });
  });

  test("strings, nils, errors; get/set/del frames are the original ones", () => {
    expect(hex(p.exec("set", "foo", "bar"))).toBe("00000006000000004f4b");
    expect(hex(p.exec("get", "foo"))).toBe("0000000700000000626172");
    expect(hex(p.exec("get", "nope"))).toBe("0000000400000001");
    expect(t("incrbyfloat", "f", "0.1")).toEqual({ s: "str", v: "0.1" }); // a bulk string in Redis too
    expect(t("incr", "foo")).toEqual({
      s: "err",
      v: "ERR value is not an integer or out of range",
    });
    expect(t("del", "foo", "nope")).toEqual({ s: "int", v: 1n }); // typed: Redis's DEL
  });

  test("arrays nest frames, with nil elements and empty arrays", () => {
    p.exec("mset", "a", "1", "b", "");
    expect(t("mget", "a", "nope", "b")).toEqual({
      s: "array",
      v: [{ s: "str", v: "1" }, { s: "nil" }, { s: "str", v: "" }],
    });
    expect(hex(p.exec("keys", "zz*"))).toBe("000000080000000500000000");
    const scan = t("scan", "0", "match", "a") as { s: "array"; v: Typed[] };
    expect(scan.v).toEqual([
      { s: "str", v: "0" },
      { s: "array", v: [{ s: "str", v: "a" }] },
    ]);
    const help = t("object", "help") as { s: "array"; v: Typed[] };
    expect(help.v.length).toBe(15);
  });
});

describe("over TCP with the real server", () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await startImds();
  });
  afterAll(async () => {
    await srv.stop();
  });

  test("HELLO 3 on a v1 connection switches it to typed replies", async () => {
    const c = await RawConn.open(srv.port);
    await c.send(encodeV1Request(["hello", "3"]));
    const hello = await c.readV1();
    if (hello.status === 2) {
      // HELLO on the binary protocol belongs to the connection commands (not merged yet here)
      console.warn(`*** HELLO over v1 not available yet: ${latin1(hello.payload)} ***`);
      c.close();
      return;
    }
    await c.send(encodeV1Request(["set", "n", "9223372036854775806"]));
    expect(latin1((await c.readV1()).payload)).toBe("OK");
    await c.send(encodeV1Request(["incr", "n"]));
    const head = await c.read(4);
    const body = await c.read(new DataView(head.buffer).getUint32(0));
    const frame = new Uint8Array([...head, ...body]);
    expect(typedWhole(frame)).toEqual({ s: "int", v: 9223372036854775807n });
    await c.send(encodeV1Request(["mget", "n", "nope"]));
    const h2 = await c.read(4);
    const b2 = await c.read(new DataView(h2.buffer).getUint32(0));
    expect(typedWhole(new Uint8Array([...h2, ...b2]))).toEqual({
      s: "array",
      v: [{ s: "str", v: "9223372036854775807" }, { s: "nil" }],
    });
    c.close();
  });

  test("a pipelined stream of string and key commands, untyped", async () => {
    const c = await RawConn.open(srv.port);
    const reqs: [string[], number, string][] = [
      [["set", "k", "v"], 0, "OK"],
      [["append", "k", "w"], 0, "2"],
      [["getrange", "k", "0", "0"], 0, "v"],
      [["mset", "x", "1", "y", "2"], 0, "OK"],
      [["mget", "x", "none", "y"], 0, "1\n\n2"],
      [["incr", "x"], 0, "2"],
      [["rename", "x", "z"], 0, "OK"],
      [["exists", "x", "z"], 0, "1"],
      [["copy", "z", "w"], 0, "1"],
      [["get", "w"], 0, "2"],
      [["getdel", "w"], 0, "2"],
      [["get", "w"], 1, ""],
      [["del", "k"], 0, "OK"],
      [["type", "k"], 0, "none"],
      [["incrbyfloat", "z", "1e-3"], 0, "2.001"],
      [["renamenx", "nope", "x"], 2, "ERR no such key"],
    ];
    const frames = reqs.map(([args]) => encodeV1Request(args));
    const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    await c.send(all);
    for (const [args, status, payload] of reqs) {
      const r = await c.readV1();
      expect([args.join(" "), r.status, latin1(r.payload)]).toEqual([
        args.join(" "),
        status,
        payload,
      ]);
    }
    c.close();
  });
});
