// Relay global ids ("Type:uuid", base64), as inputs carry them. Decoded where inputs are
// validated (the write services) and where nodes are looked up (schema/node.ts), so it sits
// below both. Decoding never throws: a malformed id is simply not one of the caller's objects.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { badUserInput } from "../errors.js";
import { isUuid } from "../uuid.js";

export type NodeId = { typename: string; id: string };

export function parseNodeId(globalId: string): NodeId | null {
  try {
    const { typename, id } = decodeGlobalID(globalId);
    return isUuid(id) ? { typename, id } : null;
  } catch {
    return null;
  }
}

/** The database id inside a global id of `typename`, or BAD_USER_INPUT naming `field`. */
export function requireNodeId(globalId: string, typename: string, field: string): string {
  const parsed = parseNodeId(globalId);
  if (!parsed || parsed.typename !== typename) {
    throw badUserInput(`${field} is not a valid ${typename} id.`, field);
  }
  return parsed.id;
}
