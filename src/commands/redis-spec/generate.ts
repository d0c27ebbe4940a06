// Regenerates commands.json and docs.json from a running redis-server 7.0: every command's
// COMMAND INFO (arity, flags, key positions, ACL categories, tips, key specs) and, in docs.json,
// its COMMAND DOCS (summary, since, group, complexity, history, arguments), as Redis itself
// generates commands.def from its src/commands/*.json. imds's command specs are these records
// plus a handler (src/commands/table.ts); the COMMAND test compares the served answers with
// redis-server.
//
//   redis-server --port 7777 --save "" &
//   bun src/commands/redis-spec/generate.ts 7777 && bunx biome format --write src/commands/redis-spec

import { parseReply, type RespValue } from "../../../test/helpers/resp.ts";

const port = Number(process.argv[2] ?? 6379);

async function call(args: string[]): Promise<RespValue> {
  const { promise, resolve, reject } = Promise.withResolvers<RespValue>();
  let buf = new Uint8Array(0);
  const hello = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n";
  let req = `*${args.length}\r\n`;
  for (const a of args) req += `$${a.length}\r\n${a}\r\n`;
  let got = 0;
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(s, chunk) {
        const m = new Uint8Array(buf.length + chunk.length);
        m.set(buf);
        m.set(chunk, buf.length);
        buf = m;
        for (;;) {
          const r = parseReply(buf, 0);
          if (r === null) return;
          buf = buf.slice(r[1]);
          if (++got === 2) {
            s.end();
            resolve(r[0]);
            return;
          }
        }
      },
      error(_s, e) {
        reject(e);
      },
    },
  });
  sock.write(hello + req);
  return promise;
}

type Obj = Record<string, unknown>;

/** RESP3 maps become plain objects (keys in Redis's order). */
function plain(v: RespValue): unknown {
  if (v instanceof Map) {
    const o: Obj = {};
    for (const [k, val] of v) o[String(k)] = plain(val);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "bigint") return Number(v);
  return v;
}

/** One COMMAND INFO entry: [name, arity, flags, first, last, step, acl, tips, keyspecs, subs]. */
function info(e: unknown[]): Obj {
  const [name, arity, flags, first, last, step, acl, tips, keySpecs, subs] = e as [
    string,
    number,
    string[],
    number,
    number,
    number,
    string[],
    string[],
    Obj[],
    unknown[][],
  ];
  const out: Obj = {
    name,
    arity,
    flags,
    firstKey: first,
    lastKey: last,
    step,
    acl,
    tips,
    keySpecs,
  };
  if (subs.length > 0) out.subcommands = subs.map(info);
  return out;
}

const infos = plain(await call(["COMMAND", "INFO"])) as unknown[][];
const docs = plain(await call(["COMMAND", "DOCS"])) as Record<string, Obj>;
const all: Record<string, Obj> = {};
// COMMAND DOCS records by full name ("get", "client|list"): a file of their own, read only when
// COMMAND DOCS is first asked (table.ts), as they are most of the bytes.
const docsByName: Record<string, Obj | null> = {};
for (const e of infos) {
  const rec = info(e);
  const name = rec.name as string;
  const d = docs[name];
  docsByName[name] = d === undefined ? null : stripSubDocs(d);
  for (const sub of (rec.subcommands ?? []) as Obj[]) {
    const sd = (d?.subcommands as Record<string, Obj> | undefined)?.[sub.name as string];
    docsByName[sub.name as string] = sd === undefined ? null : stripSubDocs(sd);
  }
  all[name] = rec;
}

function stripSubDocs(d: Obj): Obj {
  const { subcommands: _, ...rest } = d;
  return rest;
}

// One command per line: small diffs when Redis changes (biome then formats the files).
function jsonByName(o: Record<string, unknown>): string {
  const lines = Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`);
  return `{\n${lines.join(",\n")}\n}\n`;
}
await Bun.write(new URL("./commands.json", import.meta.url), jsonByName(all));
await Bun.write(new URL("./docs.json", import.meta.url), jsonByName(docsByName));
