// `bun bench [filter-regex]`: microbenchmarks of each stage of a request.
//
//   decode   request decoders (v1; RESP once it exists): requests/s and MB/s
//   store    Table get/set against Map<string, Uint8Array> (with and without
//            turning key bytes into a string, which a Map-based server pays)
//   arena    alloc/free of mixed small blocks
//   reply    reply encoding (Reply) in RESP2, V1 and V1 typed
//   client   the client's reply decoder
//   zset     sorted set insert/update/rank/ranges at 1k, 100k and 1M members (bench/micro/zset.ts;
//            BENCH_ZSET_SIZES=1000,100000 picks the sizes (each >= 100), building 1M takes ~2 s)
//
// Each benchmark processes a batch of BATCH items per iteration; the table at
// the end turns mitata's time per iteration into items/s and MB/s. Groups
// are mitata summaries, so a regression shows as a changed ratio.

import { bench, do_not_optimize, group, run, summary } from "mitata";
import { decodeFrame } from "../../src/client/decode.ts";
import { Args } from "../../src/protocol/args.ts";
import { type DecodeLimits, PROTOCOL_ERROR } from "../../src/protocol/framing.ts";
import { OutBuf } from "../../src/protocol/outbuf.ts";
import {
  MODE_RESP2,
  MODE_V1,
  MODE_V1_TYPED,
  Reply,
  type ReplyMode,
} from "../../src/protocol/reply.ts";
import { decodeResp } from "../../src/protocol/resp.ts";
import { decodeV1, encodeV1Request } from "../../src/protocol/v1.ts";
import { Arena } from "../../src/store/arena.ts";
import { concatBytes } from "../../src/store/bytes.ts";
import { Table } from "../../src/store/table.ts";
import { zsetBenches } from "./zset.ts";

const BATCH = 1000;
const KEYS = 100_000;
const VALUE_BYTES = 32;
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;

/** Per benchmark: items and bytes handled per iteration (for the throughput table). */
const work = new Map<string, { items: number; bytes: number; unit: string }>();
function measured(name: string, items: number, bytes: number, unit: string, fn: () => unknown) {
  work.set(name, { items, bytes, unit });
  return bench(name, fn);
}

const te = new TextEncoder();
const keyStr = (i: number) => `key:${String(i).padStart(8, "0")}`;
const value = new Uint8Array(VALUE_BYTES).fill(0x78);

const concat = concatBytes;

// ---- decode ---------------------------------------------------------------------

const limits: DecodeLimits = {
  maxArgs: 1024,
  maxBulkLen: 512 * 1024 * 1024,
  maxInlineLen: 65536,
  unauthenticated: false,
};
const args = new Args();

const v1Set = concat(
  Array.from({ length: BATCH }, (_, i) => encodeV1Request(["SET", keyStr(i), value])),
);
const v1Get = concat(Array.from({ length: BATCH }, (_, i) => encodeV1Request(["GET", keyStr(i)])));

function respRequest(parts: (string | Uint8Array)[]): Uint8Array {
  const chunks: Uint8Array[] = [te.encode(`*${parts.length}\r\n`)];
  for (const p of parts) {
    const b = typeof p === "string" ? te.encode(p) : p;
    chunks.push(te.encode(`$${b.length}\r\n`), b, te.encode("\r\n"));
  }
  return concat(chunks);
}
const respSet = concat(
  Array.from({ length: BATCH }, (_, i) => respRequest(["SET", keyStr(i), value])),
);
const respGet = concat(Array.from({ length: BATCH }, (_, i) => respRequest(["GET", keyStr(i)])));
const respReady = decodeResp(respGet, 0, respGet.length, args, limits) !== PROTOCOL_ERROR;

function decodeAll(decode: typeof decodeV1, buf: Uint8Array): number {
  let pos = 0;
  let n = 0;
  while (pos < buf.length) {
    pos = decode(buf, pos, buf.length, args, limits);
    if (pos < 0) throw new Error("decode failed");
    n += args.count;
  }
  return n;
}

group("decode: 1000 pipelined requests", () => {
  summary(() => {
    measured("decode v1 SET k v(32B)", BATCH, v1Set.length, "req", () =>
      decodeAll(decodeV1, v1Set),
    );
    measured("decode v1 GET k", BATCH, v1Get.length, "req", () => decodeAll(decodeV1, v1Get));
    if (respReady) {
      measured("decode RESP SET k v(32B)", BATCH, respSet.length, "req", () =>
        decodeAll(decodeResp, respSet),
      );
      measured("decode RESP GET k", BATCH, respGet.length, "req", () =>
        decodeAll(decodeResp, respGet),
      );
    }
  });
});

// ---- store ----------------------------------------------------------------------

const table = new Table(new Arena());
const map = new Map<string, Uint8Array>();
const keyBytes: Uint8Array[] = [];
const keyStrings: string[] = [];
for (let i = 0; i < KEYS; i++) {
  const s = keyStr(i);
  keyStrings.push(s);
  keyBytes.push(te.encode(s));
  table.upsertString(keyBytes[i]!, 0, keyBytes[i]!.length, value, 0, value.length);
  map.set(s, value.slice());
}
// The batch visits keys in a scattered order so caches see a realistic spread.
const order = Array.from({ length: BATCH }, (_, i) => (i * 7919) % KEYS);
const latin1 = new TextDecoder("latin1");

