// A server whose Lua VM cannot be created: the failure is logged (also when it was started in
// the background by an RDB load holding function libraries), the held libraries are kept for
// the next save, and script commands stop waiting for the VM.
import { expect, test } from "bun:test";
import { type ScriptDispatch, ScriptRunner } from "../../src/scripting/runner.ts";

function runnerWithBrokenVm(): { runner: ScriptRunner; log: string[] } {
  const log: string[] = [];
  const dispatch = {
    logLine: (level: string, msg: string) => log.push(`${level}: ${msg}`),
  } as unknown as ScriptDispatch;
  const runner = new ScriptRunner(dispatch, () => Promise.reject(new Error("no wasm today")));
  return { runner, log };
}

test("libraries from an RDB file start the VM in the background; its failure is logged", async () => {
  const { runner, log } = runnerWithBrokenVm();
  const code = new TextEncoder().encode(
    "#!lua name=lib\nredis.register_function('f', function() return 1 end)",
  );
  expect(runner.replaceLibraries([code])).toEqual([]);
  await Bun.sleep(0);
  await Bun.sleep(0);
  expect(log).toEqual(["warning: Failed loading the Lua engine: no wasm today"]);
  expect(runner.loadFailed).toBe(true);
  // Held, not lost: a save after this still writes them.
  expect(runner.libraryCodes()).toEqual([code]);
  // A script command no longer waits for a VM that cannot come.
  let held = 0;
  const client = { holdForScript: () => held++, releaseFromScript: () => held-- };
  expect(runner.whenLoaded(client)).toBe(false);
  expect(held).toBe(0);
});

test("a script command waiting for the VM is released and the failure logged", async () => {
  const { runner, log } = runnerWithBrokenVm();
  let held = 0;
  const client = { holdForScript: () => held++, releaseFromScript: () => held-- };
  expect(runner.whenLoaded(client)).toBe(true);
  expect(held).toBe(1);
  await Bun.sleep(0);
  await Bun.sleep(0);
  expect(held).toBe(0);
  expect(log).toEqual(["warning: Failed loading the Lua engine: no wasm today"]);
});
