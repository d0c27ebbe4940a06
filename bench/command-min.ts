// One command's in-process cost on a busy machine: the minimum, over many short batches, of the
// wall time per command (a batch of ~1000 commands takes ~0.3 ms, so most batches run without
// being preempted; the minimum is what the code costs, not what the neighbours cost). Same rig
// as bench/command-cpu.ts: pre-encoded RESP chunks of P16 requests fed to one Client of a real
// Server through a fake socket; every key exists before the timed passes (INCR counters and
// SET/GET keys are filled first), so the figure is the overwrite/read path, not key creation.
// process.threadCpuUsage() ticks in 4 ms steps here, too coarse for batches this short.
//
//   bun bench/command-min.ts [--root DIR] [--tests INCR,SET,GET,INCRBY] [--r 100] [--batches 3000]
//                            [--per 40] [--alternate DIR2] [--reps 3]
//
// --r: keys drawn from [0, r) (100: hot keys, the code's cost; 100000: redis-benchmark's -r,
// cache misses included). --alternate DIR2 runs DIR2's checkout too, alternated with --root's,
// each a fresh process per run, --reps times, and prints the minimum and all runs of each.

import { resolve } from "node:path";

function opt(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i < 0 ? def : process.argv[i + 1]!;
}
const ROOT = resolve(opt("--root", resolve(import.meta.dir, "..")));
const TESTS_ARG = opt("--tests", "INCR,SET");
const RANGE = Number(opt("--r", "100"));
const BATCHES = Number(opt("--batches", "3000"));
const PER = Number(opt("--per", "40"));
const OTHER = opt("--alternate", "");
const REPS = Number(opt("--reps", "3"));
const CHILD = opt("--child", "");
const P = 16;

const key = (prefix: string, i: number) => `${prefix}:${String(i).padStart(12, "0")}`;
const REQUESTS: Record<string, (i: number) => string[]> = {
  INCR: (i) => ["INCR", key("counter", i)],
  INCRBY: (i) => ["INCRBY", key("counter", i), "7"],
  SET: (i) => ["SET", key("key", i), "xxx"],
  GET: (i) => ["GET", key("key", i)],
};
/** What fills a test's keys before it is timed. */
const FILL: Record<string, (i: number) => string[]> = {
  INCR: (i) => ["SET", key("counter", i), "1"],
  INCRBY: (i) => ["SET", key("counter", i), "1"],
  SET: (i) => ["SET", key("key", i), "xxx"],
  GET: (i) => ["SET", key("key", i), "xxx"],
};

const enc = new TextEncoder();
function encode(cmds: string[][]): Uint8Array {
  let s = "";
  for (const a of cmds) {
    s += `*${a.length}\r\n`;
    for (const x of a) s += `$${x.length}\r\n${x}\r\n`;
  }
  return enc.encode(s);
}

async function measure(root: string, test: string): Promise<number> {
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
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % RANGE;
  };
  for (let i = 0; i < RANGE; i += P) {
    const n = Math.min(P, RANGE - i);
    c.onData(encode(Array.from({ length: n }, (_, j) => FILL[test]!(i + j))));
  }
  const pool: Uint8Array[] = [];
  for (let i = 0; i < 1024; i++) {
    pool.push(encode(Array.from({ length: P }, () => REQUESTS[test]!(rand()))));
  }
  for (let i = 0; i < 40 * PER; i++) c.onData(pool[i & 1023]!); // warm-up (JIT tiers)
  let best = Number.POSITIVE_INFINITY;
  let k = 0;
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < PER; i++) c.onData(pool[k++ & 1023]!);
    best = Math.min(best, performance.now() - t0);
  }
  server.stop();
  return (best * 1e6) / (PER * P);
}

if (CHILD !== "") {
  console.log((await measure(ROOT, CHILD)).toFixed(1));
  process.exit(0);
}

const roots = OTHER === "" ? [ROOT] : [ROOT, resolve(OTHER)];
const runs = new Map<string, number[]>();
for (let rep = 0; rep < REPS; rep++) {
  for (const test of TESTS_ARG.split(",")) {
    for (const root of roots) {
      // a fresh process per run: one tree's JIT state never leaks into the other's
      const p = Bun.spawnSync(
        [
          process.execPath,
          import.meta.path,
          ...["--r", String(RANGE), "--batches", String(BATCHES), "--per", String(PER)],
          ...["--root", root, "--child", test],
        ],
        { stdout: "pipe", stderr: "inherit" },
      );
      const name = `${test} r${RANGE} ${root}`;
      runs.set(name, [...(runs.get(name) ?? []), Number(p.stdout.toString().trim())]);
    }
  }
}
console.log(`min over ${BATCHES} batches of ${PER * P} commands, ns/command; runs alternated`);
for (const [name, xs] of runs) {
  console.log(`${name.padEnd(60)} min ${Math.min(...xs).toFixed(1)}   runs ${xs.join(" ")}`);
}
