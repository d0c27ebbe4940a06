// Per-command server CPU of the redis-benchmark default tests, in process: pre-encoded RESP
// chunks exactly like redis-benchmark's (same commands and keys, each __rand_int__ an
// independent zero-padded 12-digit number below -r 100000, values of `x` * d, P requests per
// chunk) fed to one Client of a real Server through a fake socket (as bench/observe-overhead.ts).
// Each test runs on a fresh server, after the redis-benchmark tests that fill its keys (LPOP
// after LPUSH, SPOP after SADD, ...) and an unmeasured warm-up of the test itself.
//
//   bun bench/command-cpu.ts [--only INCR,SET] [--d 3,1024] [--p 1,16] [--r 100000] [--rounds 3] [--root DIR]
//   bun bench/command-cpu.ts --callgrind [--only ...] [--d ...] [--p ...] [--n 2000] [--root DIR]
//
// Default mode: thread CPU (process.threadCpuUsage) per command, min over `--rounds` timed
// passes of `--n` chunks (default 4000 at P16, 20000 at P1), and the longest single chunk
// (wall time) of one more pass.
// --callgrind: instructions per command from valgrind --tool=callgrind (repeatable on a busy
// machine): the process runs twice, with n and 2n measured chunks after the same fill and
// warm-up, and the difference of the two totals is divided by n * P. Slow (~4 min per cell)
// and NOT yet trustworthy: at n = 500 the difference is dominated by JSC's own work (JIT
// tier-up, GC) under valgrind (docs/BENCHMARKS.md, "Per-command CPU").
// --root DIR: the imds checkout to load (another worktree or a `git archive` of an older
// commit with node_modules linked), to compare before/after in one run.
// --ab DIR: before/after interleaved in ONE process: a server of --root (A) and one of DIR (B),
// both prepared alike, then `--rounds` (default 3; use ~20) blocks of --n chunks fed to A and
// B in turn (which goes first alternates); prints each side's min and median ns per command
// and the median of the per-round B/A ratios. Neighbouring blocks share the machine's state,
// so on a busy machine this is far steadier than separate runs.

import { resolve } from "node:path";

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : process.argv[i + 1]!;
}
const ROOT = resolve(opt("--root", resolve(import.meta.dir, "..")));
const ONLY = opt("--only", "")
  .split(",")
  .filter((s) => s !== "")
  .map((s) => s.toUpperCase());
const SIZES = opt("--d", "3,1024").split(",").map(Number);
const PIPES = opt("--p", "1,16").split(",").map(Number);
const ROUNDS = Number(opt("--rounds", "3"));
const CALLGRIND = process.argv.includes("--callgrind");
const AB = process.argv.includes("--ab") ? resolve(opt("--ab", "")) : "";
// Internal: one measured pass of `--child-n` chunks, no timing (run under valgrind).
const CHILD_N = Number(opt("--child-n", "-1"));

/** -r of redis-benchmark: keys, fields and members drawn from [0, RANGE). */
const RANGE = Number(opt("--r", "100000"));

/** redis-benchmark's commands, each __rand_int__ replaced by its own random number. */
const TESTS: Record<string, (v: string) => string[]> = {
  PING_INLINE: () => ["PING"], // sent inline
  PING_MBULK: () => ["PING"],
  SET: (v) => ["SET", "key:__rand_int__", v],
  GET: () => ["GET", "key:__rand_int__"],
  INCR: () => ["INCR", "counter:__rand_int__"],
  LPUSH: (v) => ["LPUSH", "mylist", v],
  RPUSH: (v) => ["RPUSH", "mylist", v],
  LPOP: () => ["LPOP", "mylist"],
  RPOP: () => ["RPOP", "mylist"],
  SADD: () => ["SADD", "myset", "element:__rand_int__"],
  HSET: (v) => ["HSET", "myhash", "element:__rand_int__", v],
  SPOP: () => ["SPOP", "myset"],
  ZADD: () => ["ZADD", "myzset", "__rand_int__", "element:__rand_int__"],
  ZPOPMIN: () => ["ZPOPMIN", "myzset"],
  MSET: (v) => {
    const a = ["MSET"];
    for (let i = 0; i < 10; i++) a.push("key:__rand_int__", v);
    return a;
  },
};
/** What redis-benchmark has run before a test (in its default order) that the test reads. */
const FILL: Record<string, string[]> = {
  GET: ["SET"],
  LPOP: ["LPUSH", "RPUSH"],
  RPOP: ["LPUSH", "RPUSH"],
  SPOP: ["SADD"],
  ZPOPMIN: ["ZADD"],
};

