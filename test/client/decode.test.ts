// The client's reply decoder against the server's real encoder: every value is
// written with Reply (MODE_V1_TYPED and MODE_V1) and must decode back.

import { describe, expect, test } from "bun:test";
import {
  decodeFrame,
  decodeTagged,
  frameSize,
  ProtocolError,
  PUSH,
  ReplyError,
  type Tagged,
  type Value,
} from "../../src/client/decode.ts";
import { OutBuf } from "../../src/protocol/outbuf.ts";
import { MODE_V1, MODE_V1_TYPED, Reply, type ReplyMode } from "../../src/protocol/reply.ts";
import { Prng } from "../helpers/prng.ts";

function encode(mode: ReplyMode, write: (r: Reply) => void): Uint8Array {
  const out = new OutBuf();
  const r = new Reply(out);
  r.mode = mode;
  write(r);
  expect(r.idle).toBe(true);
  return out.buf.slice(out.start, out.end);
}

function decodeAll(b: Uint8Array): Value[] {
  const vals: Value[] = [];
  let pos = 0;
  while (pos < b.length) {
    const size = frameSize(b, pos, b.length);
    expect(size).toBeGreaterThan(0);
    vals.push(decodeFrame(b, pos));
    pos += size;
  }
  expect(pos).toBe(b.length);
  return vals;
}

const one = (mode: ReplyMode, w: (r: Reply) => void) => {
  const v = decodeAll(encode(mode, w));
  expect(v.length).toBe(1);
  return v[0]!;
};
const typed = (w: (r: Reply) => void) => one(MODE_V1_TYPED, w);
const text = (v: Value) => new TextDecoder().decode(v as Uint8Array);

