// Keyset conditions and ordering as SQL, for the pages read with raw SQL (the records page).
import { Prisma } from "../generated/prisma/client.js";
import type { PageRequest } from "./page-request.js";

export type SortKeyType = "timestamptz" | "text";

/** A list order: one sort column, then "id" in the same direction to break ties. */
export type SqlKeysetOrder = { column: string; type: SortKeyType; descending: boolean };

export type Keyset = { value: string; id: string };

const quoted = (column: string) => Prisma.raw(`"${column.replace(/"/g, "")}"`);

function compare(order: SqlKeysetOrder, key: Keyset, rowsAfterKey: boolean): Prisma.Sql {
  // "After" in list order is "smaller" when the list is descending.
  const operator = rowsAfterKey !== order.descending ? ">" : "<";
  return Prisma.sql`(${quoted(order.column)}, "id") ${Prisma.raw(operator)} (${key.value}::${Prisma.raw(order.type)}, ${key.id}::uuid)`;
}

export function keysetConditions(order: SqlKeysetOrder, request: PageRequest<Keyset>): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (request.after) conditions.push(compare(order, request.after, true));
  if (request.before) conditions.push(compare(order, request.before, false));
  return conditions;
}

/** The list order, reversed when paginating backwards; `table` qualifies the columns. */
export function keysetOrderBy(order: SqlKeysetOrder, request: PageRequest<Keyset>, table = ""): Prisma.Sql {
  const descending = order.descending !== (request.direction === "backward");
  const direction = Prisma.raw(descending ? "DESC" : "ASC");
  const prefix = Prisma.raw(table ? `${table}.` : "");
  return Prisma.sql`ORDER BY ${prefix}${quoted(order.column)} ${direction}, ${prefix}"id" ${direction}`;
}

/** One row more than asked for tells whether there is a next page. */
export const pageLimit = (request: PageRequest<Keyset>) => Prisma.sql`LIMIT ${request.limit + 1}`;