/** Deterministic random numbers (xorshift32), so both runs of a callgrind pair match. */
let seed = 0x9e3779b9;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % RANGE;
}

function encodeOne(test: string, d: number): string {
  const argv = TESTS[test]!("x".repeat(d)).map((s) =>
    s.replaceAll("__rand_int__", () => String(rand()).padStart(12, "0")),
  );
  if (test === "PING_INLINE") return "PING\r\n";
  let s = `*${argv.length}\r\n`;
  for (const x of argv) s += `$${x.length}\r\n${x}\r\n`;
  return s;
}

const enc = new TextEncoder();
/** `count` distinct chunks of `p` requests each. */
function chunks(test: string, d: number, p: number, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let s = "";
    for (let j = 0; j < p; j++) s += encodeOne(test, d);
    out.push(enc.encode(s));
  }
  return out;
}

interface Rig {
  feed(c: Uint8Array): void;
  stop(): void;
}

async function rig(root = ROOT): Promise<Rig> {
  const { Config } = await import(`${root}/src/config.ts`);
  const { Client } = await import(`${root}/src/server/client.ts`);
  const { Server } = await import(`${root}/src/server/server.ts`);
  const server = new Server(new Config());
  const socket = {
    data: { client: null },
    remoteAddress: "127.0.0.1",
    remotePort: 1,
    localAddress: "127.0.0.1",
    localPort: 2,
    write: (_b: Uint8Array, off = 0, len = _b.length - off) => len,
    pause() {},
    resume() {},
    end() {},
  };
  const c = new Client(1, server, socket as never);
  server.clients.set(1, c);
  return { feed: (b) => c.onData(b), stop: () => server.stop() };
}

/** Fill (what redis-benchmark ran before), then warm up the test itself. */
function prepare(r: Rig, test: string, d: number, p: number): void {
  fill(r, test, d);
  for (const b of chunks(test, d, p, Math.ceil(20_000 / p))) r.feed(b);
}

/** 200k of each filling test (as bench:redis's P16 runs): the pops never run dry. */
function fill(r: Rig, test: string, d: number): void {
  for (const f of FILL[test] ?? []) for (const b of chunks(f, d, 16, 12_500)) r.feed(b);
}

function cpuNs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) * 1000;
}

const CHUNK_POOL = 512;

/** The longest single chunk of the last timed() (wall ms): pauses inside a command. */
let worstMs = 0;

async function timed(test: string, d: number, p: number): Promise<number> {
  const n = Number(opt("--n", String(p === 1 ? 20_000 : 4000)));
  const r = await rig();
  prepare(r, test, d, p);
  const pool = chunks(test, d, p, Math.min(CHUNK_POOL, n));
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) fill(r, test, d);
    const t0 = cpuNs();
    for (let i = 0; i < n; i++) r.feed(pool[i % pool.length]!);
    best = Math.min(best, (cpuNs() - t0) / (n * p));
  }
  // An untimed pass for the longest chunk (a clock read per chunk would count above).
  if (FILL[test] !== undefined) fill(r, test, d);
  worstMs = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    r.feed(pool[i % pool.length]!);
    worstMs = Math.max(worstMs, performance.now() - t);
  }
  r.stop();
  return best;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** --ab: A (ROOT) and B (AB) in one process, blocks alternated. */
