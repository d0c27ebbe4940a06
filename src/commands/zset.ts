// Sorted set commands.

import type { CommandSpec } from "./table.ts";

export const zsetCommands: CommandSpec[] = [];
