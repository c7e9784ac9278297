// Bulk data for benchmarks and index checks. Everything is generated inside the database
// with generate_series, one statement per customer: row-by-row inserts from Node would
// spend minutes on round trips for 100,000 records.
// Idempotent: generated rows have fixed keys (slug `bulk-001`, reference `BULK-000001`) and
// ON CONFLICT DO NOTHING, so a second run only adds what is missing.
import type { Database } from "../../src/db/database.js";
import { inScriptTransaction, type ScriptTransaction } from "../../src/db/sql-script-runner.js";
import { demoCustomers } from "./demo-data.js";
import { seedDemoData } from "./seed-demo.js";
import { takeSeedLock } from "./seed-lock.js";

export type BulkSeedOptions = {
  /** Customers in all: the demo customers first, then generated `bulk-001`, `bulk-002`, … */
  customers: number;
  /** BULK-… records each of those customers should have. */
  recordsPerCustomer: number;
  /** Attachments of each newly inserted bulk record. */
  attachmentsPerRecord: number;
};

export type BulkRecordsResult = { recordsCreated: number; attachmentsCreated: number };

export type BulkSeedResult = BulkRecordsResult & {
  demoSeeded: boolean;
  customers: number;
  customersCreated: number;
  /** The seeded customers' ids (existing ones too: what changed, for the response caches). */
  customerIds: string[];
  /** E-mail addresses of the ADMINs created for generated customers. */
  adminsCreated: string[];
  ms: number;
};

const padded = (n: number, width: number) => String(n).padStart(width, "0");

/** The slugs of the first `count` customers of the bulk set (demo customers first). */
export function bulkCustomerSlugs(count: number): string[] {
  const generated = Array.from({ length: Math.max(0, count - demoCustomers.length) }, (_, i) => `bulk-${padded(i + 1, 3)}`);
  return [...demoCustomers.map((customer) => customer.slug), ...generated].slice(0, count);
}

function assertCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number >= ${min} (got ${value})`);
  }
}

const insertGeneratedCustomers = `
  INSERT INTO "Customer" ("name", "slug")
  SELECT 'Bulk customer ' || substr(slug, 6), slug FROM unnest($1::text[]) AS slug
  ON CONFLICT ("slug") DO NOTHING
  RETURNING id`;

const insertGeneratedAdmins = `
  INSERT INTO "User" ("customerId", "email", "role")
  SELECT c.id, 'admin@' || c.slug || '.test', 'ADMIN'::"Role" FROM "Customer" c WHERE c.slug = ANY($1::text[])
  ON CONFLICT ("email") DO NOTHING
  RETURNING email`;

// $1 customer, $2 records, $3 attachments per record, $4 the day dates count back from.
// createdDate: three consecutive records share an hour (ties on purpose, at any size); the
// groups visit the 17,520 hours of two years in a scrambled order by stepping with a prime.
// Attachments are made only for records this statement inserted, from its RETURNING rows.
const insertBulkRecords = `
  WITH numbered AS (
    SELECT n, $4::timestamptz - ((((n + 2) / 3) * 7919) % 17520) * interval '1 hour' AS created
    FROM generate_series(1::bigint, $2::bigint) AS n
  ), inserted AS (
    INSERT INTO "Record" ("customerId", "referenceNumber", "categoryCode", "title", "createdDate", "updatedAt")
    SELECT $1::uuid,
           'BULK-' || lpad(n::text, greatest(6, length(n::text)), '0'),
           'CAT' || lpad((n % 10 + 1)::text, 3, '0'),
           'Bulk record ' || n,
           created, created
    FROM numbered
    ON CONFLICT ("customerId", "referenceNumber") DO NOTHING
    RETURNING id, "customerId", "referenceNumber", "createdDate"
  ), attached AS (
    INSERT INTO "Attachment" ("customerId", "recordId", "filename", "contentType", "sizeBytes", "createdAt")
    SELECT r."customerId", r.id,
           lower(r."referenceNumber") || '-' || k || (ARRAY['.pdf', '.png', '.csv'])[1 + k % 3],
           (ARRAY['application/pdf', 'image/png', 'text/csv'])[1 + k % 3],
           1024 + ((extract(epoch FROM r."createdDate")::bigint + k * 104729) % 4000000)::int,
           r."createdDate" + k * interval '1 minute'
    FROM inserted r CROSS JOIN generate_series(1, $3::int) AS k
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM inserted)::int AS records, (SELECT count(*) FROM attached)::int AS attachments`;

/** Inserts the bulk records (and their attachments) inside the caller's transaction. */
export async function insertBulkRecordsFor(
  tx: ScriptTransaction,
  customerIds: string[],
  recordsPerCustomer: number,
  attachmentsPerRecord: number,
): Promise<BulkRecordsResult> {
  // A bulk seed is deliberate and long; the pool's statement_timeout is meant for requests.
  await tx.exec("SET LOCAL statement_timeout = 0");
  const now = new Date();
  const anchor = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const total: BulkRecordsResult = { recordsCreated: 0, attachmentsCreated: 0 };
  for (const customerId of customerIds) {
    const [row] = await tx.query<{ records: number; attachments: number }>(insertBulkRecords, [
      customerId,
      recordsPerCustomer,
      attachmentsPerRecord,
      anchor.toISOString(),
    ]);
    total.recordsCreated += row?.records ?? 0;
    total.attachmentsCreated += row?.attachments ?? 0;
  }
  return total;
}

/** Gives the customers with these ids `recordsPerCustomer` BULK-… records each (one transaction). */
export async function seedBulkRecords(
  db: Database,
  options: { customerIds: string[]; recordsPerCustomer: number; attachmentsPerRecord: number },
): Promise<BulkRecordsResult> {
  assertCount("recordsPerCustomer", options.recordsPerCustomer, 0);
  assertCount("attachmentsPerRecord", options.attachmentsPerRecord, 0);
  return inScriptTransaction(db, async (tx) => {
    await takeSeedLock(tx);
    return insertBulkRecordsFor(tx, options.customerIds, options.recordsPerCustomer, options.attachmentsPerRecord);
  });
}

/**
 * Demo data first (when the database is empty), then `customers` customers in all, each
 * generated one with an ADMIN `admin@<slug>.test`, each with `recordsPerCustomer` bulk records.
 */
export async function seedBulkData(db: Database, options: BulkSeedOptions): Promise<BulkSeedResult> {
  assertCount("customers", options.customers, 1);
  assertCount("recordsPerCustomer", options.recordsPerCustomer, 0);
  assertCount("attachmentsPerRecord", options.attachmentsPerRecord, 0);
  const started = performance.now();
  const demo = await seedDemoData(db);
  const slugs = bulkCustomerSlugs(options.customers);
  const generatedSlugs = slugs.filter((slug) => !demoCustomers.some((customer) => customer.slug === slug));
  const result = await inScriptTransaction(db, async (tx) => {
    await takeSeedLock(tx);
    const created = await tx.query(insertGeneratedCustomers, [generatedSlugs]);
    const admins = await tx.query<{ email: string }>(insertGeneratedAdmins, [generatedSlugs]);
    const customers = await tx.query<{ id: string }>(
      `SELECT id FROM "Customer" WHERE slug = ANY($1::text[]) ORDER BY slug`,
      [slugs],
    );
    const inserted = await insertBulkRecordsFor(
      tx,
      customers.map((customer) => customer.id),
      options.recordsPerCustomer,
      options.attachmentsPerRecord,
    );
    return {
      customers: customers.length,
      customersCreated: created.length,
      customerIds: customers.map((customer) => customer.id),
      adminsCreated: admins.map((admin) => admin.email).sort(),
      ...inserted,
    };
  });
  return { demoSeeded: demo.seeded, ...result, ms: Math.round(performance.now() - started) };
}
