// A new, empty PostgreSQL database beside TEST_DATABASE_URL's, for tests that need a database no
// other test file has written to (no users at all, a first start). Dropped by `drop()`.
import { randomUUID } from "node:crypto";
import pg from "pg";

export type FreshPostgres = { url: string; drop(): Promise<void> };

export async function createFreshPostgres(baseUrl: string): Promise<FreshPostgres> {
  const name = `testapp_fresh_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
