// Relay arguments → a keyset page request with signed cursors, and rows → a connection.
// Shared by every keyset-paginated list (records, jobs, attachments).
import { badUserInput } from "../errors.js";
import { isUuid } from "../uuid.js";
import type { CursorCodec } from "./cursor-codec.js";
import type { Keyset } from "./keyset-sql.js";
import { type Connection, type PageArgs, type PageRequest, parsePageArgs, toConnection } from "./page-request.js";

/**
 * One customer's list: `kind` names the list and its order, so a cursor only works for the
 * list (and the customer) that made it.
 */
export type KeysetList = { cursors: CursorCodec; customerId: string; kind: string };

export function keysetPageRequest(list: KeysetList, args: PageArgs): PageRequest<Keyset> {
  return parsePageArgs(args, (cursor, argument) => {
    const [value, id, extra] = list.cursors.decode(list.kind, list.customerId, cursor, argument);
    if (typeof value !== "string" || !isUuid(id) || extra !== undefined) {
      throw badUserInput(`The ${argument} cursor is not valid for this list.`, argument);
    }
    return { value, id };
  });
}

export function keysetConnection<Row extends { id: string }>(
  list: KeysetList,
  rows: Row[],
  request: PageRequest<Keyset>,
  sortValue: (row: Row) => string,
): Connection<Row> {
  return toConnection(rows, request, (row) => list.cursors.encode(list.kind, list.customerId, [sortValue(row), row.id]));
}
