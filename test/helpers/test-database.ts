// The database for one test file: a clone of the migrated embedded database, or the
// migrated PostgreSQL of TEST_DATABASE_URL.
import fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { inject } from "vitest";
import type { Config } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

export async function openTestDatabase(config: Config): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return openDatabase(config, { url });
  const snapshot = fs.readFileSync(inject("pgliteSnapshotPath"));
  const pglite = await PGlite.create({ loadDataDir: new Blob([snapshot]) });
  const db = await openDatabase(config, { pglite });
  return { ...db, close: async () => (await db.close(), await pglite.close()) };
}
