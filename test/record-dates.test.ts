// Record dates outside years 0001-9999 of UTC (issue 12, point 2): refused as BAD_USER_INPUT by
// every mutation and filter that takes one, rejected (with the reason) by a sync while the
// rest of its page is applied, refused by the database's CHECK as a backstop, and repaired by
// the migration where already stored, so no stored row can make a list fail to render.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import { readMigrations } from "../src/db/migrate.js";
import { inScriptTransaction } from "../src/db/sql-script-runner.js";
import { feedRecords, pagedFeed } from "./helpers/feed-server.js";
import { startSync, waitForJob } from "./helpers/job-app.js";
import { feed, freshCustomer, t, useSyncTestContext } from "./helpers/sync-test-context.js";

useSyncTestContext();

const createRecord = `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id createdDate } } }`;
const updateRecord = `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id createdDate } } }`;
const listWithCursors = `query($filter: RecordFilter, $after: String, $order: RecordOrder) {
  records(first: 2, filter: $filter, after: $after, orderBy: $order) { edges { cursor node { referenceNumber createdDate } } pageInfo { hasNextPage endCursor } }
}`;

// Year 10000 in UTC, written with an offset that hides it; and 0000-12-31 in UTC the same way.
const outOfRange = ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+00:01", "0000-06-01T00:00:00Z"];
const earliest = "0001-01-01T00:00:00.000Z";
const latest = "9999-12-31T23:59:59.999Z";

describe("mutations", () => {
  it.each(outOfRange)("createRecord refuses %s as BAD_USER_INPUT on createdDate, and stores nothing", async (date) => {
    const { customer, admin } = await freshCustomer();
    const response = await t.gql(createRecord, {
      token: admin.token,
      variables: { input: { referenceNumber: "D-1", categoryCode: "CAT001", title: "x", createdDate: date } },
    });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "createdDate" });
    expect(response.body.errors?.[0]?.message).toMatch(/createdDate: must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z \(UTC\)/);
    expect(await t.db.prisma.record.count({ where: { customerId: customer.id } })).toBe(0);
    const list = await t.gql(listWithCursors, { token: admin.token });
    expect(list.body).toEqual({ data: { records: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
  });

  it.each(outOfRange)("updateRecord refuses %s and leaves the record as it was", async (date) => {
    const { customer, admin } = await freshCustomer();
    const record = await customer.record({ createdDate: new Date("2026-01-01T00:00:00Z") });
    const response = await t.gql(updateRecord, {
      token: admin.token,
      variables: { input: { id: encodeGlobalID("Record", record.id), createdDate: date } },
    });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "createdDate" });
    const stored = await t.db.prisma.record.findUniqueOrThrow({ where: { id: record.id } });
    expect(stored.createdDate.toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("accepts both ends of the range, and the list pages through them with cursors in both orders", async () => {
    const { admin } = await freshCustomer();
    const dates = [earliest, "2026-01-01T00:00:00.000Z", latest, "9999-12-31T23:59:59+00:00", "0001-01-01T00:59:59+00:00"];
    for (const [index, createdDate] of dates.entries()) {
      const response = await t.gql(createRecord, {
        token: admin.token,
        variables: { input: { referenceNumber: `EDGE-${index}`, categoryCode: "CAT001", title: "x", createdDate } },
      });
      expect(response.body.errors).toBeUndefined();
    }
    for (const order of ["CREATED_DATE_DESC", "CREATED_DATE_ASC"]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 5; page++) {
        const response: any = await t.gql(listWithCursors, { token: admin.token, variables: { after, order } });
        expect(response.body.errors).toBeUndefined();
        seen.push(...response.body.data.records.edges.map((edge: any) => edge.node.createdDate));
        if (!response.body.data.records.pageInfo.hasNextPage) break;
        after = response.body.data.records.pageInfo.endCursor;
      }
      const expected = [earliest, "0001-01-01T00:59:59.000Z", "2026-01-01T00:00:00.000Z", "9999-12-31T23:59:59.000Z", latest];
      expect(seen).toEqual(order === "CREATED_DATE_ASC" ? expected : expected.reverse());
    }
  });
});

describe("filters", () => {
  it.each(["createdAfter", "createdBefore"])("records(filter: { %s }) out of range is BAD_USER_INPUT naming it", async (field) => {
    const { admin } = await freshCustomer();
    for (const date of outOfRange) {
      const response = await t.gql(listWithCursors, { token: admin.token, variables: { filter: { [field]: date } } });
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: `filter.${field}` });
    }
    const inRange = await t.gql(listWithCursors, { token: admin.token, variables: { filter: { [field]: latest } } });
    expect(inRange.body.errors).toBeUndefined();
  });

  it("recordStats months are bounded to 0001-01..9999-12 too", async () => {
    const { admin } = await freshCustomer();
    const response = await t.gql(`{ recordStats(filter: { toMonth: "10000-01" }) { totalRecords } }`, { token: admin.token });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    const edge = await t.gql(`{ recordStats(filter: { fromMonth: "9999-01", toMonth: "9999-12" }) { totalRecords } }`, {
      token: admin.token,
    });
    expect(edge.body.errors).toBeUndefined();
  });
});