describe("typed frames", () => {
  test("scalars", () => {
    expect(text(typed((r) => r.ok()))).toBe("OK");
    expect(typed((r) => r.bulkBytes(new Uint8Array([0, 255, 10, 13])))).toEqual(
      new Uint8Array([0, 255, 10, 13]),
    );
    expect(typed((r) => r.nil())).toBeNull();
    expect(typed((r) => r.nilArray())).toBeNull();
    expect(typed((r) => r.int(0))).toBe(0);
    expect(typed((r) => r.int(-1))).toBe(-1);
    expect(typed((r) => r.int(2 ** 53 - 1))).toBe(2 ** 53 - 1);
    expect(typed((r) => r.int(-(2 ** 53) + 1))).toBe(-(2 ** 53) + 1);
    expect(typed((r) => r.int(2 ** 60))).toBe(2n ** 60n);
    expect(typed((r) => r.int(-(2 ** 62)))).toBe(-(2n ** 62n));
    expect(typed((r) => r.double(1.5))).toBe(1.5);
    expect(typed((r) => r.double(-Infinity))).toBe(-Infinity);
    expect(Number.isNaN(typed((r) => r.double(NaN)))).toBe(true);
    expect(typed((r) => r.bool(true))).toBe(true);
    expect(typed((r) => r.bool(false))).toBe(false);
    const e = typed((r) => r.error("WRONGTYPE Operation against a key"));
    expect(e).toBeInstanceOf(ReplyError);
    expect((e as ReplyError).code).toBe("WRONGTYPE");
    expect((e as ReplyError).message).toBe("WRONGTYPE Operation against a key");
  });

  test("aggregates nest; maps decode to Map with text keys; push is marked", () => {
    const v = typed((r) => {
      r.array(4);
      r.int(1);
      r.array(0);
      r.map(2);
      r.bulkStr("a");
      r.double(2.5);
      r.bulkStr("b");
      r.array(2);
      r.nil();
      r.error("ERR inner");
      r.set(1);
      r.bulkStr("s");
    }) as Value[];
    expect(v.length).toBe(4);
    expect(v[0]).toBe(1);
    expect(v[1]).toEqual([]);
    const m = v[2] as Map<string, Value>;
    expect(m).toBeInstanceOf(Map);
    expect(m.get("a")).toBe(2.5);
    const inner = m.get("b") as Value[];
    expect(inner[0]).toBeNull();
    expect(inner[1]).toBeInstanceOf(ReplyError); // nested errors are values, not rejections
    expect((v[3] as Value[]).map(text)).toEqual(["s"]);
    const p = typed((r) => {
      r.push(2);
      r.bulkStr("message");
      r.bulkStr("x");
    }) as Value[] & { [PUSH]?: true };
    expect(p[PUSH]).toBe(true);
    expect(p.map(text)).toEqual(["message", "x"]);
  });

  // A random reply tree, written with Reply and checked against the same tree.
  type Tree =
    | { k: "str"; b: Uint8Array }
    | { k: "nil" }
    | { k: "err"; s: string }
    | { k: "int"; n: number }
    | { k: "dbl"; d: number }
    | { k: "bool"; b: boolean }
    | { k: "arr" | "set"; xs: Tree[] }
    | { k: "map"; xs: [string, Tree][] };

  function gen(p: Prng, depth: number): Tree {
    const r = p.int(depth > 3 ? 6 : 9);
    switch (r) {
      case 0:
        return { k: "str", b: p.bytes(p.int(3) === 0 ? p.int(3000) : p.int(12)) };
      case 1:
        return { k: "nil" };
      case 2:
        return { k: "err", s: `ERR e${p.int(100)}` };
      case 3: {
        const big = p.int(4) === 0;
        const n = big ? (p.u32() * 2 ** 28 + p.u32()) * (p.int(2) ? 1 : -1) : p.u32() - 2 ** 31;
        return { k: "int", n: big ? Math.trunc(n) : n };
      }
      case 4:
        return { k: "dbl", d: (p.u32() / 7) * (p.int(2) ? 1 : -1) };
      case 5:
        return { k: "bool", b: p.int(2) === 1 };
      case 6:
      case 7: {
        const xs: Tree[] = [];
        for (let i = p.int(5); i > 0; i--) xs.push(gen(p, depth + 1));
        return { k: r === 6 ? "arr" : "set", xs };
      }
      default: {
        const xs: [string, Tree][] = [];
        for (let i = p.int(4); i > 0; i--) xs.push([`k${i}`, gen(p, depth + 1)]);
        return { k: "map", xs };
      }
    }
  }

  function write(r: Reply, t: Tree): void {
    switch (t.k) {
      case "str":
        return r.bulkBytes(t.b);
      case "nil":
        return r.nil();
      case "err":
        return r.error(t.s);
      case "int":
        return r.int(t.n);
      case "dbl":
        return r.double(t.d);
      case "bool":
        return r.bool(t.b);
      case "arr":
      case "set":
        t.k === "arr" ? r.array(t.xs.length) : r.set(t.xs.length);
        for (const x of t.xs) write(r, x);
        return;
      case "map":
        r.map(t.xs.length);
        for (const [k, x] of t.xs) {
          r.bulkStr(k);
          write(r, x);
        }
    }
  }

  function model(t: Tree): unknown {
    switch (t.k) {
      case "str":
        return t.b;
      case "nil":
        return null;
      case "err":
        return new ReplyError(t.s);
      case "int":
        return Number.isSafeInteger(t.n) ? t.n : BigInt(t.n);
      case "dbl":
        return t.d;
      case "bool":
        return t.b;
      case "arr":
      case "set":
        return t.xs.map(model);
      case "map":
        return new Map(t.xs.map(([k, x]) => [k, model(x)]));
    }
  }

  test("random reply trees round-trip (several replies back to back)", () => {
    const p = new Prng(4242);
    for (let round = 0; round < 300; round++) {
      const trees = [gen(p, 0), gen(p, 0), gen(p, 0)];
      const got = decodeAll(
        encode(MODE_V1_TYPED, (r) => {
          for (const t of trees) write(r, t);
        }),
      );
      expect(got).toEqual(trees.map(model) as Value[]);
    }
  });

  function taggedModel(t: Tree): unknown {
    switch (t.k) {
      case "str":
        return { type: "string", value: t.b };
      case "nil":
        return { type: "nil" };
      case "err":
        return { type: "error", value: t.s };
      case "int":
        return { type: "int", value: Number.isSafeInteger(t.n) ? t.n : BigInt(t.n) };
      case "dbl":
        return { type: "double", value: t.d };
      case "bool":
        return { type: "bool", value: t.b };
      case "arr":
      case "set":
        return { type: t.k === "arr" ? "array" : "set", value: t.xs.map(taggedModel) };
      case "map":
        return {
          type: "map",
          value: t.xs.flatMap(([k, x]) => [
            { type: "string", value: new TextEncoder().encode(k) },
            taggedModel(x),
          ]),
        };
    }
  }

  test("decodeTagged keeps the wire type of every node", () => {
    const p = new Prng(777);
    for (let round = 0; round < 200; round++) {
      const t = gen(p, 0);
      const b = encode(MODE_V1_TYPED, (r) => write(r, t));
      expect(decodeTagged(b, 0)).toEqual(taggedModel(t) as Tagged);
    }
    const d = decodeTagged(
      encode(MODE_V1_TYPED, (r) => r.double(3)),
      0,
    );
    expect(d).toEqual({ type: "double", value: 3 }); // not confused with an integer
  });
});

