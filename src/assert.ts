// Invariants versus errors. An error reply is for what a client did wrong: the server answers
// and carries on. A broken invariant (a corrupt index, an impossible state) means the data can
// no longer be trusted: like Redis's serverAssert, assert() logs what broke, with the stack, and
// stops the process rather than go on serving possibly corrupt data.
//
// Tests that exercise a broken invariant on purpose set `assertMode.throwInstead` and get an
// AssertionFailure thrown instead of an exit.

export class AssertionFailure extends Error {
  override name = "AssertionFailure";
}

/** How a failed assertion ends; the server sets `log`, tests may set `throwInstead`. */
export const assertMode: {
  throwInstead: boolean;
  log: (msg: string) => void;
} = {
  throwInstead: false,
  log: (msg) => console.error(msg),
};

export function assert(cond: unknown, what: string): asserts cond {
  if (cond) return;
  fail(what);
}

/** An invariant is broken: log and stop (or throw, in tests that ask for it). */
export function fail(what: string): never {
  const err = new AssertionFailure(`ASSERTION FAILED: ${what}`);
  if (assertMode.throwInstead) throw err;
  assertMode.log(
    `=== IMDS BUG REPORT START ===\n${err.stack ?? err.message}\n=== IMDS BUG REPORT END ===`,
  );
  process.exit(1);
}
