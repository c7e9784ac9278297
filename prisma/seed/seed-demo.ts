// Inserts the demo data set into an empty database, in one transaction. Each table is one
// set-based INSERT from a JSON parameter, so the same code runs on PGlite and PostgreSQL
// and customer/record ids are resolved by slug and reference number inside the database.
import type { Database } from "../../src/db/database.js";
import { inScriptTransaction } from "../../src/db/sql-script-runner.js";
import { buildDemoData } from "./demo-data.js";
import { takeSeedLock } from "./seed-lock.js";

export type DemoSeedResult = { seeded: boolean };

const insertCustomers = `
  INSERT INTO "Customer" ("name", "slug")
  SELECT x.name, x.slug FROM json_to_recordset($1::json) AS x(name text, slug text)`;

const insertUsers = `
  INSERT INTO "User" ("customerId", "email", "role")
  SELECT c.id, x.email, x.role::"Role"
  FROM json_to_recordset($1::json) AS x(slug text, email text, role text)
  JOIN "Customer" c ON c.slug = x.slug`;

const insertRecords = `
  INSERT INTO "Record" ("customerId", "referenceNumber", "categoryCode", "title", "createdDate", "updatedAt")
  SELECT c.id, x."referenceNumber", x."categoryCode", x.title, x."createdDate", x."createdDate"
  FROM json_to_recordset($1::json)
    AS x(slug text, "referenceNumber" text, "categoryCode" text, title text, "createdDate" timestamptz)
  JOIN "Customer" c ON c.slug = x.slug`;

const insertAttachments = `
  INSERT INTO "Attachment" ("customerId", "recordId", "filename", "contentType", "sizeBytes", "createdAt")
  SELECT r."customerId", r.id, x.filename, x."contentType", x."sizeBytes", x."createdAt"
  FROM json_to_recordset($1::json)
    AS x(slug text, "referenceNumber" text, filename text, "contentType" text, "sizeBytes" int, "createdAt" timestamptz)
  JOIN "Customer" c ON c.slug = x.slug
  JOIN "Record" r ON r."customerId" = c.id AND r."referenceNumber" = x."referenceNumber"`;

/** Seeds the demo data when there are no customers at all; never touches a non-empty database. */
export async function seedDemoData(db: Database): Promise<DemoSeedResult> {
  const data = buildDemoData();
  return inScriptTransaction(db, async (tx) => {
    await takeSeedLock(tx);
    const existing = await tx.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM "Customer") AS found`);
    if (existing[0]?.found) return { seeded: false };
    await tx.query(insertCustomers, [JSON.stringify(data.customers)]);
    await tx.query(insertUsers, [JSON.stringify(data.users)]);
    await tx.query(insertRecords, [JSON.stringify(data.records)]);
    await tx.query(insertAttachments, [JSON.stringify(data.attachments)]);
    return { seeded: true };
  });
}
