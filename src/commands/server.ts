// Server commands (INFO, CONFIG, COMMAND, DBSIZE, FLUSHDB ...).

import type { CommandSpec } from "./table.ts";

export const serverCommands: CommandSpec[] = [];
