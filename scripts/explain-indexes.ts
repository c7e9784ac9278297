// `tsx scripts/explain-indexes.ts` with DATABASE_URL pointing at PostgreSQL: makes sure one
// customer has at least 100,000 records (bulk seeding it if needed), runs ANALYZE, then
// prints EXPLAIN ANALYZE of the hot queries and exits 1 if any of them misses its index.
// PostgreSQL only: the embedded database's planner and sizes say nothing about production.
import { ensureLargeCustomer } from "../prisma/seed.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { explainHotQueries, formatPlan } from "./explain-hot-queries.js";
import { migrate } from "../src/db/migrate.js";

const MIN_RECORDS = 100_000;

const config = loadConfig();
if (!config.database.url) {
  console.error("explain-indexes: set DATABASE_URL to a PostgreSQL database (it may get 100,000 bulk records).");
  process.exit(2);
}

const db = await openDatabase(config);
try {
  await migrate(db);
  const customer = await ensureLargeCustomer(db, { minRecords: MIN_RECORDS, attachmentsPerRecord: 2 });
  const seeded = customer.seededMs > 0 ? ` (bulk seeded in ${(customer.seededMs / 1000).toFixed(1)} s)` : "";
  console.log(`Customer ${customer.slug}: ${customer.records.toLocaleString("en-US")} records${seeded}`);
  // Fresh statistics, or the planner may still believe the tables are empty.
  await db.pool!.query(`ANALYZE "Record", "Attachment"`);

  const results = await explainHotQueries(db.pool!, customer.customerId);
  for (const result of results) {
    const verdict = result.usesIndex ? "ok  " : "FAIL";
    console.log(`\n${verdict} ${result.name}: expects ${result.index} (${result.executionMs?.toFixed(3)} ms)`);
    console.log(formatPlan(result.plan, "    ").replace(/^/gm, "    "));
  }
  const failed = results.filter((result) => !result.usesIndex);
  console.log(
    failed.length === 0
      ? "\nAll hot queries use their indexes."
      : `\n${failed.length} of ${results.length} hot queries miss their index: ${failed.map((r) => r.name).join(", ")}`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
} catch (error) {
  console.error(`explain-indexes: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
