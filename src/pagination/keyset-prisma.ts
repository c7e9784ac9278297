// Keyset conditions as a Prisma `where`, for lists read through the ORM (jobs).
import type { Keyset } from "./keyset-sql.js";
import type { PageRequest } from "./page-request.js";

export type PrismaKeysetOrder = { field: string; descending: boolean };

function compare(order: PrismaKeysetOrder, key: Keyset, rowsAfterKey: boolean) {
  const operator = rowsAfterKey !== order.descending ? "gt" : "lt";
  return {
    OR: [
      { [order.field]: { [operator]: key.value } },
      { [order.field]: key.value, id: { [operator]: key.id } },
    ],
  };
}

export function prismaKeysetWhere(order: PrismaKeysetOrder, request: PageRequest<Keyset>) {
  const conditions = [];
  if (request.after) conditions.push(compare(order, request.after, true));
  if (request.before) conditions.push(compare(order, request.before, false));
  return conditions.length > 0 ? { AND: conditions } : {};
}

export function prismaKeysetOrderBy(order: PrismaKeysetOrder, request: PageRequest<Keyset>) {
  const descending = order.descending !== (request.direction === "backward");
  const direction = descending ? ("desc" as const) : ("asc" as const);
  return [{ [order.field]: direction }, { id: direction }];
}
