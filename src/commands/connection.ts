// Connection commands (PING, ECHO, HELLO, AUTH, SELECT, CLIENT ...).

import type { CommandSpec } from "./table.ts";

export const connectionCommands: CommandSpec[] = [];
