// Redis zipmap (redis/src/zipmap.c), read only: hashes in RDBs from Redis < 2.6 (type 9).
//
//   <zmlen: 1 byte, 254 = unknown> (<len> <key> <len> <free: 1 byte> <value> <free bytes>)* <0xFF>
//   len = 1 byte if < 254, else 0xFE + u32le

const ZM_END = 0xff;

/** The field/value pairs of a zipmap. */
export function zipmapEntries(buf: Uint8Array): [Uint8Array, Uint8Array][] {
  if (buf.length < 2) throw new Error("zipmap: too short");
  const out: [Uint8Array, Uint8Array][] = [];
  let p = 1;
  const need = (n: number) => {
    if (p + n > buf.length) throw new Error("zipmap: entry runs past the end");
  };
  const len = (): number => {
    need(1);
    const c = buf[p]!;
    if (c < 254) {
      p += 1;
      return c;
    }
    if (c === 254) {
      need(5);
      const n =
        (buf[p + 1]! | (buf[p + 2]! << 8) | (buf[p + 3]! << 16) | (buf[p + 4]! << 24)) >>> 0;
      p += 5;
      return n;
    }
    throw new Error(`zipmap: bad length byte 0x${c.toString(16)} at ${p}`);
  };
  for (;;) {
    need(1);
    if (buf[p] === ZM_END) break;
    const kl = len();
    need(kl);
    const k = buf.slice(p, p + kl);
    p += kl;
    const vl = len();
    need(1);
    const free = buf[p]!;
    p += 1;
    need(vl + free);
    const v = buf.slice(p, p + vl);
    p += vl + free;
    out.push([k, v]);
  }
  if (p !== buf.length - 1) throw new Error("zipmap: bytes after the end marker");
  return out;
}
