// A decoder for typed v1 reply frames, written from docs/PROTOCOL.md alone (independently of the
// client library's), so the document, the server and the tests check each other.

import { expect } from "bun:test";

const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");

export type Typed =
  | { s: "str"; v: string }
  | { s: "nil" }
  | { s: "err"; v: string }
  | { s: "int"; v: bigint }
  | { s: "double"; v: number }
  | { s: "array" | "map" | "set" | "push"; v: Typed[] }
  | { s: "bool"; v: boolean };

/** Decode one typed frame at `at`; returns [value, end]. Follows docs/PROTOCOL.md literally. */
export function typed(b: Uint8Array, at = 0): [Typed, number] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const total = dv.getUint32(at);
  const status = dv.getUint32(at + 4);
  const end = at + 4 + total;
  const body = b.subarray(at + 8, end);
  const bv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (status) {
    case 0:
      return [{ s: "str", v: latin1(body) }, end];
    case 1:
      expect(body.length).toBe(0);
      return [{ s: "nil" }, end];
    case 2:
      return [{ s: "err", v: latin1(body) }, end];
    case 3:
      expect(body.length).toBe(8);
      return [{ s: "int", v: bv.getBigInt64(0) }, end];
    case 4:
      expect(body.length).toBe(8);
      return [{ s: "double", v: bv.getFloat64(0) }, end];
    case 5:
    case 6:
    case 7:
    case 9: {
      const n = bv.getUint32(0) * (status === 6 ? 2 : 1);
      const items: Typed[] = [];
      let p = at + 12;
      for (let i = 0; i < n; i++) {
        const [v, next] = typed(b, p);
        items.push(v);
        p = next;
      }
      expect(p).toBe(end); // the aggregate's length covers exactly its elements
      const s = ({ 5: "array", 6: "map", 7: "set", 9: "push" } as const)[status];
      return [{ s, v: items }, end];
    }
    case 8:
      expect(body.length).toBe(1);
      return [{ s: "bool", v: body[0] === 1 }, end];
    default:
      throw new Error(`unknown status ${status}`);
  }
}

export function typedWhole(b: Uint8Array): Typed {
  const [v, end] = typed(b);
  expect(end).toBe(b.length);
  return v;
}
