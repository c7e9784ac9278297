// The second wall on its own: a client with ONLY row-level security (no application-level
// narrowing) still sees one customer, and nothing without one. Then the whole API with
// ROW_LEVEL_SECURITY=on: both walls together must still answer everything correctly.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RowLevelSecurityError, withRowLevelSecurity } from "../src/db/row-level-security.js";

// PostgreSQL's own refusal by a policy (42501), not just any error: a typo in the test's
// query, a foreign key or a missing column would also throw, and prove nothing.
const POLICY_REFUSAL = /violates row-level security policy/;
import { Prisma } from "../src/generated/prisma/client.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let globex: SeededCustomer;
let alice: SeededUser;
let bob: SeededUser;
let acmeRecordIds: string[];

beforeAll(async () => {
  // One pooled connection: every query below reuses the one a tenant query used before.
  t = await startTestApp({ ROW_LEVEL_SECURITY: "on", DATABASE_POOL_SIZE: "1" });
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  ({ customer: globex, admin: bob } = await t.seed.customerWithAdmin("Globex"));
  const acmeRecords = await acme.records(4, () => ({ categoryCode: "CAT007" }));
  acmeRecordIds = acmeRecords.map((record) => record.id);
  await acme.attachments(acmeRecordIds[0]!, 2);
  await globex.records(2, (index) => ({ referenceNumber: `G-${index}` }));
});
afterAll(() => t.close());

describe("row-level security alone (the application filter bypassed)", () => {
  test("B reads every table without a where clause and gets only its own rows", async () => {
    const asGlobex = withRowLevelSecurity(t.db.prisma, globex.id);
    const records = await asGlobex.record.findMany();
    expect(records.map((row) => row.referenceNumber).sort()).toEqual(["G-0", "G-1"]);
    expect(await asGlobex.record.findMany({ where: { id: { in: acmeRecordIds } } })).toEqual([]);
    expect(await asGlobex.record.findUnique({ where: { id: acmeRecordIds[0]! } })).toBeNull();
    expect(await asGlobex.attachment.count()).toBe(0);
    expect((await asGlobex.customer.findMany()).map((row) => row.id)).toEqual([globex.id]);
    expect((await asGlobex.user.findMany()).every((row) => row.customerId === globex.id)).toBe(true);
    const raw = await asGlobex.$queryRaw<Array<{ customerId: string }>>(Prisma.sql`SELECT "customerId" FROM "Record"`);
    expect(raw.map((row) => row.customerId)).toEqual([globex.id, globex.id]);
  });

  test("the statistics rollups: B reads only its own, cannot write A's, and its writes move only its own", async () => {
    const asGlobex = withRowLevelSecurity(t.db.prisma, globex.id);
    const owners = await asGlobex.$queryRaw<Array<{ customerId: string }>>(Prisma.sql`
      SELECT "customerId"::text AS "customerId" FROM "RecordStatsByCategory"
      UNION ALL SELECT "customerId"::text FROM "RecordStatsByMonth"
      UNION ALL SELECT "customerId"::text FROM "AttachmentStats"
      UNION ALL SELECT "customerId"::text FROM "JobStatsByMonth"
      UNION ALL SELECT "customerId"::text FROM "StatsDelta"`);
    expect(owners.length).toBeGreaterThan(0);
    expect(new Set(owners.map((row) => row.customerId))).toEqual(new Set([globex.id]));
    const acmeBefore = await t.db.prisma.recordStatsByCategory.findMany({ where: { customerId: acme.id } });
    expect(acmeBefore).toEqual([{ customerId: acme.id, categoryCode: "CAT007", records: 4n }]);
    await expect(
      asGlobex.recordStatsByCategory.create({ data: { customerId: acme.id, categoryCode: "EVIL", records: 1n } }),
    ).rejects.toThrow(POLICY_REFUSAL);
    expect((await asGlobex.recordStatsByCategory.updateMany({ where: { customerId: acme.id }, data: { records: 999n } })).count).toBe(0);
    // The triggers run in B's role: B's own write counts (and could count nowhere else).
    await asGlobex.record.create({
      data: { customerId: globex.id, referenceNumber: "G-STATS", categoryCode: "CAT007", title: "x", createdDate: new Date() },
    });
    expect(await asGlobex.recordStatsByCategory.findMany({ where: { categoryCode: "CAT007" } })).toEqual([
      { customerId: globex.id, categoryCode: "CAT007", records: 1n },
    ]);
    expect(await t.db.prisma.recordStatsByCategory.findMany({ where: { customerId: acme.id } })).toEqual(acmeBefore);
    await asGlobex.record.deleteMany({ where: { referenceNumber: "G-STATS" } });
  });

  test("the control: the unscoped system client sees both customers", async () => {
    const count = await t.db.prisma.record.count({ where: { customerId: { in: [acme.id, globex.id] } } });
    expect(count).toBe(6);
  });

  test("a query that forgets the tenant sees nothing at all", async () => {
    const nobody = withRowLevelSecurity(t.db.prisma, undefined);
    expect(await nobody.record.findMany()).toEqual([]);
    expect(await nobody.customer.count()).toBe(0);
    expect(await nobody.$queryRaw(Prisma.sql`SELECT * FROM "Attachment"`)).toEqual([]);
    // Straight SQL in the tenant role, the setting never made: still nothing, and no cast error.
    const rows = await t.db.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SET LOCAL ROLE testapp_tenant`;
      return tx.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM "Record"`;
    });
    expect(rows).toEqual([{ n: 0 }]);
  });

  test("B cannot write into A, nor move its rows there, nor change A's rows", async () => {
    const asGlobex = withRowLevelSecurity(t.db.prisma, globex.id);
    await expect(
      asGlobex.record.create({
        data: { customerId: acme.id, referenceNumber: "EVIL", categoryCode: "CAT001", title: "x", createdDate: new Date() },
      }),
    ).rejects.toThrow(POLICY_REFUSAL);
    await expect(asGlobex.record.updateMany({ data: { customerId: acme.id } })).rejects.toThrow(POLICY_REFUSAL);
    const changed = await asGlobex.record.updateMany({ data: { title: "renamed by B" } });
    expect(changed.count).toBe(2);
    expect(await t.db.prisma.record.count({ where: { customerId: acme.id, title: "renamed by B" } })).toBe(0);
    expect((await asGlobex.record.deleteMany({ where: { id: { in: acmeRecordIds } } })).count).toBe(0);
    expect(await t.db.prisma.record.count({ where: { id: { in: acmeRecordIds } } })).toBe(4);
  });

  test("an interactive transaction runs in the tenant's role, and its queries inside it", async () => {
    const asGlobex = withRowLevelSecurity(t.db.prisma, globex.id);
    const seen = await asGlobex.$transaction(async (tx) => {
      // The transaction client keeps this client's extensions (its refusals too).
      expect(() => tx.$queryRawUnsafe("SELECT 1")).toThrow(RowLevelSecurityError);
      expect(() => tx.$queryRaw`SELECT 1`).toThrow(RowLevelSecurityError);
      return (await tx.record.findMany()).map((row) => row.customerId);
    });
    expect(seen).toEqual([globex.id, globex.id]);
  });

  test("nothing carries over to the next user of the pooled connection", async () => {
    await withRowLevelSecurity(t.db.prisma, globex.id).record.count();
    const [after] = await t.db.prisma.$queryRaw<Array<{ role: string; tenant: string | null }>>`
      SELECT current_user AS role, current_setting('app.customer_id', true) AS tenant`;
    expect(after!.role).not.toBe("testapp_tenant");
    expect(after!.tenant ?? "").toBe("");
  });

  test("unsafe raw SQL is refused under row-level security", async () => {
    const asGlobex = withRowLevelSecurity(t.db.prisma, globex.id);
    expect(() => asGlobex.$queryRawUnsafe(`SELECT 1`)).toThrow(RowLevelSecurityError);
  });
});

