// Index checks need one customer big enough for the planner to care (100,000 records):
// the largest customer is used as it is when it is big enough, otherwise topped up with
// bulk records (demo data first on an empty database).
import type { Database } from "../../src/db/database.js";
import { seedBulkRecords } from "./seed-bulk.js";
import { seedDemoData } from "./seed-demo.js";

export type LargeCustomer = { customerId: string; slug: string; records: number; seededMs: number };

async function largestCustomer(db: Database): Promise<Omit<LargeCustomer, "seededMs"> | undefined> {
  const [row] = await db.prisma.$queryRaw<Array<{ customerId: string; slug: string; records: number }>>`
    SELECT c.id::text AS "customerId", c.slug, count(r.id)::int AS records
    FROM "Customer" c LEFT JOIN "Record" r ON r."customerId" = c.id
    GROUP BY c.id, c.slug ORDER BY records DESC, c.slug LIMIT 1`;
  return row;
}

export async function ensureLargeCustomer(
  db: Database,
  options: { minRecords: number; attachmentsPerRecord: number },
): Promise<LargeCustomer> {
  const started = performance.now();
  await seedDemoData(db);
  const largest = await largestCustomer(db);
  if (!largest) throw new Error("the database has no customers even after seeding the demo data");
  if (largest.records >= options.minRecords) return { ...largest, seededMs: 0 };
  await seedBulkRecords(db, {
    customerIds: [largest.customerId],
    recordsPerCustomer: options.minRecords,
    attachmentsPerRecord: options.attachmentsPerRecord,
  });
  const after = (await largestCustomer(db)) ?? largest;
  return { ...after, seededMs: Math.round(performance.now() - started) };
}
