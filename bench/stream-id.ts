// Why stream IDs are 4 x Uint32 and not BigUint64Array columns: 1M binary searches over 1M IDs.
//   bun bench/stream-id.ts
const N = 1 << 20;
const big = new BigUint64Array(2 * N);
const u32 = new Uint32Array(4 * N);
let ms = 1700000000000;
for (let i = 0; i < N; i++) {
  if (i % 3 === 0) ms++;
  big[2 * i] = BigInt(ms);
  big[2 * i + 1] = BigInt(i % 3);
  u32[4 * i] = Math.floor(ms / 2 ** 32);
  u32[4 * i + 1] = ms >>> 0;
  u32[4 * i + 2] = 0;
  u32[4 * i + 3] = i % 3;
}
function searchBig(kms: bigint, kseq: bigint): number {
  let lo = 0,
    hi = N;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    const a = big[2 * m]!;
    const b = big[2 * m + 1]!;
    if (a < kms || (a === kms && b < kseq)) lo = m + 1;
    else hi = m;
  }
  return lo;
}
function searchU32(h0: number, l0: number, h1: number, l1: number): number {
  let lo = 0,
    hi = N;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    const o = 4 * m;
    const a = u32[o]!,
      b = u32[o + 1]!,
      c = u32[o + 2]!,
      d = u32[o + 3]!;
    const less = a < h0 || (a === h0 && (b < l0 || (b === l0 && (c < h1 || (c === h1 && d < l1)))));
    if (less) lo = m + 1;
    else hi = m;
  }
  return lo;
}
for (let r = 0; r < 3; r++) {
  let t = performance.now();
  let acc = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const k = 1700000000000 + ((i * 7919) % 349000);
    acc += searchBig(BigInt(k), 1n);
  }
  const tb = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 1_000_000; i++) {
    const k = 1700000000000 + ((i * 7919) % 349000);
    acc += searchU32(Math.floor(k / 2 ** 32), k >>> 0, 0, 1);
  }
  const tu = performance.now() - t;
  console.log(
    `1M binary searches over 1M ids: BigUint64Array ${tb.toFixed(0)} ms, 4xUint32 ${tu.toFixed(0)} ms`,
    acc % 7,
  );
}