group(`store: ${BATCH} ops on ${KEYS} keys, ${VALUE_BYTES}-byte values`, () => {
  summary(() => {
    measured("Table.find (get)", BATCH, 0, "op", () => {
      let s = 0;
      for (const i of order) {
        const k = keyBytes[i]!;
        s += table.find(k, 0, k.length);
      }
      return s;
    });
    measured("Map.get, key already a string", BATCH, 0, "op", () => {
      let s = 0;
      for (const i of order) s += map.get(keyStrings[i]!)!.length;
      return s;
    });
    measured("Map.get, key bytes -> string", BATCH, 0, "op", () => {
      let s = 0;
      for (const i of order) s += map.get(latin1.decode(keyBytes[i]!))!.length;
      return s;
    });
  });
  summary(() => {
    measured("Table.upsertString (set)", BATCH, 0, "op", () => {
      for (const i of order) {
        const k = keyBytes[i]!;
        table.upsertString(k, 0, k.length, value, 0, value.length);
      }
    });
    measured("Map.set, copy of value", BATCH, 0, "op", () => {
      for (const i of order) map.set(keyStrings[i]!, value.slice());
    });
    measured("Map.set, key bytes -> string + copy", BATCH, 0, "op", () => {
      for (const i of order) map.set(latin1.decode(keyBytes[i]!), value.slice());
    });
  });
});

// ---- arena ----------------------------------------------------------------------

const arena = new Arena();
const sizes = Array.from({ length: BATCH }, (_, i) => 16 + ((i * 37) % 1000));
const addrs = new Float64Array(BATCH);
group("arena", () => {
  measured(`alloc+free ${BATCH} blocks of 16..1015 bytes`, BATCH, 0, "alloc+free", () => {
    for (let i = 0; i < BATCH; i++) addrs[i] = arena.alloc(sizes[i]!);
    for (let i = 0; i < BATCH; i++) arena.free(addrs[i]!, arena.capacityFor(sizes[i]!));
  });
});

// ---- reply encoding -------------------------------------------------------------

function replyBench(mode: ReplyMode, label: string) {
  const out = new OutBuf();
  const r = new Reply(out);
  r.mode = mode;
  const fill = (write: () => void) => () => {
    out.start = 0;
    out.end = 0;
    for (let i = 0; i < BATCH; i++) write();
    return out.end;
  };
  const probe = (write: () => void) => fill(write)();
  const bulk = () => r.bulk(value, 0, value.length);
  const int = () => r.int(123456);
  const array = () => {
    r.array(10);
    for (let k = 0; k < 10; k++) r.bulk(value, 0, 8);
  };
  measured(`${label} bulk 32B`, BATCH, probe(bulk), "reply", fill(bulk));
  measured(`${label} int`, BATCH, probe(int), "reply", fill(int));
  measured(`${label} array of 10 x 8B`, BATCH, probe(array), "reply", fill(array));
}

group(`reply encoding: ${BATCH} replies`, () => {
  summary(() => {
    replyBench(MODE_RESP2, "RESP2");
    replyBench(MODE_V1, "V1");
    replyBench(MODE_V1_TYPED, "V1 typed");
  });
});

// ---- client-side reply decoding --------------------------------------------------

function replies(mode: ReplyMode, write: (r: Reply) => void): Uint8Array {
  const out = new OutBuf();
  const r = new Reply(out);
  r.mode = mode;
  for (let i = 0; i < BATCH; i++) write(r);
  return out.buf.slice(0, out.end);
}
const bulkReplies = replies(MODE_V1, (r) => r.bulk(value, 0, value.length));
const arrayReplies = replies(MODE_V1_TYPED, (r) => {
  r.array(10);
  for (let k = 0; k < 10; k++) r.int(k);
});
function decodeReplies(buf: Uint8Array): number {
  let pos = 0;
  let n = 0;
  const dv = new DataView(buf.buffer, buf.byteOffset);
  while (pos < buf.length) {
    do_not_optimize(decodeFrame(buf, pos));
    pos += 4 + dv.getUint32(pos);
    n++;
  }
  return n;
}
group("client: decode 1000 replies", () => {
  summary(() => {
    measured("client decode bulk 32B", BATCH, bulkReplies.length, "reply", () =>
      decodeReplies(bulkReplies),
    );
    measured("client decode typed array of 10 ints", BATCH, arrayReplies.length, "reply", () =>
      decodeReplies(arrayReplies),
    );
  });
});

// ---- sorted sets (bench/micro/zset.ts) --------------------------------------------

const zsetSizes = process.env.BENCH_ZSET_SIZES?.split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 100);
const zsetMemory = zsetBenches(zsetSizes);

// ---- run and summarise ----------------------------------------------------------

const result = await run({ filter, colors: process.stdout.isTTY === true });

const rows: string[][] = [["benchmark", "per item", "items/s", "MB/s"]];
for (const trial of result.benchmarks) {
  for (const r of trial.runs) {
    const w = work.get(r.name);
    if (!w || !r.stats) continue;
    const perItemNs = r.stats.avg / w.items;
    const perSec = 1e9 / perItemNs;
    const mbs = w.bytes > 0 ? ((w.bytes / r.stats.avg) * 1e9) / 1e6 : 0;
    rows.push([
      r.name,
      `${perItemNs.toFixed(1)} ns`,
      `${(perSec / 1e6).toFixed(2)} M ${w.unit}/s`,
      mbs > 0 ? mbs.toFixed(0) : "",
    ]);
  }
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log("\nThroughput (avg time per iteration / items per iteration)\n");
for (const r of rows)
  console.log(
    r.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join("  "),
  );
console.log("\nSorted set memory (memoryBytes() / members, 16-byte members):");
for (const row of zsetMemory) console.log(`  ${row}`);
if (!respReady)
  console.log("\n(RESP decoder not available yet: src/protocol/resp.ts is a placeholder)");
