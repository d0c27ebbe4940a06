// The command families the differential test draws from. Each data-type
// module adds its own file here and one line below.

import type { Family } from "../gen.ts";
import { expireFamily } from "./expire.ts";
import { hashFamily } from "./hash.ts";
import { keysFamily } from "./keys.ts";
import { listFamily } from "./list.ts";
import { multiFamily } from "./multi.ts";
import { scriptingFamily } from "./scripting.ts";
import { setFamily } from "./set.ts";
import { streamFamily } from "./stream.ts";
import { stringsFamily } from "./strings.ts";
import { zsetFamily } from "./zset.ts";

export const families: Family[] = [
  stringsFamily,
  keysFamily,
  expireFamily,
  zsetFamily,
  multiFamily,
  listFamily,
  hashFamily,
  setFamily,
  scriptingFamily,
  streamFamily,
];
