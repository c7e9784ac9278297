// Inserts the demo data set into an empty database, in one transaction. Each table is one
// set-based INSERT from a JSON parameter, so the same code runs on PGlite and PostgreSQL
// and customer/record ids are resolved by slug and reference number inside the database.
import { Readable } from "node:stream";
import type { Database } from "../../src/db/database.js";
import { inScriptTransaction, type ScriptTransaction } from "../../src/db/sql-script-runner.js";
import { type FileStorage, storageKeyFor } from "../../src/storage/file-storage.js";
import { demoFileContent } from "./demo-files.js";
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

const attachStoredFiles = `
  UPDATE "Attachment" a SET "storageKey" = x."storageKey", "sizeBytes" = x."sizeBytes"
  FROM json_to_recordset($1::json) AS x(id uuid, "storageKey" text, "sizeBytes" int)
  WHERE a.id = x.id`;

/**
 * Stores a real small file for every demo attachment and points the rows at them. Files are
 * written before the transaction commits; if it rolls back they are orphans for the sweep.
 */
async function storeDemoFiles(tx: ScriptTransaction, storage: FileStorage): Promise<void> {
  type Row = { id: string; customerId: string; filename: string; contentType: string; referenceNumber: string };
  const rows = await tx.query<Row>(
    `SELECT a.id, a."customerId", a.filename, a."contentType", r."referenceNumber"
     FROM "Attachment" a JOIN "Record" r ON r.id = a."recordId"`,
  );
  const stored = [];
  for (const row of rows) {
    const content = demoFileContent(row.filename, row.referenceNumber);
    const storageKey = storageKeyFor(row.customerId, row.id);
    await storage.write(storageKey, Readable.from([content]), { contentType: row.contentType });
    stored.push({ id: row.id, storageKey, sizeBytes: content.length });
  }
  await tx.query(attachStoredFiles, [JSON.stringify(stored)]);
}

/**
 * Seeds the demo data when there are no customers at all; never touches a non-empty database.
 * With `storage`, every demo attachment also gets a real stored file (what `npm start` does).
 */
export async function seedDemoData(db: Database, storage?: FileStorage): Promise<DemoSeedResult> {
  const data = buildDemoData();
  return inScriptTransaction(db, async (tx) => {
    await takeSeedLock(tx);
    const existing = await tx.query<{ found: boolean }>(`SELECT EXISTS (SELECT 1 FROM "Customer") AS found`);
    if (existing[0]?.found) return { seeded: false };
    await tx.query(insertCustomers, [JSON.stringify(data.customers)]);
    await tx.query(insertUsers, [JSON.stringify(data.users)]);
    await tx.query(insertRecords, [JSON.stringify(data.records)]);
    await tx.query(insertAttachments, [JSON.stringify(data.attachments)]);
    if (storage) await storeDemoFiles(tx, storage);
    return { seeded: true };
  });
}
