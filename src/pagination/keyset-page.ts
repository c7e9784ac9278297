// Relay arguments → a keyset page request with signed cursors, and rows → a connection.
// Shared by every keyset-paginated list (records, jobs, attachments).
import type { Context } from "../context.js";
import { badUserInput } from "../errors.js";
import type { Keyset } from "./keyset-sql.js";
import { type Connection, type PageArgs, type PageRequest, parsePageArgs, toConnection } from "./page-request.js";
import { isUuid } from "../uuid.js";


/** `kind` names the list and its order: a cursor only works for the list that made it. */
export function keysetPageRequest(ctx: Context, kind: string, args: PageArgs): PageRequest<Keyset> {
  const customerId = ctx.viewer?.customer.id ?? "";
  return parsePageArgs(args, (cursor, argument) => {
    const [value, id, extra] = ctx.services.cursors.decode(kind, customerId, cursor, argument);
    if (typeof value !== "string" || !isUuid(id) || extra !== undefined) {
      throw badUserInput(`The ${argument} cursor is not valid for this list.`, argument);
    }
    return { value, id };
  });
}

export function keysetConnection<Row extends { id: string }>(
  ctx: Context,
  kind: string,
  rows: Row[],
  request: PageRequest<Keyset>,
  sortValue: (row: Row) => string,
): Connection<Row> {
  const customerId = ctx.viewer?.customer.id ?? "";
  return toConnection(rows, request, (row) =>
    ctx.services.cursors.encode(kind, customerId, [sortValue(row), row.id]),
  );
}