describe("sync", () => {
  it("rejects a record with an out-of-range date with its reason, and applies its neighbours", async () => {
    const { customer, admin } = await freshCustomer();
    const [a, b, c] = feedRecords(3, "dates");
    const records = [a, { ...b, createdDate: "9999-12-31T23:59:59-23:59" }, { ...c, createdDate: latest }];
    const job = await waitForJob(t, admin.token, await startSync(t, admin.token, feed.route(pagedFeed(records, 10))));
    expect(job.status).toBe("SUCCEEDED");
    expect(job.result).toMatchObject({ created: 2, rejected: 1 });
    expect(job.result!.rejections).toEqual([
      { referenceNumber: b!.referenceNumber, reason: "createdDate: must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (UTC)" },
    ]);
    expect(await t.db.prisma.record.count({ where: { customerId: customer.id } })).toBe(2);
    const list = await t.gql(listWithCursors, { token: admin.token });
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data.records.edges[0].node.createdDate).toBe(latest);
  });
});

describe("the database", () => {
  const yearTenThousand = "10000-01-01 23:58:59+00";

  it("refuses an out-of-range date from a writer that skips the application (CHECK constraint)", async () => {
    const { customer } = await freshCustomer();
    await expect(
      t.db.prisma.$executeRaw`INSERT INTO "Record" (id, "customerId", "referenceNumber", "categoryCode", title, "createdDate", "updatedAt")
        VALUES (gen_random_uuid(), ${customer.id}::uuid, 'RAW-1', 'CAT001', 'x', ${yearTenThousand}::timestamptz, now())`,
    ).rejects.toThrow(/Record_createdDate_range/);
  });

  it("the migration moves a stored out-of-range date into the range, so the customer's list renders again", async () => {
    const { customer, admin } = await freshCustomer();
    await customer.record({ referenceNumber: "FINE-1", createdDate: new Date("2026-01-01T00:00:00Z") });
    const migration = readMigrations().find((m) => m.name.endsWith("_record_date_range"))!;
    // A database as it was before the rule: no constraint, and a row the bug stored.
    await t.db.prisma.$executeRawUnsafe(`ALTER TABLE "Record" DROP CONSTRAINT "Record_createdDate_range"`);
    try {
      await t.db.prisma.$executeRaw`INSERT INTO "Record" (id, "customerId", "referenceNumber", "categoryCode", title, "createdDate", "updatedAt")
        VALUES (gen_random_uuid(), ${customer.id}::uuid, 'BROKEN-1', 'CAT001', 'x', ${yearTenThousand}::timestamptz, now())`;
      const broken = await t.gql(listWithCursors, { token: admin.token });
      expect(broken.body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR"); // the reported failure
    } finally {
      await inScriptTransaction(t.db, (tx) => tx.exec(migration.sql));
    }
    const repaired = await t.gql(listWithCursors, { token: admin.token });
    expect(repaired.body.errors).toBeUndefined();
    expect(repaired.body.data.records.edges.map((edge: any) => edge.node)).toEqual([
      { referenceNumber: "BROKEN-1", createdDate: latest },
      { referenceNumber: "FINE-1", createdDate: "2026-01-01T00:00:00.000Z" },
    ]);
  });
});
