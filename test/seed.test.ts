// The demo and bulk seeds on the embedded database: what the contract promises about the
// demo data, that seeding never touches a non-empty database, that bulk seeding is
// idempotent, and that seeded records keep the record rules. Also the db:seed command line.
import { isDeepStrictEqual } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { seedBulkData, seedDemoData } from "../prisma/seed.js";
import { parseSeedArguments } from "../src/cli/seed-arguments.js";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { recordFieldRules } from "../src/records/record-field-rules.js";

describe("seed", () => {
  let db: Database;
  const query = async <T>(sql: string) => (await db.pglite!.query<T>(sql)).rows;

  beforeAll(async () => {
    db = await openDatabase(loadConfig({ NODE_ENV: "test" }), { pglite: await PGlite.create() });
    await migrate(db);
  }, 30_000);
  afterAll(async () => {
    await db.close();
    await db.pglite?.close();
  });

  it("seeds the demo data into an empty database, once", async () => {
    expect(await seedDemoData(db)).toEqual({ seeded: true });
    expect(await seedDemoData(db)).toEqual({ seeded: false });

    const users = await query<{ email: string; role: string; slug: string }>(
      `SELECT u.email, u.role, c.slug FROM "User" u JOIN "Customer" c ON c.id = u."customerId" ORDER BY u.email`,
    );
    expect(users).toEqual([
      { email: "alice@acme.test", role: "ADMIN", slug: "acme" },
      { email: "bob@globex.test", role: "ADMIN", slug: "globex" },
      { email: "carol@acme.test", role: "VIEWER", slug: "acme" },
    ]);
    const [stats] = await query<{ records: number; categories: number; dates: number; bare: number; refs: number }>(`
      SELECT count(*)::int AS records,
             count(DISTINCT "categoryCode")::int AS categories,
             count(DISTINCT ("customerId", "createdDate"))::int AS dates,
             count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "Attachment" a WHERE a."recordId" = r.id))::int AS bare,
             count(*) FILTER (WHERE "referenceNumber" IN ('ACME-0001', 'GLOBEX-0001'))::int AS refs
      FROM "Record" r`);
    expect(stats).toMatchObject({ records: 50, categories: 10, bare: 0, refs: 2 });
    expect(stats!.dates).toBeLessThan(stats!.records); // ties on the sort key, on purpose
  });

  it("bulk seeds customers with admins and records, and adds nothing the second time", async () => {
    const options = { customers: 3, recordsPerCustomer: 40, attachmentsPerRecord: 2 };
    const first = await seedBulkData(db, options);
    expect(first).toMatchObject({ demoSeeded: false, customers: 3, customersCreated: 1, recordsCreated: 120, attachmentsCreated: 240 });
    const second = await seedBulkData(db, options);
    expect(second).toMatchObject({ customers: 3, customersCreated: 0, recordsCreated: 0, attachmentsCreated: 0 });

    const admins = await query<{ email: string; role: string }>(
      `SELECT email, role FROM "User" WHERE email LIKE 'admin@%' ORDER BY email`,
    );
    expect(admins).toEqual([{ email: "admin@bulk-001.test", role: "ADMIN" }]);
  });

  // The seeds write in SQL, for speed, so they cannot call the record service; instead every
  // record they wrote must be one createRecord and a sync would take exactly as it is.
  it("writes only records the record field rules accept unchanged (demo and bulk)", async () => {
    const rows = await db.prisma.record.findMany({
      select: { referenceNumber: true, categoryCode: true, title: true, createdDate: true },
    });
    expect(rows.length).toBe(50 + 120);
    const recordFields = z.object(recordFieldRules);
    const acceptedAsIs = (row: (typeof rows)[number]) => isDeepStrictEqual(recordFields.safeParse(row).data, row);
    expect(rows.filter((row) => !acceptedAsIs(row))).toEqual([]);
    // Positive controls: the check fails a record the rules refuse, and one they would change.
    expect(acceptedAsIs({ ...rows[0]!, categoryCode: "cat001" })).toBe(false);
    expect(acceptedAsIs({ ...rows[0]!, title: " padded " })).toBe(false);
  });
});

describe("db:seed arguments", () => {
  it("means the demo data without flags and bulk data with any", () => {
    expect(parseSeedArguments([])).toEqual({ mode: "demo" });
    expect(parseSeedArguments(["--records", "100000"])).toEqual({
      mode: "bulk",
      options: { customers: 2, recordsPerCustomer: 100_000, attachmentsPerRecord: 0 },
    });
    expect(parseSeedArguments(["--customers=5", "--records", "10", "--attachments", "3"])).toEqual({
      mode: "bulk",
      options: { customers: 5, recordsPerCustomer: 10, attachmentsPerRecord: 3 },
    });
  });

  it("refuses what is not a count, with the flag's name", () => {
    expect(() => parseSeedArguments(["--records", "ten"])).toThrow(/--records must be a whole number/);
    expect(() => parseSeedArguments(["--customers", "0"])).toThrow(/--customers must be a whole number >= 1/);
    expect(() => parseSeedArguments(["--records", "-5"])).toThrow(/--records/);
    expect(() => parseSeedArguments(["--bogus"])).toThrow(/Unknown option '--bogus'/);
  });
});
