// Every command family registers here; the table is shared by both protocols.

import { connectionCommands } from "./connection.ts";
import { expireCommands } from "./expire.ts";
import { keyCommands } from "./keys.ts";
import { persistenceCommands } from "./persistence.ts";
import { serverCommands } from "./server.ts";
import { stringCommands } from "./strings.ts";
import type { CommandTable } from "./table.ts";
import { zsetCommands } from "./zset.ts";

export function registerAll(table: CommandTable): void {
  table.register(stringCommands);
  table.register(keyCommands);
  table.register(expireCommands);
  table.register(connectionCommands);
  table.register(serverCommands);
  table.register(zsetCommands);
  table.register(persistenceCommands);
}
