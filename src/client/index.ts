// The imds client: `import { connect } from "imds/client"` (see docs/CLIENT.md).

export { type Arg, Client, ConnectionError, type ConnectOptions, connect } from "./client.ts";
export {
  decodeTagged,
  type MapKey,
  ProtocolError,
  PUSH,
  ReplyError,
  type Tagged,
  toText,
  type Value,
} from "./decode.ts";
