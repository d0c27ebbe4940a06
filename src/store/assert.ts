// Invariant checks: a failed assert is a bug in imds, not a client error (see BRIEF).

export class AssertionError extends Error {}

export function assert(cond: boolean, msg = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(msg);
}
