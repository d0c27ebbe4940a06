// Every command family registers here; the table is shared by both protocols.

import { persistenceCommands } from "../persistence/aof-commands.ts";
import { connectionCommands } from "./connection.ts";
import { expireCommands } from "./expire.ts";
import { functionCommands } from "./functions.ts";
import { hashCommands } from "./hash.ts";
import { hashScanCommands } from "./hash-scan.ts";
import { keyCommands } from "./keys.ts";
import { listCommands } from "./list.ts";
import { observeCommands } from "./observe.ts";
import { persistenceCommands as snapshotCommands } from "./persistence.ts";
import { scriptingCommands } from "./scripting.ts";
import { serverCommands } from "./server.ts";
import { setCommands } from "./set.ts";
import { setOpCommands } from "./set-ops.ts";
import { streamCommands } from "./stream.ts";
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
  table.register(persistenceCommands); // aof: SHUTDOWN, BGREWRITEAOF
  table.register(listCommands);
  table.register(hashCommands);
  table.register(hashScanCommands);
  table.register(setCommands);
  table.register(setOpCommands);
  table.register(scriptingCommands);
  table.register(functionCommands);
  table.register(streamCommands);
  table.register(observeCommands);
  table.register(snapshotCommands); // SAVE, BGSAVE, LASTSAVE, DUMP, RESTORE
}
