// The cost of SLOWLOG/LATENCY timing on the hot path (docs/COMMANDS.md, "Timing rule"):
// server CPU per command for 16-command RESP chunks (as redis-benchmark -P 16 sends them), fed
// to one in-process Client, under several configs, in alternating rounds (thread CPU time, so
// other processes on the loaded machine count less than in wall time).
//
//   bun bench/observe-overhead.ts [imdsRoot] [rounds]
//
// imdsRoot: another checkout (e.g. the commit before the timing rule) to measure "before";
// configs that the other tree lacks are skipped there.

import { resolve } from "node:path";

const root = resolve(process.argv[2] ?? resolve(import.meta.dir, ".."));
const rounds = Number(process.argv[3] ?? 5);

const CONFIGS: Record<string, Record<string, string>> = {
  default: {},
  "slowlog off, tracking off": { "slowlog-log-slower-than": "-1", "latency-tracking": "no" },
  "slowlog 0 (all logged)": { "slowlog-log-slower-than": "0" },
};

async function measure(cmd: "get" | "set", conf: Record<string, string>): Promise<number> {
  const { Config, findOption } = await import(`${root}/src/config.ts`);
  const { Client } = await import(`${root}/src/server/client.ts`);
  const { Server } = await import(`${root}/src/server/server.ts`);
  const config = new Config();
  for (const [k, v] of Object.entries(conf)) {
    if (findOption(k) === undefined) return Number.NaN;
    config.set(k, v, true);
  }
  const server = new Server(config);
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
  const enc = new TextEncoder();
  const set = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\nabc\r\n";
  const one = cmd === "get" ? "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n" : set;
  const chunk = enc.encode(one.repeat(16));
  c.onData(enc.encode(set));
  const cpu = () => {
    const u = process.threadCpuUsage();
    return (u.user + u.system) * 1000;
  };
  const N = 20000;
  for (let i = 0; i < N; i++) c.onData(chunk); // warm-up
  const best: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = cpu();
    for (let i = 0; i < N; i++) c.onData(chunk);
    best.push((cpu() - t0) / (N * 16));
  }
  server.stop();
  return Math.min(...best);
}

console.log(`imds root: ${root}; ${rounds} rounds; ns of server CPU per command (min of 5 x 320k)`);
const results = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const cmd of ["get", "set"] as const) {
    for (const [name, conf] of Object.entries(CONFIGS)) {
      const key = `${cmd.toUpperCase()} ${name}`;
      const ns = await measure(cmd, conf);
      results.set(key, [...(results.get(key) ?? []), ns]);
    }
  }
}
for (const [key, v] of results) {
  const s = [...v].sort((a, b) => a - b);
  console.log(
    `${key.padEnd(40)} median ${s[s.length >> 1]!.toFixed(1)} ns  min ${s[0]!.toFixed(1)} ns`,
  );
}
