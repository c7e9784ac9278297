// A customer's dashboard statistics in ONE statement that reads only the rollup tables the
// database keeps (prisma/migrations/20261201230000_record_stats): a few rows per category,
// month and job status, however many records the customer has. Never the records themselves.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { JobStatus, Prisma } from "../generated/prisma/client.js";
import { firstDayOf, formatYearMonth, type Month, type MonthRange, monthsOf } from "../stats/month-range.js";

export type RecordStats = {
  fromMonth: Month;
  toMonth: Month;
  totalRecords: number;
  /** Categories with records, by code. */
  recordsByCategory: Array<{ categoryCode: string; count: number }>;
  /** Every month of the range, oldest first, zeros included. */
  recordsByMonth: Array<{ month: Month; count: number }>;
  attachmentCount: number;
  attachmentBytes: number;
  /** Every job status, jobs created in the range. */
  jobsByStatus: Array<{ status: JobStatus; count: number }>;
};

/** One count: a category's, a month's (YYYY-MM), the attachments' (key ''), a job status's. */
export type RecordStatsRow = { dimension: "category" | "month" | "attachments" | "jobs"; key: string; count: number; bytes: number };

// The months come back as text (YYYY-MM) and the bounds go in as date literals: no time zone
// of the connection can shift a month. Zero counts (a category emptied by deletes) are left out.
const statsSql = (customerId: string, range: MonthRange) => Prisma.sql`
  SELECT 'category' AS "dimension", "categoryCode" AS "key", "records"::int AS "count", 0::float8 AS "bytes"
  FROM "RecordStatsByCategory" WHERE "customerId" = ${customerId}::uuid AND "records" <> 0
  UNION ALL
  SELECT 'month', to_char("month", 'YYYY-MM'), "records"::int, 0
  FROM "RecordStatsByMonth"
  WHERE "customerId" = ${customerId}::uuid AND "month" BETWEEN ${firstDayOf(range.from)}::date AND ${firstDayOf(range.to)}::date
    AND "records" <> 0
  UNION ALL
  SELECT 'attachments', '', "attachments"::int, "bytes"::float8
  FROM "AttachmentStats" WHERE "customerId" = ${customerId}::uuid
  UNION ALL
  SELECT 'jobs', "status"::text, sum("jobs")::int, 0
  FROM "JobStatsByMonth"
  WHERE "customerId" = ${customerId}::uuid AND "month" BETWEEN ${firstDayOf(range.from)}::date AND ${firstDayOf(range.to)}::date
  GROUP BY "status"`;

export async function fetchRecordStats(db: TenantScopedClient, range: MonthRange): Promise<RecordStats> {
  return assembleRecordStats(await db.$queryTenant<RecordStatsRow>((customerId) => statsSql(customerId, range)), range);
}

/** The answer from its counts: categories sorted, every month of the range and every status listed. */
export function assembleRecordStats(rows: RecordStatsRow[], range: MonthRange): RecordStats {
  const counts = (dimension: RecordStatsRow["dimension"]) =>
    new Map(rows.filter((row) => row.dimension === dimension).map((row) => [row.key, row]));
  const byCategory = [...counts("category").values()]
    .map((row) => ({ categoryCode: row.key, count: row.count }))
    .sort((a, b) => (a.categoryCode < b.categoryCode ? -1 : a.categoryCode > b.categoryCode ? 1 : 0));
  const byMonth = counts("month");
  const byStatus = counts("jobs");
  const attachments = counts("attachments").get("");
  return {
    fromMonth: range.from,
    toMonth: range.to,
    totalRecords: byCategory.reduce((total, category) => total + category.count, 0),
    recordsByCategory: byCategory,
    recordsByMonth: monthsOf(range).map((month) => ({ month, count: byMonth.get(formatYearMonth(month))?.count ?? 0 })),
    attachmentCount: attachments?.count ?? 0,
    attachmentBytes: attachments?.bytes ?? 0,
    jobsByStatus: Object.values(JobStatus).map((status) => ({ status, count: byStatus.get(status)?.count ?? 0 })),
  };
}
