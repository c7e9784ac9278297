// One page of a customer's records, and (when asked) the total matching the filter, in
// ONE statement. Raw SQL because the ORM cannot combine the two; the tenant id is bound
// through $queryTenant like every raw query.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { Prisma, type Record } from "../generated/prisma/client.js";
import {
  type Keyset,
  type KeysetOrder,
  keysetConditions,
  keysetOrderBy,
  pageLimit,
} from "../pagination/keyset-sql.js";
import type { PageRequest } from "../pagination/page-request.js";

export const recordOrders = {
  CREATED_DATE_DESC: { column: "createdDate", type: "timestamptz", descending: true },
  CREATED_DATE_ASC: { column: "createdDate", type: "timestamptz", descending: false },
  REFERENCE_NUMBER_ASC: { column: "referenceNumber", type: "text", descending: false },
} as const satisfies { [name: string]: KeysetOrder };

export type RecordOrderName = keyof typeof recordOrders;

/** createdAfter is inclusive, createdBefore exclusive: ranges tile without overlap. */
export type RecordFilter = { categoryCode?: string | null; createdAfter?: Date | null; createdBefore?: Date | null };

function filterConditions(filter: RecordFilter): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  if (filter.categoryCode) conditions.push(Prisma.sql`"categoryCode" = ${filter.categoryCode}`);
  if (filter.createdAfter) conditions.push(Prisma.sql`"createdDate" >= ${filter.createdAfter}`);
  if (filter.createdBefore) conditions.push(Prisma.sql`"createdDate" < ${filter.createdBefore}`);
  return conditions;
}

const where = (conditions: Prisma.Sql[]) => Prisma.join(conditions, " AND ");

export async function fetchRecordPage(
  db: TenantScopedClient,
  options: { filter: RecordFilter; order: RecordOrderName; request: PageRequest<Keyset>; withTotal: boolean },
): Promise<{ rows: Record[]; totalCount: number | null }> {
  const order = recordOrders[options.order];
  const page = Prisma.sql`${keysetOrderBy(order, options.request)} ${pageLimit(options.request)}`;
  if (!options.withTotal) {
    const rows = await db.$queryTenant<Record>((customerId) => {
      const conditions = [Prisma.sql`"customerId" = ${customerId}::uuid`, ...filterConditions(options.filter)];
      conditions.push(...keysetConditions(order, options.request));
      return Prisma.sql`SELECT * FROM "Record" WHERE ${where(conditions)} ${page}`;
    });
    return { rows, totalCount: null };
  }
  // The count row always exists, so an empty page still reports its total.
  const rows = await db.$queryTenant<Record & { totalCount: number }>((customerId) => {
    const matching = [Prisma.sql`"customerId" = ${customerId}::uuid`, ...filterConditions(options.filter)];
    const pageConditions = [...matching, ...keysetConditions(order, options.request)];
    return Prisma.sql`
      SELECT t."totalCount", p.*
      FROM (SELECT count(*)::int AS "totalCount" FROM "Record" WHERE ${where(matching)}) t
      LEFT JOIN LATERAL (SELECT * FROM "Record" WHERE ${where(pageConditions)} ${page}) p ON true
      ${keysetOrderBy(order, options.request, "p")}`; // a join does not promise to keep the order
  });
  const totalCount = rows[0]?.totalCount ?? 0;
  return { rows: rows.filter((row) => row.id !== null).map(({ totalCount: _, ...row }) => row), totalCount };
}
