// The floor of a Bun.listen server: what a request costs in Bun's socket layer alone, with no
// decoding, no commands and no reply encoding. It answers every RESP request with "+OK\r\n"
// (one reply per '*' when the chunk starts with '*', else one per LF: redis-benchmark's
// -t ping_inline, ping_mbulk, set and get payloads contain neither inside an argument), so
// redis-benchmark can drive it like a server. Not a data store: for bench/cpu-per-request.ts
// (--floor) only, to compare imds's CPU per request with Bun's own minimum.
//
//   bun bench/bun-floor.ts [--port N] [--mode reuse|const|fresh|tick]
//
//   reuse  (default) replies copied into one reused buffer, written with write(buf, 0, n)
//   const  write(constant reply) when the chunk holds one request, else a reused buffer
//   fresh  a new Uint8Array per write (what a naive server does)
//   tick   replies queued per socket, all sockets written once at the end of the tick
//          (queueMicrotask): the "cork every client until the loop turn ends" idea

const argv = process.argv;
const at = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? def : argv[i + 1]!;
};
const port = Number(at("--port", "0"));
const mode = at("--mode", process.env.FLOOR_MODE ?? "reuse");

const OK = new TextEncoder().encode("+OK\r\n");
const out = new Uint8Array(1 << 20);
for (let i = 0; i + 5 <= out.length; i += 5) out.set(OK, i);

function count(chunk: Uint8Array): number {
  const mark = chunk[0] === 42 ? 42 : 10;
  let n = 0;
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === mark) n++;
  return n;
}

interface Data {
  queued: number;
}
const pending: import("bun").Socket<Data>[] = [];
let scheduled = false;
function flushAll(): void {
  scheduled = false;
  for (const s of pending) {
    s.write(out, 0, s.data.queued * 5);
    s.data.queued = 0;
  }
  pending.length = 0;
}

const l = Bun.listen<Data>({
  hostname: "127.0.0.1",
  port,
  data: { queued: 0 },
  socket: {
    open(s) {
      s.data = { queued: 0 };
    },
    data(s, chunk) {
      const n = count(chunk);
      if (mode === "tick") {
        if (s.data.queued === 0) pending.push(s);
        s.data.queued += n;
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flushAll);
        }
      } else if (mode === "const" && n === 1) s.write(OK);
      else if (mode === "fresh") s.write(out.slice(0, n * 5));
      else s.write(out, 0, n * 5);
    },
  },
});
console.log(`imds listening on 127.0.0.1:${l.port}`);
