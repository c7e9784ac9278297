// The hot queries use their indexes on PostgreSQL once a customer has 100,000 records.
// Runs only with TEST_DATABASE_URL (a PostgreSQL server); it creates and drops its own
// database there, so it never touches the data behind that URL.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureLargeCustomer } from "../prisma/seed.js";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { explainHotQueries, formatPlan, hotQueries, type HotQueryPlan } from "../scripts/explain-hot-queries.js";
import { migrate } from "../src/db/migrate.js";

const serverUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!serverUrl)("indexes on PostgreSQL with 100,000 records", () => {
  const databaseName = `testapp_explain_${randomBytes(6).toString("hex")}`;
  let admin: pg.Client | undefined;
  let db: Database | undefined;
  let plans: HotQueryPlan[] = [];

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${databaseName}"`);
    const url = new URL(serverUrl!);
    url.pathname = `/${databaseName}`;
    db = await openDatabase(loadConfig({ NODE_ENV: "test" }), { url: url.toString() });
    await migrate(db);
    const customer = await ensureLargeCustomer(db, { minRecords: 100_000, attachmentsPerRecord: 2 });
    expect(customer.records).toBeGreaterThanOrEqual(100_000);
    await db.pool!.query(`ANALYZE "Record", "Attachment"`);
    plans = await explainHotQueries(db.pool!, customer.customerId);
  }, 50_000);

  afterAll(async () => {
    await db?.close();
    await admin?.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin?.end();
  }, 20_000);

  it.each(hotQueries.map((query) => [query.name, query.index]))("%s uses %s", (name) => {
    const plan = plans.find((candidate) => candidate.name === name);
    expect(plan, `no plan for ${name}`).toBeDefined();
    expect(plan!.usesIndex, `${name} does not use ${plan!.index}:\n${formatPlan(plan!.plan)}`).toBe(true);
  });
});
