// The contract between the differential test (diff.test.ts) and the command
// families it draws from (families/*.ts).

import type { Prng } from "../helpers/prng.ts";

/** One random command: its arguments, strings or raw bytes. */
export type Arg = string | Uint8Array;
export type CommandGen = (r: Prng, keys: KeyPicker) => Arg[];

export interface KeyPicker {
  /** A key from a small shared space, so commands of all types collide on it. */
  key(): Arg;
}

export interface Family {
  name: string;
  /** Relative share of commands drawn from this family. */
  weight: number;
  gens: CommandGen[];
  /**
   * Commands whose reply Redis leaves unordered (KEYS, SMEMBERS...): the test
   * sorts the elements of both replies before comparing. Lowercase names.
   */
  unordered?: string[];
  /**
   * Clock-dependent parts of a reply (idle times...) made equal on both sides: called with the
   * lowercase command name and the raw reply (latin1) of both servers before they are compared.
   */
  normalize?: (name: string, reply: string) => string;
}
