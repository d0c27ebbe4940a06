// The imds client: `import { connect } from "imds/client"` (see docs/CLIENT.md).

export { type Arg, Client, ConnectionError, type ConnectOptions, connect } from "./client.ts";
export {
  type MapKey,
  ProtocolError,
  PUSH,
  ReplyError,
  toText,
  type Value,
} from "./decode.ts";
