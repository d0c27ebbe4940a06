// used_memory: what counts against maxmemory and what INFO memory reports (docs/EXPIRY.md).

/** Redis's bytesToHuman: 1023B, 1.00K, 1.50M, ... */
export function bytesToHuman(n: number): string {
  const units = ["K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  for (const u of units) {
    if (d < 1024 || u === "P") return `${d.toFixed(2)}${u}`;
    d /= 1024;
  }
  return `${n}B`;
}

/** Buffers a client holds: its output queue's capacity and its input carry buffer. */
export interface BufferHolder {
  out: { capacity: number };
  queryBufferBytes: number;
}

export function clientBufferBytes(clients: Iterable<BufferHolder>): number {
  let n = 0;
  for (const c of clients) n += c.out.capacity + c.queryBufferBytes;
  return n;
}
