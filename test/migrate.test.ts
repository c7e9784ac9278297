// The migration runner: each migration once, each in its own transaction, history kept
// in Prisma's table.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { migrate, readMigrations } from "../src/db/migrate.js";
import { inScriptTransaction } from "../src/db/sql-script-runner.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { usingPostgres } from "./helpers/test-database.js";

let t: TestApp;
let dir: string;
const suffix = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  t = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
});
afterAll(async () => {
  await inScriptTransaction(t.db, (tx) =>
    tx.exec(`DROP TABLE IF EXISTS "probe_${suffix}"; DELETE FROM "_prisma_migrations" WHERE migration_name LIKE '%_probe_${suffix}%'`),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  await t.close();
});

function writeMigration(name: string, sql: string) {
  fs.mkdirSync(path.join(dir, name), { recursive: true });
  fs.writeFileSync(path.join(dir, name, "migration.sql"), sql);
}

describe("migrate", () => {
  test("the committed migrations are applied already and not again", async () => {
    expect(await migrate(t.db)).toEqual([]);
    const rows = await inScriptTransaction(t.db, (tx) =>
      tx.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`),
    );
    for (const migration of readMigrations()) {
      expect(rows.filter((row) => row.migration_name === migration.name)).toHaveLength(1);
    }
  });

  test("a new migration runs once; a failing one leaves nothing behind", async () => {
    writeMigration(`29990101000000_probe_${suffix}`, `CREATE TABLE "probe_${suffix}" (id int); INSERT INTO "probe_${suffix}" VALUES (1);`);
    writeMigration(`29990101000001_probe_${suffix}_broken`, `INSERT INTO "probe_${suffix}" VALUES (2); SELECT no_such_function();`);
    await expect(migrate(t.db, readMigrations(dir))).rejects.toThrow();
    // The first one committed; the broken one rolled back its insert and is not recorded.
    const count = async () =>
      (await inScriptTransaction(t.db, (tx) => tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM "probe_${suffix}"`)))[0]!.n;
    expect(await count()).toBe(1);
    fs.rmSync(path.join(dir, `29990101000001_probe_${suffix}_broken`), { recursive: true });
    expect(await migrate(t.db, readMigrations(dir))).toEqual([]);
    expect(await count()).toBe(1);
  });

  test("a migration edited after it was applied is refused", async () => {
    writeMigration(`29990101000000_probe_${suffix}`, `CREATE TABLE "probe_${suffix}" (id int, changed int);`);
    await expect(migrate(t.db, readMigrations(dir))).rejects.toThrow(/changed after it was applied/);
  });

  test.skipIf(!usingPostgres)("two migrators at once apply each migration once (advisory lock)", async () => {
    const names = readMigrations();
    const results = await Promise.all([migrate(t.db), migrate(t.db)]);
    expect(results.flat()).toEqual([]);
    expect(names.length).toBeGreaterThan(0);
  });
});
