// Expiry commands (EXPIRE, TTL, PERSIST ...).

import type { CommandSpec } from "./table.ts";

export const expireCommands: CommandSpec[] = [];
