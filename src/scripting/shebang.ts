// The parts of scripting the command layer needs before (or without) the Lua VM: the error
// type script commands answer with and the shebang parsers. engine.ts (wasmoon, ~10 MB once
// created) is imported only when the first script command runs (runner.ts), so nothing here may
// import it.

const dec = new TextDecoder();

export const SCRIPT_FLAGS = [
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
] as const;
export type ScriptFlag = (typeof SCRIPT_FLAGS)[number];

export class ScriptError extends Error {}

/** "#!lua flags=a,b" on the first line of an EVAL script. The line is blanked (not removed) so
 * error line numbers stay those of the script. */
export function parseEvalShebang(body: Uint8Array): {
  flags: ScriptFlag[];
  shebang: boolean;
  code: Uint8Array;
} {
  if (body[0] !== 0x23 || body[1] !== 0x21) return { flags: [], shebang: false, code: body };
  const nl = body.indexOf(10);
  if (nl < 0) throw new ScriptError("ERR Invalid script shebang");
  const line = dec.decode(body.subarray(2, nl));
  const parts = line.split(" ").filter((p) => p !== "");
  if (parts[0] !== "lua")
    throw new ScriptError(`ERR Unexpected engine in script shebang: #!${parts[0] ?? ""}`);
  const flags: ScriptFlag[] = [];
  for (const p of parts.slice(1)) {
    if (!p.startsWith("flags=")) throw new ScriptError(`ERR Unknown lua shebang option: ${p}`);
    for (const f of p.slice(6).split(",")) {
      if (f === "") continue;
      if (!(SCRIPT_FLAGS as readonly string[]).includes(f))
        throw new ScriptError(`ERR Unexpected flag in script shebang: ${f}`);
      flags.push(f as ScriptFlag);
    }
  }
  const code = new Uint8Array(body.length - nl);
  code.set(body.subarray(nl));
  return { flags, shebang: true, code };
}

/** "#!lua name=<lib>" heading a FUNCTION LOAD payload. */
export function parseLibraryShebang(code: Uint8Array): { name: string; body: Uint8Array } {
  if (code[0] !== 0x23 || code[1] !== 0x21) throw new ScriptError("ERR Missing library metadata");
  let nl = code.indexOf(10);
  if (nl < 0) nl = code.length;
  const parts = dec
    .decode(code.subarray(2, nl))
    .split(" ")
    .filter((p) => p !== "");
  if (parts[0] !== "lua") throw new ScriptError(`ERR Engine '${parts[0] ?? ""}' not found`);
  let name: string | null = null;
  for (const p of parts.slice(1)) {
    if (p.startsWith("name=")) name = p.slice(5);
    else throw new ScriptError(`ERR Invalid metadata value given: ${p}`);
  }
  if (!name) throw new ScriptError("ERR Library name was not given");
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new ScriptError(
      "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    );
  const body = new Uint8Array(code.length - nl);
  body.set(code.subarray(nl));
  return { name, body };
}
