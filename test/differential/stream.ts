// Draw random commands from the families (by weight), over a small shared key space.

import type { Prng } from "../helpers/prng.ts";
import { families as allFamilies } from "./families/index.ts";
import type { Arg, Family, KeyPicker } from "./gen.ts";

/** Keys collide on purpose: every family's commands hit the same few keys. */
export const KEYS: Arg[] = [
  "k0",
  "k1",
  "k2",
  "k3",
  "k4",
  "k5",
  "k10",
  "k*",
  "",
  new Uint8Array([98, 0, 255]),
  "b\r\nx",
];

export function keyPicker(r: Prng): KeyPicker {
  return { key: () => KEYS[r.int(KEYS.length)]! };
}

/** A source of random commands: next() draws a family by weight, then one of its generators. */
export function commandStream(r: Prng, families: Family[] = allFamilies): { next(): Arg[] } {
  const keys = keyPicker(r);
  const total = families.reduce((s, f) => s + f.weight, 0);
  return {
    next() {
      let x = r.int(total);
      let fam = families[0]!;
      for (const f of families) {
        if (x < f.weight) {
          fam = f;
          break;
        }
        x -= f.weight;
      }
      return fam.gens[r.int(fam.gens.length)]!(r, keys);
    },
  };
}
