// The bench data: several customers; the bench customer (bulk-001) with `records` records of
// `attachmentsPerRecord` attachments, and a large customer (the last one) with `largeRecords`.
// Seeded set-based by prisma/seed (seedBulkData / seedBulkRecords), idempotently: a second
// run finds the data in place and seeds nothing.
import { bulkCustomerSlugs, seedBulkData, seedBulkRecords } from "../prisma/seed.js";
import type { Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import type { BenchSettings } from "./settings.js";

export type BenchCustomer = {
  slug: string;
  customerId: string;
  userId: string;
  email: string;
  records: number;
  attachments: number;
};

export type BenchData = {
  main: BenchCustomer;
  large: BenchCustomer;
  customers: number;
  totalRecords: number;
  totalAttachments: number;
  /** 0 when everything was already in place. */
  seedMs: number;
};

type CustomerRow = { slug: string; customerId: string; userId: string | null; email: string | null; records: number; attachments: number };

async function describeCustomers(db: Database, slugs: string[]): Promise<Map<string, CustomerRow>> {
  const rows = await db.prisma.$queryRawUnsafe<CustomerRow[]>(
    `SELECT c.slug, c.id::text AS "customerId", u.id::text AS "userId", u.email,
            (SELECT count(*)::int FROM "Record" r WHERE r."customerId" = c.id) AS records,
            (SELECT count(*)::int FROM "Attachment" a WHERE a."customerId" = c.id) AS attachments
     FROM "Customer" c LEFT JOIN "User" u ON u."customerId" = c.id AND u.email = 'admin@' || c.slug || '.test'
     WHERE c.slug = ANY($1::text[])`,
    slugs,
  );
  return new Map(rows.map((row) => [row.slug, row]));
}

export async function prepareBenchData(
  db: Database,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<BenchData> {
  const applied = await migrate(db);
  if (applied.length > 0) log(`applied ${applied.length} migrations`);
  const slugs = bulkCustomerSlugs(settings.customers);
  const mainSlug = slugs[2]!;
  const largeSlug = slugs[slugs.length - 1]!;

  const started = performance.now();
  let customers = await describeCustomers(db, slugs);
  const ready =
    customers.size === slugs.length &&
    (customers.get(mainSlug)?.records ?? 0) >= settings.records &&
    (customers.get(largeSlug)?.records ?? 0) >= settings.largeRecords;
  if (!ready) {
    log(`seeding ${settings.customers} customers × ${settings.records} records × ${settings.attachmentsPerRecord} attachments…`);
    await seedBulkData(db, {
      customers: settings.customers,
      recordsPerCustomer: settings.records,
      attachmentsPerRecord: settings.attachmentsPerRecord,
    });
    customers = await describeCustomers(db, slugs);
    log(`seeding ${largeSlug} up to ${settings.largeRecords} records (one statement; can take a minute)…`);
    await seedBulkRecords(db, {
      customerIds: [customers.get(largeSlug)!.customerId],
      recordsPerCustomer: settings.largeRecords,
      attachmentsPerRecord: settings.attachmentsPerRecord,
    });
    await db.prisma.$executeRawUnsafe(`ANALYZE "Customer", "User", "Record", "Attachment"`);
    customers = await describeCustomers(db, slugs);
  }
  const seedMs = ready ? 0 : Math.round(performance.now() - started);

  const pick = (slug: string): BenchCustomer => {
    const row = customers.get(slug);
    if (!row?.userId || !row.email) throw new Error(`bench customer ${slug} or its admin@${slug}.test is missing`);
    return { slug, customerId: row.customerId, userId: row.userId, email: row.email, records: row.records, attachments: row.attachments };
  };
  const main = pick(mainSlug);
  if (main.records !== settings.records) {
    log(`note: ${mainSlug} has ${main.records} records (BENCH_RECORDS=${settings.records}); the figures are for ${main.records}`);
  }
  const [totals] = await db.prisma.$queryRawUnsafe<Array<{ records: number; attachments: number }>>(
    `SELECT (SELECT count(*)::int FROM "Record") AS records, (SELECT count(*)::int FROM "Attachment") AS attachments`,
  );
  return {
    main,
    large: pick(largeSlug),
    customers: customers.size,
    totalRecords: totals!.records,
    totalAttachments: totals!.attachments,
    seedMs,
  };
}