async function interleaved(test: string, d: number, p: number): Promise<string> {
  const n = Number(opt("--n", String(p === 1 ? 20_000 : 4000)));
  const a = await rig(ROOT);
  const b = await rig(AB);
  prepare(a, test, d, p);
  prepare(b, test, d, p);
  const pool = chunks(test, d, p, Math.min(CHUNK_POOL, n));
  const ta: number[] = [];
  const tb: number[] = [];
  const ratio: number[] = [];
  const block = (r: Rig): number => {
    const t0 = cpuNs();
    for (let i = 0; i < n; i++) r.feed(pool[i % pool.length]!);
    return (cpuNs() - t0) / (n * p);
  };
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) {
      fill(a, test, d);
      fill(b, test, d);
    }
    let x: number;
    let y: number;
    if (round % 2 === 0) {
      x = block(a);
      y = block(b);
    } else {
      y = block(b);
      x = block(a);
    }
    ta.push(x);
    tb.push(y);
    ratio.push(y / x);
  }
  a.stop();
  b.stop();
  const f = (v: number) => v.toFixed(0).padStart(6);
  return `A min ${f(Math.min(...ta))} med ${f(median(ta))} | B min ${f(Math.min(...tb))} med ${f(median(tb))} ns | B/A median ${median(ratio).toFixed(3)}`;
}

async function child(test: string, d: number, p: number): Promise<void> {
  const r = await rig();
  prepare(r, test, d, p);
  const pool = chunks(test, d, p, CHUNK_POOL);
  for (let i = 0; i < CHILD_N; i++) r.feed(pool[i % pool.length]!);
  r.stop();
  process.exit(0);
}

function callgrindTotal(test: string, d: number, p: number, n: number): number {
  const out = `/tmp/command-cpu-${process.pid}-${test}-${d}-${p}-${n}.callgrind`;
  const r = Bun.spawnSync(
    [
      "valgrind",
      "--tool=callgrind",
      `--callgrind-out-file=${out}`,
      process.execPath,
      import.meta.path,
      "--root",
      ROOT,
      "--only",
      test,
      "--d",
      String(d),
      "--p",
      String(p),
      "--child-n",
      String(n),
    ],
    { stdout: "pipe", stderr: "pipe", timeout: 600_000 },
  );
  const m = /Collected : (\d+)/.exec(r.stderr.toString());
  if (m === null) throw new Error(`callgrind failed: ${r.stderr.toString().slice(-2000)}`);
  Bun.spawnSync(["rm", "-f", out]);
  return Number(m[1]);
}

const tests = ONLY.length > 0 ? ONLY : Object.keys(TESTS);
if (CHILD_N >= 0) {
  await child(tests[0]!, SIZES[0]!, PIPES[0]!);
} else {
  if (AB !== "") console.log(`A: ${ROOT}\nB: ${AB}\n${ROUNDS} interleaved rounds`);
  else
    console.log(
      `imds root: ${ROOT}; ${CALLGRIND ? "callgrind instructions" : `thread CPU ns (min of ${ROUNDS})`} per command`,
    );
  for (const d of SIZES) {
    for (const p of PIPES) {
      for (const test of tests) {
        if (d !== SIZES[0] && !/SET|PUSH|HSET|MSET/.test(test)) continue; // d only matters there
        const name = `${test} d${d} P${p}`.padEnd(22);
        if (AB !== "") {
          console.log(`${name} ${await interleaved(test, d, p)}`);
        } else if (CALLGRIND) {
          const n = Number(opt("--n", String(p === 1 ? 8000 : 1000)));
          const a = callgrindTotal(test, d, p, n);
          const b = callgrindTotal(test, d, p, 2 * n);
          console.log(`${name} ${((b - a) / (n * p)).toFixed(0).padStart(7)} instructions`);
        } else {
          const ns = await timed(test, d, p);
          console.log(
            `${name} ${ns.toFixed(0).padStart(7)} ns  longest chunk ${worstMs.toFixed(1)} ms`,
          );
        }
      }
    }
  }
}
