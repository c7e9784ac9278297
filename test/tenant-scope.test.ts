// The tenant-scoped client on its own: it narrows every model operation to one customer
// and fails closed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Prisma } from "../src/generated/prisma/client.js";
import { createTenantScopedClient, TenantScopeError } from "../src/db/tenant-scope.js";
import type { SeededCustomer } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let globex: SeededCustomer;

beforeAll(async () => {
  t = await startTestApp();
  acme = await t.seed.customer("Acme");
  globex = await t.seed.customer("Globex");
  await acme.records(3, () => ({}));
  await globex.records(2, () => ({}));
});
afterAll(() => t.close());

describe("createTenantScopedClient", () => {
  test("reads, counts and aggregates see one customer", async () => {
    const scoped = createTenantScopedClient(t.db.prisma, globex.id);
    expect(await scoped.record.count()).toBe(2);
    expect((await scoped.record.findMany()).every((row) => row.customerId === globex.id)).toBe(true);
    expect(await scoped.customer.findMany()).toHaveLength(1);
    const grouped = await scoped.record.groupBy({ by: ["customerId"], _count: { _all: true } });
    expect(grouped).toEqual([{ customerId: globex.id, _count: { _all: 2 } }]);
  });

  test("the statistics rollups are narrowed like the rows they count", async () => {
    const scoped = createTenantScopedClient(t.db.prisma, globex.id);
    const rollups = [
      await scoped.recordStatsByCategory.findMany(),
      await scoped.recordStatsByMonth.findMany(),
      await scoped.attachmentStats.findMany(),
      await scoped.jobStatsByMonth.findMany(),
    ].flat();
    expect(rollups.length).toBeGreaterThan(0);
    expect(rollups.every((row) => row.customerId === globex.id)).toBe(true);
    const counted = await scoped.recordStatsByCategory.aggregate({ _sum: { records: true } });
    expect(counted._sum.records).toBe(2n);
  });

  test("writes are stamped with the tenant; bulk changes stay inside it", async () => {
    const scoped = createTenantScopedClient(t.db.prisma, globex.id);
    const created = await scoped.record.create({
      data: { referenceNumber: "G-NEW", categoryCode: "CAT001", title: "x", createdDate: new Date() } as never,
    });
    expect(created.customerId).toBe(globex.id);
    const changed = await scoped.record.updateMany({ data: { title: "renamed" } });
    expect(changed.count).toBe(3);
    expect(await t.db.prisma.record.count({ where: { customerId: acme.id, title: "renamed" } })).toBe(0);
  });

  test("writing or moving a row into another customer throws", async () => {
    const scoped = createTenantScopedClient(t.db.prisma, globex.id);
    await expect(
      scoped.record.create({
        data: { customerId: acme.id, referenceNumber: "EVIL", categoryCode: "CAT001", title: "x", createdDate: new Date() },
      }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    await expect(scoped.record.updateMany({ data: { customerId: acme.id } })).rejects.toBeInstanceOf(TenantScopeError);
  });

  test("fails closed without a tenant", async () => {
    const scoped = createTenantScopedClient(t.db.prisma, undefined);
    await expect(scoped.record.findMany()).rejects.toBeInstanceOf(TenantScopeError);
    await expect(scoped.customer.findFirst()).rejects.toBeInstanceOf(TenantScopeError);
  });

  test("raw SQL is refused unless it binds the tenant", async () => {
    const scoped = createTenantScopedClient(t.db.prisma, globex.id);
    expect(() => scoped.$queryRaw`SELECT 1`).toThrow(TenantScopeError);
    await expect(scoped.$queryTenant(() => Prisma.sql`SELECT * FROM "Record"`)).rejects.toBeInstanceOf(TenantScopeError);
    const rows = await scoped.$queryTenant<{ n: number }>(
      (customerId) => Prisma.sql`SELECT count(*)::int AS n FROM "Record" WHERE "customerId" = ${customerId}::uuid`,
    );
    expect(rows[0]!.n).toBeGreaterThan(0);
  });

  test("the database refuses an attachment pointing at another customer's record", async () => {
    const acmeRecord = await t.db.prisma.record.findFirstOrThrow({ where: { customerId: acme.id } });
    await expect(
      t.db.prisma.attachment.create({
        data: { customerId: globex.id, recordId: acmeRecord.id, filename: "x", contentType: "text/plain", sizeBytes: 1 },
      }),
    ).rejects.toThrow();
  });
});
