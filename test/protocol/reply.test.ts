import { expect, test } from "bun:test";
import { formatDouble } from "../../src/protocol/number.ts";
import { OutBuf } from "../../src/protocol/outbuf.ts";
import {
  MODE_RESP2,
  MODE_RESP3,
  MODE_V1,
  MODE_V1_TYPED,
  Reply,
  type ReplyMode,
} from "../../src/protocol/reply.ts";
import { Prng } from "../helpers/prng.ts";

function encode(mode: ReplyMode, write: (r: Reply) => void): string {
  const out = new OutBuf();
  const r = new Reply(out);
  r.mode = mode;
  write(r);
  expect(r.idle).toBe(true);
  return Buffer.from(out.buf.subarray(out.start, out.end)).toString("latin1");
}
const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");

test("RESP2 and RESP3 encodings", () => {
  const sample = (r: Reply) => {
    r.array(6);
    r.ok();
    r.int(-42);
    r.bulkStr("hi");
    r.nil();
    r.double(1.5);
    r.map(1);
    r.bulkStr("k");
    r.bool(true);
  };
  expect(encode(MODE_RESP2, sample)).toBe(
    "*6\r\n+OK\r\n:-42\r\n$2\r\nhi\r\n$-1\r\n$3\r\n1.5\r\n*2\r\n$1\r\nk\r\n:1\r\n",
  );
  expect(encode(MODE_RESP3, sample)).toBe(
    "*6\r\n+OK\r\n:-42\r\n$2\r\nhi\r\n_\r\n,1.5\r\n%1\r\n$1\r\nk\r\n#t\r\n",
  );
  expect(encode(MODE_RESP2, (r) => r.error("ERR a\r\nb"))).toBe("-ERR a  b\r\n");
  expect(encode(MODE_RESP2, (r) => r.nilArray())).toBe("*-1\r\n");
});

test("v1 untyped: original frames; integers as text; arrays flattened into lines", () => {
  expect(hex(encode(MODE_V1, (r) => r.ok()))).toBe("00000006000000004f4b");
  expect(hex(encode(MODE_V1, (r) => r.nil()))).toBe("0000000400000001");
  expect(encode(MODE_V1, (r) => r.error("ERR unknown command"))).toBe(
    "\0\0\0\x17\0\0\0\x02ERR unknown command",
  );
  expect(encode(MODE_V1, (r) => r.int(12))).toBe("\0\0\0\x06\0\0\0\x0012");
  expect(
    encode(MODE_V1, (r) => {
      r.array(3);
      r.bulkStr("a");
      r.array(2);
      r.int(1);
      r.nil();
      r.bulkStr("b");
    }),
  ).toBe("\0\0\0\x0a\0\0\0\0a\n1\n\nb");
  expect(encode(MODE_V1, (r) => r.array(0))).toBe("\0\0\0\x04\0\0\0\0");
});

test("v1 typed: nested frames with lengths patched at every level", () => {
  const s = encode(MODE_V1_TYPED, (r) => {
    r.array(2);
    r.int(-2);
    r.array(1);
    r.bulkStr("x");
  });
  const b = Buffer.from(s, "latin1");
  expect(b.readUInt32BE(0)).toBe(b.length - 4); // outer total
  expect(b.readUInt32BE(4)).toBe(5); // array
  expect(b.readUInt32BE(8)).toBe(2); // count
  expect(b.readUInt32BE(12)).toBe(12); // int frame: 4 status + 8
  expect(b.readUInt32BE(16)).toBe(3);
  expect(b.readBigInt64BE(20)).toBe(-2n);
  expect(b.readUInt32BE(28)).toBe(b.length - 28 - 4); // inner array
  expect(b.readUInt32BE(32)).toBe(5);
  expect(b.readUInt32BE(36)).toBe(1);
  expect(b.subarray(40).toString("latin1")).toBe("\0\0\0\x05\0\0\0\0x");
});

test("integers print like String(n) over the safe range", () => {
  const r = new Prng(3);
  const out = new OutBuf();
  for (let i = 0; i < 20000; i++) {
    const mag = 10 ** r.int(16);
    const n = (r.u32() % 2 ? -1 : 1) * Math.floor((r.u32() / 2 ** 32) * mag);
    const start = out.end;
    out.int(n);
    expect(Buffer.from(out.buf.subarray(start, out.end)).toString()).toBe(String(n));
  }
  for (const n of [
    0,
    9,
    10,
    99,
    100,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    2 ** 62,
    -(2 ** 63),
    2 ** 53 + 2,
    (2 ** 53 + 2) * 1024,
  ]) {
    const start = out.end;
    out.int(n);
    expect(Buffer.from(out.buf.subarray(start, out.end)).toString()).toBe(BigInt(n).toString());
  }
});

test("doubles print as Redis 7.0's %.17g", () => {
  expect(formatDouble(1.5)).toBe("1.5");
  expect(formatDouble(3.1)).toBe("3.1000000000000001");
  expect(formatDouble(0.1)).toBe("0.10000000000000001");
  expect(formatDouble(1e21)).toBe("1e+21");
  expect(formatDouble(1e-5)).toBe("1.0000000000000001e-05");
  expect(formatDouble(0.0001)).toBe("0.0001");
  expect(formatDouble(-0)).toBe("-0");
  expect(formatDouble(123456789012345680000)).toBe("1.2345678901234568e+20");
  expect(formatDouble(Number.POSITIVE_INFINITY)).toBe("inf");
  expect(formatDouble(Number.NEGATIVE_INFINITY)).toBe("-inf");
  expect(formatDouble(100)).toBe("100");
});

test("the output buffer grows, compacts and shrinks without losing bytes", () => {
  const out = new OutBuf();
  const r = new Prng(11);
  let model: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const n = r.int(5000);
    const bytes = r.bytes(n);
    out.bytes(bytes, 0, n);
    model.push(...bytes);
    const take = Math.min(out.pending, r.int(6000));
    expect([...out.buf.subarray(out.start, out.start + take)]).toEqual(model.slice(0, take));
    out.consumed(take);
    model = model.slice(take);
    expect(out.pending).toBe(model.length);
  }
});