describe("the API with both walls (ROW_LEVEL_SECURITY=on)", () => {
  const asBob = (query: string, variables: Record<string, unknown> = {}) =>
    t.gql(query, { token: bob.token, variables });

  test("pages, lookups and every record mutation work, and see only B", async () => {
    const page = await asBob(`{ records(first: 10) { totalCount edges { node { id attachmentCount } } } }`);
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data.records.totalCount).toBe(2);

    const created = await asBob(
      `mutation { createRecord(input: { referenceNumber: "G-NEW", categoryCode: "CAT002", title: "new" }) { record { id } } }`,
    );
    expect(created.body.errors).toBeUndefined();
    const id = created.body.data.createRecord.record.id;
    const updated = await asBob(`mutation($id: ID!) { updateRecord(input: { id: $id, title: "changed" }) { record { title } } }`, { id });
    expect(updated.body).toEqual({ data: { updateRecord: { record: { title: "changed" } } } });
    const deleted = await asBob(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, { id });
    expect(deleted.body).toEqual({ data: { deleteRecord: { deletedRecordId: id } } });

    const acmeNode = await asBob(`query($id: ID!) { node(id: $id) { id } }`, { id: encodeGlobalID("Record", acmeRecordIds[0]!) });
    expect(acmeNode.body).toEqual({ data: { node: null } });
    const acmeDelete = await asBob(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, {
      id: encodeGlobalID("Record", acmeRecordIds[1]!),
    });
    expect(acmeDelete.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect(await t.db.prisma.record.count({ where: { id: { in: acmeRecordIds } } })).toBe(4);
  });
});

