// One page of a customer's records, and (when asked) the total matching the filter, in
// ONE statement. Raw SQL because the ORM cannot combine the two; the tenant id is bound
// through $queryTenant like every raw query.
import type { TenantScopedClient } from "../db/tenant-scope.js";
// The model is imported as RecordRow: plain `Record` would shadow TypeScript's Record<K, V>.
import { type Attachment, Prisma, type Record as RecordRow } from "../generated/prisma/client.js";
import {
  type Keyset,
  type SqlKeysetOrder,
  keysetConditions,
  keysetOrderBy,
  pageLimit,
} from "../pagination/keyset-sql.js";
import type { PageRequest } from "../pagination/page-request.js";
import { type AttachmentJson, attachmentFromJson, firstAttachmentsOf } from "./attachments-page.js";

export const recordOrders = {
  CREATED_DATE_DESC: { column: "createdDate", type: "timestamptz", descending: true },
  CREATED_DATE_ASC: { column: "createdDate", type: "timestamptz", descending: false },
  REFERENCE_NUMBER_ASC: { column: "referenceNumber", type: "text", descending: false },
} as const satisfies { [name: string]: SqlKeysetOrder };

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

/** A record as the page query returns it, with its first page of attachments when asked. */
type PageRow = RecordRow & { totalCount?: number; firstAttachments?: AttachmentJson[] | null };

export type RecordPage = {
  rows: RecordRow[];
  totalCount: number | null;
  /** Each record's first attachments (limit + 1 at most), when `attachmentsLimit` was given. */
  firstAttachments: Map<string, Attachment[]> | null;
};

export async function fetchRecordPage(
  db: TenantScopedClient,
  options: {
    filter: RecordFilter;
    order: RecordOrderName;
    request: PageRequest<Keyset>;
    withTotal: boolean;
    /** Also fetch each record's first page of attachments of this size (null: don't). */
    attachmentsLimit: number | null;
  },
): Promise<RecordPage> {
  const order = recordOrders[options.order];
  const page = Prisma.sql`${keysetOrderBy(order, options.request)} ${pageLimit(options.request)}`;
  const attachmentsLimit = options.attachmentsLimit;
  const rows = await db.$queryTenant<PageRow>((customerId) => {
    const matching = [Prisma.sql`"customerId" = ${customerId}::uuid`, ...filterConditions(options.filter)];
    const pageRows = Prisma.sql`SELECT * FROM "Record" WHERE ${where([...matching, ...keysetConditions(order, options.request)])} ${page}`;
    if (!options.withTotal && attachmentsLimit === null) return pageRows;
    const attachments =
      attachmentsLimit === null ? Prisma.empty : Prisma.sql`, ${firstAttachmentsOf(customerId, Prisma.sql`p."id"`, attachmentsLimit)} AS "firstAttachments"`;
    // A join (or a wrapping query) does not promise to keep the order: say it again.
    const reordered = keysetOrderBy(order, options.request, "p");
    if (!options.withTotal) return Prisma.sql`SELECT p.* ${attachments} FROM (${pageRows}) p ${reordered}`;
    // The count row always exists, so an empty page still reports its total.
    return Prisma.sql`
      SELECT t."totalCount", p.* ${attachments}
      FROM (SELECT count(*)::int AS "totalCount" FROM "Record" WHERE ${where(matching)}) t
      LEFT JOIN LATERAL (${pageRows}) p ON true
      ${reordered}`;
  });
  // The plain page's rows are the records as they are: no copy on the hot path.
  if (!options.withTotal && attachmentsLimit === null) return { rows, totalCount: null, firstAttachments: null };
  const totalCount = options.withTotal ? (rows[0]?.totalCount ?? 0) : null;
  const firstAttachments = attachmentsLimit === null ? null : new Map<string, Attachment[]>();
  const records: RecordRow[] = [];
  for (const { totalCount: _, firstAttachments: attachments, ...record } of rows) {
    if (record.id === null) continue; // the count row of an empty page
    records.push(record);
    firstAttachments?.set(record.id, (attachments ?? []).map(attachmentFromJson));
  }
  return { rows: records, totalCount, firstAttachments };
}
