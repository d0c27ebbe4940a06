// A small ScriptHost for unit tests: SET/GET/INCR/DEL/EXISTS/PING over a Map, with Redis's replies
// and error texts for those commands (enough for the differential corpus).
import type { ReplyValue, ScriptHost } from "../../src/scripting/values.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

export class MapHost implements ScriptHost {
  readonly data = new Map<string, Uint8Array>();
  readonly calls: string[][] = [];
  readonly logs: [number, string][] = [];
  call(argv: Uint8Array[]): ReplyValue {
    const a = argv.map((x) => dec.decode(x));
    this.calls.push(a);
    const name = a[0]!.toLowerCase();
    const arity: Record<string, number> = {
      set: 3,
      get: 2,
      incr: 2,
      del: -2,
      exists: -2,
      ping: -1,
    };
    const n = arity[name];
    if (n === undefined)
      return { type: "error", value: "ERR Unknown Redis command called from script" };
    if ((n > 0 && a.length !== n) || (n < 0 && a.length < -n))
      return { type: "error", value: "ERR Wrong number of args calling Redis command from script" };
    switch (name) {
      case "ping":
        if (a.length > 2)
          return { type: "error", value: "ERR wrong number of arguments for 'ping' command" };
        return a.length === 2
          ? { type: "bulk", value: argv[1]! }
          : { type: "status", value: "PONG" };
      case "set":
        this.data.set(a[1]!, argv[2]!);
        return { type: "status", value: "OK" };
      case "get": {
        const v = this.data.get(a[1]!);
        return v ? { type: "bulk", value: v } : { type: "null" };
      }
      case "incr": {
        const cur = this.data.get(a[1]!);
        const s = cur ? dec.decode(cur) : "0";
        if (!/^-?\d+$/.test(s))
          return { type: "error", value: "ERR value is not an integer or out of range" };
        const v = Number(s) + 1;
        this.data.set(a[1]!, enc.encode(String(v)));
        return { type: "int", value: v };
      }
      default: {
        let c = 0;
        for (const k of a.slice(1))
          if (name === "del" ? this.data.delete(k) : this.data.has(k)) c++;
        return { type: "int", value: c };
      }
    }
  }
  log(level: number, message: string): void {
    this.logs.push([level, message]);
  }
}

/** ReplyValue -> plain JSON-able shape (bulk/status as text, errors as {err}). */
export function plain(v: ReplyValue): unknown {
  switch (v.type) {
    case "bulk":
      return dec.decode(v.value);
    case "status":
      return v.value;
    case "error":
      return { err: v.value };
    case "int":
      return typeof v.value === "bigint" ? String(v.value) : v.value;
    case "null":
      return null;
    case "array":
    case "set":
      return v.value.map(plain);
    case "map":
      return v.value.map(([k, x]) => [plain(k), plain(x)]);
    case "double":
      return { double: v.value };
    case "bool":
      return v.value;
    case "bignum":
      return { bignum: v.value };
  }
}