describe("the dashboard statistics with both walls (ROW_LEVEL_SECURITY=on)", () => {
  test("each customer's recordStats are its own, and its mutations keep them exact", async () => {
    const query = `{ recordStats { totalRecords recordsByCategory { categoryCode count } attachmentCount } }`;
    const forAlice = await t.gql(query, { token: alice.token });
    expect(forAlice.body.errors).toBeUndefined();
    expect(forAlice.body.data.recordStats).toMatchObject({ recordsByCategory: [{ categoryCode: "CAT007", count: 4 }], attachmentCount: 2 });
    const created = await t.gql(
      `mutation { createRecord(input: { referenceNumber: "G-RLS-STATS", categoryCode: "CAT005", title: "x" }) { record { id } } }`,
      { token: bob.token },
    );
    expect(created.body.errors).toBeUndefined();
    const forBob = (await t.gql(query, { token: bob.token })).body.data.recordStats;
    const bobRecords = await t.db.prisma.record.groupBy({ by: ["categoryCode"], where: { customerId: globex.id }, _count: { _all: true } });
    expect(forBob.recordsByCategory).toEqual(
      bobRecords.map((row) => ({ categoryCode: row.categoryCode, count: row._count._all })).sort((a, b) => a.categoryCode.localeCompare(b.categoryCode)),
    );
    expect((await t.gql(query, { token: alice.token })).body.data).toEqual(forAlice.body.data);
    const deleted = await t.gql(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, {
      token: bob.token,
      variables: { id: created.body.data.createRecord.record.id },
    });
    expect(deleted.body.errors).toBeUndefined();
  });
});

describe("one tenant transaction per GraphQL query (ROW_LEVEL_SECURITY=on)", () => {
  const pageQuery = `{ records(first: 10) { totalCount edges { node { id attachmentCount attachments(first: 5) { edges { node { filename } } } } } } }`;
  const enterTenant = (sql: string) => sql.includes("set_config('app.customer_id'");
  const isCommit = (sql: string) => sql === "COMMIT";

  test("a query's reads share one transaction: the tenant entered once, one COMMIT", async () => {
    await t.gql(pageQuery, { token: alice.token }); // authenticated and cached: no SQL for it below
    const { result, sql } = await t.db.statements.capture(() => t.gql(pageQuery, { token: alice.token }));
    expect(result.body.errors).toBeUndefined();
    expect(result.body.data.records.totalCount).toBe(4);
    expect(sql.filter(enterTenant)).toHaveLength(1);
    expect(sql[0]).toSatisfy(enterTenant);
    // PostgreSQL's adapter sends COMMIT as a statement (counted); PGlite's commits by itself.
    if (t.db.kind === "postgres") expect(sql.filter(isCommit)).toEqual(["COMMIT"]);
    const reads = sql.slice(1).filter((each) => !isCommit(each));
    // The page with its total, attachment counts, first attachments: each once, whatever the page.
    expect(reads.length).toBeLessThanOrEqual(3);
    expect(reads.every((each) => /^\s*(select|with)\b/i.test(each))).toBe(true);
  });

  test("positive control: a mutation's statements each get their own transaction", async () => {
    const { result, sql } = await t.db.statements.capture(() =>
      t.gql(
        `mutation { createRecord(input: { referenceNumber: "A-RLS-1", categoryCode: "CAT001", title: "x" }) {
          record { id attachmentCount attachments(first: 5) { edges { node { filename } } } } } }`,
        { token: alice.token },
      ),
    );
    expect(result.body.errors).toBeUndefined();
    const statements = sql.filter((each) => !enterTenant(each) && !isCommit(each));
    expect(statements.length).toBeGreaterThanOrEqual(3); // the insert and the payload's reads
    expect(sql.filter(enterTenant)).toHaveLength(statements.length);
    await t.db.prisma.record.deleteMany({ where: { referenceNumber: "A-RLS-1" } });
  });

  test("nothing carries over to the next user of the pooled connection after a query", async () => {
    await t.gql(pageQuery, { token: bob.token });
    const [after] = await t.db.prisma.$queryRaw<Array<{ role: string; tenant: string | null }>>`
      SELECT current_user AS role, current_setting('app.customer_id', true) AS tenant`;
    expect(after!.role).not.toBe("testapp_tenant");
    expect(after!.tenant ?? "").toBe("");
  });

  test("concurrent requests of two customers, lookups by id included, each see only their own", async () => {
    const acmeIds = acmeRecordIds.map((id) => encodeGlobalID("Record", id));
    const lookup = `query($ids: [ID!]!) { nodes(ids: $ids) { id } records(first: 10) { edges { node { referenceNumber } } } }`;
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, index) => {
        const user = index % 2 === 0 ? alice : bob;
        return t.gql(lookup, { token: user.token, variables: { ids: acmeIds } }).then((response) => ({ user, response }));
      }),
    );
    for (const { user, response } of answers) {
      expect(response.body.errors).toBeUndefined();
      const { nodes, records } = response.body.data;
      const references = records.edges.map((edge: { node: { referenceNumber: string } }) => edge.node.referenceNumber);
      if (user === alice) {
        expect(nodes.map((node: { id: string } | null) => node?.id)).toEqual(acmeIds);
        expect(references.some((reference: string) => reference.startsWith("G-"))).toBe(false);
      } else {
        expect(nodes).toEqual(acmeIds.map(() => null));
        expect(references.every((reference: string) => reference.startsWith("G-"))).toBe(true);
      }
    }
  });
});