describe("untyped (original) frames", () => {
  const untyped = (w: (r: Reply) => void) => one(MODE_V1, w);
  test("values, nil, errors; integers and aggregates come as text", () => {
    expect(text(untyped((r) => r.ok()))).toBe("OK");
    expect(untyped((r) => r.nil())).toBeNull();
    expect((untyped((r) => r.error("ERR unknown command")) as ReplyError).message).toBe(
      "ERR unknown command",
    );
    expect(text(untyped((r) => r.int(42)))).toBe("42");
    const arr = untyped((r) => {
      r.array(3);
      r.bulkStr("a");
      r.int(7);
      r.bulkStr("c");
    });
    expect(text(arr)).toBe("a\n7\nc");
    expect(text(untyped((r) => r.array(0)))).toBe("");
  });
  test("a byte-exact original reply decodes", () => {
    const b = new Uint8Array([0, 0, 0, 7, 0, 0, 0, 0, 0x62, 0x61, 0x72]);
    expect(text(decodeFrame(b, 0))).toBe("bar");
  });
});

describe("malformed frames are rejected, not misread", () => {
  const frame = (status: number, payload: number[]) => {
    const b = new Uint8Array(8 + payload.length);
    new DataView(b.buffer).setUint32(0, 4 + payload.length);
    new DataView(b.buffer).setUint32(4, status);
    b.set(payload, 8);
    return b;
  };
  test("unknown status, wrong scalar sizes, bad counts", () => {
    expect(() => decodeFrame(frame(10, []), 0)).toThrow(ProtocolError);
    expect(() => decodeFrame(frame(3, [0, 0, 0, 1]), 0)).toThrow(ProtocolError);
    expect(() => decodeFrame(frame(8, [1, 1]), 0)).toThrow(ProtocolError);
    expect(() => decodeFrame(frame(5, [0, 0, 0, 2]), 0)).toThrow(ProtocolError);
    expect(() => decodeFrame(frame(5, [0xff, 0xff, 0xff, 0xff]), 0)).toThrow(ProtocolError);
    expect(() => decodeFrame(frame(5, [0, 0, 0, 1, 0, 0, 0, 99, 0, 0, 0, 0]), 0)).toThrow(
      ProtocolError,
    );
    expect(frameSize(new Uint8Array([0, 0, 1]), 0, 3)).toBe(-1);
  });
  test("nesting is bounded", () => {
    // 100 nested one-element arrays
    const depth = 100;
    const parts: number[] = [];
    let inner = [0, 0, 0, 4, 0, 0, 0, 1]; // nil
    for (let i = 0; i < depth; i++) {
      const len = 8 + inner.length;
      inner = [0, 0, len >> 8, len & 255, 0, 0, 0, 5, 0, 0, 0, 1, ...inner];
    }
    parts.push(...inner);
    expect(() => decodeFrame(new Uint8Array(parts), 0)).toThrow(/nested too deeply/);
  });
});
