// The dashboard statistics two ways: what the rollup tables hold (kept by the database's
// triggers) and what a plain GROUP BY over the real rows says. After any writes, the two must
// be equal. Keys are "customerId|…" so a difference names the customer and the bucket.
import type { Database } from "../../src/db/database.js";

export type StatsSnapshot = {
  categories: Record<string, number>;
  months: Record<string, number>;
  attachments: Record<string, { count: number; bytes: number }>;
  jobs: Record<string, number>;
};

type Bucket = { customerId: string; key: string; count: number; bytes?: number };

function counts(rows: Bucket[]): Record<string, number> {
  return Object.fromEntries(rows.map((row) => [`${row.customerId}|${row.key}`, row.count]).sort());
}

function totals(rows: Bucket[]): StatsSnapshot["attachments"] {
  return Object.fromEntries(rows.map((row) => [row.customerId, { count: row.count, bytes: row.bytes! }]).sort());
}

/** What the rollups say (zero counts left out, as recordStats leaves them out). */
export async function rollupSnapshot(db: Database, customerIds: string[]): Promise<StatsSnapshot> {
  const query = (sql: string) => db.prisma.$queryRawUnsafe<Bucket[]>(sql, customerIds);
  return {
    categories: counts(
      await query(`SELECT "customerId"::text AS "customerId", "categoryCode" AS key, records::int AS count
                   FROM "RecordStatsByCategory" WHERE "customerId" = ANY($1::uuid[]) AND records <> 0`),
    ),
    months: counts(
      await query(`SELECT "customerId"::text AS "customerId", to_char(month, 'YYYY-MM') AS key, records::int AS count
                   FROM "RecordStatsByMonth" WHERE "customerId" = ANY($1::uuid[]) AND records <> 0`),
    ),
    attachments: totals(
      await query(`SELECT "customerId"::text AS "customerId", '' AS key, attachments::int AS count, bytes::float8 AS bytes
                   FROM "AttachmentStats" WHERE "customerId" = ANY($1::uuid[]) AND (attachments <> 0 OR bytes <> 0)`),
    ),
    jobs: counts(
      await query(`SELECT "customerId"::text AS "customerId", to_char(month, 'YYYY-MM') || ' ' || status AS key, jobs::int AS count
                   FROM "JobStatsByMonth" WHERE "customerId" = ANY($1::uuid[]) AND jobs <> 0`),
    ),
  };
}

/** What the rows say, counted from scratch. */
export async function groupBySnapshot(db: Database, customerIds: string[]): Promise<StatsSnapshot> {
  const query = (sql: string) => db.prisma.$queryRawUnsafe<Bucket[]>(sql, customerIds);
  return {
    categories: counts(
      await query(`SELECT "customerId"::text AS "customerId", "categoryCode" AS key, count(*)::int AS count
                   FROM "Record" WHERE "customerId" = ANY($1::uuid[]) GROUP BY 1, 2`),
    ),
    months: counts(
      await query(`SELECT "customerId"::text AS "customerId", to_char("createdDate" AT TIME ZONE 'UTC', 'YYYY-MM') AS key,
                          count(*)::int AS count
                   FROM "Record" WHERE "customerId" = ANY($1::uuid[]) GROUP BY 1, 2`),
    ),
    attachments: totals(
      await query(`SELECT "customerId"::text AS "customerId", '' AS key, count(*)::int AS count, sum("sizeBytes")::float8 AS bytes
                   FROM "Attachment" WHERE "customerId" = ANY($1::uuid[]) GROUP BY 1`),
    ),
    jobs: counts(
      await query(`SELECT "customerId"::text AS "customerId",
                          to_char("createdAt" AT TIME ZONE 'UTC', 'YYYY-MM') || ' ' || status AS key, count(*)::int AS count
                   FROM "CollectionJob" WHERE "customerId" = ANY($1::uuid[]) GROUP BY 1, 2`),
    ),
  };
}

/** Deltas waiting for their commit; none may ever be left behind once a transaction ends. */
export async function leftoverDeltas(db: Database): Promise<number> {
  const [row] = await db.prisma.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "StatsDelta"`);
  return row!.n;
}
