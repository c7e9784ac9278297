// Query.recordStats: the viewer's customer's counts, read from rollups the database keeps in
// the writing transaction (migration 20261201230000_record_stats). What it answers, its range
// rules and errors, tenant isolation, and what it costs: one statement that reads no record.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedBulkRecords } from "../prisma/seed.js";
import { JobStatus } from "../src/generated/prisma/client.js";
import { removeFinishedJobs } from "../src/jobs/job-cleanup.js";
import { formatYearMonth, monthOf } from "../src/stats/month-range.js";
import { groupBySnapshot, leftoverDeltas, rollupSnapshot } from "./helpers/record-stats-oracle.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

export const STATS_QUERY = `query Stats($filter: RecordStatsFilter) {
  recordStats(filter: $filter) {
    fromMonth toMonth totalRecords
    recordsByCategory { categoryCode count }
    recordsByMonth { month count }
    attachmentCount attachmentBytes
    jobsByStatus { status count }
  }
}`;

let t: TestApp;
let acme: SeededCustomer;
let globex: SeededCustomer;
let alice: SeededUser;
let carol: SeededUser;
let bob: SeededUser;

const utc = (iso: string) => new Date(iso);

async function job(customer: SeededCustomer, createdAt: string, statuses: JobStatus[]) {
  const created = await t.db.prisma.collectionJob.create({
    data: { customerId: customer.id, kind: "RECORD_SYNC", sourceUrl: "http://feed.test/", createdAt: utc(createdAt), status: statuses[0] },
  });
  // Each later status is an update, as the worker makes them. Finished now: test files share the
  // database, and a cleanup in another file must not take these jobs away before the comparisons.
  for (const status of statuses.slice(1)) {
    await t.db.prisma.collectionJob.update({
      where: { id: created.id },
      data: { status, finishedAt: ["SUCCEEDED", "FAILED", "CANCELLED"].includes(status) ? new Date() : null },
    });
  }
  return created;
}

beforeAll(async () => {
  t = await startTestApp();
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  ({ customer: globex, admin: bob } = await t.seed.customerWithAdmin("Globex"));
  carol = await acme.user({ role: "VIEWER" });
  // Month edges on purpose: the last millisecond of November, the first of December (UTC).
  const dates = ["2025-11-30T23:59:59.999Z", "2025-12-01T00:00:00.000Z", "2025-12-15T12:00:00Z", "2026-02-10T08:00:00Z", "2024-06-01T00:00:00Z"];
  const categories = ["CAT001", "CAT002", "CAT001", "CAT003", "CAT002"];
  const records = await acme.records(5, (index) => ({ categoryCode: categories[index]!, createdDate: utc(dates[index]!) }));
  await acme.attachments(records[0]!.id, 2); // 1000 + 1001 bytes
  await acme.attachments(records[3]!.id, 1); // 1000 bytes
  await job(acme, "2025-12-03T10:00:00Z", ["QUEUED", "RUNNING", "SUCCEEDED"]);
  await job(acme, "2026-01-20T10:00:00Z", ["QUEUED", "RUNNING", "FAILED"]);
  await job(acme, "2026-02-01T00:00:00Z", ["QUEUED"]);
  await job(acme, "2024-01-01T00:00:00Z", ["QUEUED", "CANCELLED"]); // outside the range below
  // Globex: the same months and categories, other numbers.
  await globex.records(2, () => ({ categoryCode: "CAT001", createdDate: utc("2025-12-24T00:00:00Z") }));
  await job(globex, "2025-12-24T00:00:00Z", ["QUEUED", "RUNNING"]);
});
afterAll(() => t.close());

const stats = (token: string, filter?: Record<string, unknown>) =>
  t.gql(STATS_QUERY, { token, variables: filter ? { filter } : {} });

/** Every status, in the enum's order, with these counts (the others 0). */
const jobsByStatus = (counts: Partial<Record<JobStatus, number>>) =>
  Object.values(JobStatus).map((status) => ({ status, count: counts[status] ?? 0 }));

describe("what it answers", () => {
  test("records by category and by month, attachments, jobs by status, for the range asked", async () => {
    const response = await stats(alice.token, { fromMonth: "2025-11", toMonth: "2026-02" });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.recordStats).toEqual({
      fromMonth: "2025-11",
      toMonth: "2026-02",
      totalRecords: 5,
      recordsByCategory: [
        { categoryCode: "CAT001", count: 2 },
        { categoryCode: "CAT002", count: 2 },
        { categoryCode: "CAT003", count: 1 },
      ],
      recordsByMonth: [
        { month: "2025-11", count: 1 },
        { month: "2025-12", count: 2 },
        { month: "2026-01", count: 0 },
        { month: "2026-02", count: 1 },
      ],
      attachmentCount: 3,
      attachmentBytes: 3001,
      jobsByStatus: jobsByStatus({ SUCCEEDED: 1, FAILED: 1, QUEUED: 1 }),
    });
  });

  test("by default the last 12 months, the current one included, every month listed", async () => {
    const { admin: user } = await t.seed.customerWithAdmin("Fresh");
    const created = await t.gql(
      `mutation { createRecord(input: { referenceNumber: "NOW-1", categoryCode: "CAT009", title: "now" }) { record { id } } }`,
      { token: user.token },
    );
    expect(created.body.errors).toBeUndefined();
    const now = monthOf(new Date());
    const { recordStats } = (await stats(user.token)).body.data;
    expect(recordStats.fromMonth).toBe(formatYearMonth(now - 11));
    expect(recordStats.toMonth).toBe(formatYearMonth(now));
    expect(recordStats.recordsByMonth.map((each: { month: string }) => each.month)).toEqual(
      Array.from({ length: 12 }, (_, index) => formatYearMonth(now - 11 + index)),
    );
    expect(recordStats.recordsByMonth.map((each: { count: number }) => each.count)).toEqual([...Array(11).fill(0), 1]);
    expect(recordStats).toMatchObject({ totalRecords: 1, attachmentCount: 0, attachmentBytes: 0, jobsByStatus: jobsByStatus({}) });
  });

  test("one end given: toMonth alone covers the 12 months up to it", async () => {
    const { recordStats } = (await stats(alice.token, { toMonth: "2026-02" })).body.data;
    expect(recordStats.fromMonth).toBe("2025-03");
    expect(recordStats.recordsByMonth).toHaveLength(12);
    // Totals and categories are never narrowed by the range; months and jobs are.
    expect(recordStats.totalRecords).toBe(5);
    const older = (await stats(alice.token, { fromMonth: "2024-01", toMonth: "2024-06" })).body.data.recordStats;
    expect(older.recordsByMonth.at(-1)).toEqual({ month: "2024-06", count: 1 });
    expect(older.jobsByStatus).toEqual(jobsByStatus({ CANCELLED: 1 }));
  });

  test("a VIEWER may read them; without a token: UNAUTHENTICATED", async () => {
    const asCarol = await stats(carol.token, { fromMonth: "2025-11", toMonth: "2026-02" });
    const asAlice = await stats(alice.token, { fromMonth: "2025-11", toMonth: "2026-02" });
    expect(asCarol.body).toEqual(asAlice.body);
    const anonymous = await t.gql(STATS_QUERY);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});

describe("the range", () => {
  test.each([
    [{ fromMonth: "2026-03", toMonth: "2026-02" }, /after toMonth/, "fromMonth"],
    [{ fromMonth: "2016-01", toMonth: "2026-01" }, /121 months; at most 120/, "fromMonth"],
  ])("%j is BAD_USER_INPUT naming the field", async (filter, message, field) => {
    const response = await stats(alice.token, filter);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(response.body.errors?.[0]?.message).toMatch(message);
    expect(response.body.data).toBeNull();
  });

  test("exactly 120 months is allowed", async () => {
    const response = await stats(alice.token, { fromMonth: "2016-02", toMonth: "2026-01" });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.recordStats.recordsByMonth).toHaveLength(120);
  });

  test.each(["2026-13", "2026-1", "26-01", "2026-01-01", "0000-12", "", 202601])(
    "the month %j is BAD_USER_INPUT, in variables and in the document",
    async (month) => {
      const inVariables = await stats(alice.token, { toMonth: month });
      expect(inVariables.status).toBeLessThan(500);
      expect(inVariables.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      const literal = await t.gql(`{ recordStats(filter: { toMonth: ${JSON.stringify(month)} }) { totalRecords } }`, {
        token: alice.token,
      });
      expect(literal.status).toBeLessThan(500);
      expect(literal.body.errors?.[0]?.extensions?.code).toMatch(/^(BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED)$/);
    },
  );
});

describe("tenant isolation", () => {
  test("B gets exactly its own counts, never A's", async () => {
    const response = await stats(bob.token, { fromMonth: "2025-11", toMonth: "2026-02" });
    expect(response.body.data.recordStats).toEqual({
      fromMonth: "2025-11",
      toMonth: "2026-02",
      totalRecords: 2,
      recordsByCategory: [{ categoryCode: "CAT001", count: 2 }],
      recordsByMonth: [
        { month: "2025-11", count: 0 },
        { month: "2025-12", count: 2 },
        { month: "2026-01", count: 0 },
        { month: "2026-02", count: 0 },
      ],
      attachmentCount: 0,
      attachmentBytes: 0,
      jobsByStatus: jobsByStatus({ RUNNING: 1 }),
    });
  });

  test("a customer B's writes never move A's counts", async () => {
    const before = await rollupSnapshot(t.db, [acme.id]);
    const created = await t.gql(
      `mutation { createRecord(input: { referenceNumber: "G-ISO", categoryCode: "CAT001", title: "x", createdDate: "2025-12-01T00:00:00Z" }) { record { id } } }`,
      { token: bob.token },
    );
    expect(created.body.errors).toBeUndefined();
    expect(await rollupSnapshot(t.db, [acme.id])).toEqual(before);
  });
});

describe("cost", () => {
  test("one statement per request at 5 and at 20,000 records, and it reads no record, attachment or job", async () => {
    const { customer: large, admin } = await t.seed.customerWithAdmin("Large");
    await seedBulkRecords(t.db, { customerIds: [large.id], recordsPerCustomer: 20_000, attachmentsPerRecord: 1 });
    const filter = { fromMonth: "2024-01", toMonth: "2026-12" };
    // The first request of a user also looks the user up (the positive control: the counter counts).
    for (const user of [alice, admin]) {
      const cold = await t.db.statements.measure(() => stats(user.token, filter));
      expect(cold.result.body.errors).toBeUndefined();
      expect(cold.statements).toBeLessThanOrEqual(2);
    }
    const counts: number[] = [];
    for (const user of [alice, admin]) {
      const { result, sql } = await t.db.statements.capture(() => stats(user.token, filter));
      expect(result.body.errors).toBeUndefined();
      counts.push(sql.length);
      for (const statement of sql) expect(statement).not.toMatch(/"(Record|Attachment|CollectionJob)"/);
    }
    expect(counts).toEqual([1, 1]);
    const largeStats = (await stats(admin.token, filter)).body.data.recordStats;
    expect(largeStats).toMatchObject({ totalRecords: 20_000, attachmentCount: 20_000 });
  });
});

describe("the rollups", () => {
  test("equal a GROUP BY of the rows after a bulk seed, and no delta outlives its transaction", async () => {
    const seeded = await t.seed.customer("Seeded");
    await seedBulkRecords(t.db, { customerIds: [seeded.id], recordsPerCustomer: 3_000, attachmentsPerRecord: 3 });
    const ids = [acme.id, globex.id, seeded.id];
    expect(await rollupSnapshot(t.db, ids)).toEqual(await groupBySnapshot(t.db, ids));
    expect(Object.keys((await rollupSnapshot(t.db, [seeded.id])).months).length).toBeGreaterThan(12);
    expect(await leftoverDeltas(t.db)).toBe(0);
  });

  test("removing finished jobs past their retention keeps them in the counts (history)", async () => {
    const { customer, admin: user } = await t.seed.customerWithAdmin("Retention");
    const finished = await job(customer, "2026-01-05T00:00:00Z", ["QUEUED", "RUNNING", "SUCCEEDED"]);
    const filter = { fromMonth: "2026-01", toMonth: "2026-01" };
    const before = (await stats(user.token, filter)).body.data.recordStats.jobsByStatus;
    expect(before).toEqual(jobsByStatus({ SUCCEEDED: 1 }));
    // Finished in 2000, cleaned up a month later: only this job is that old (test files share the database).
    await t.db.prisma.collectionJob.update({ where: { id: finished.id }, data: { finishedAt: utc("2000-01-01T00:00:00Z") } });
    await removeFinishedJobs(t.db.prisma, 7, utc("2000-02-01T00:00:00Z"));
    expect(await t.db.prisma.collectionJob.count({ where: { customerId: customer.id } })).toBe(0);
    expect((await stats(user.token, filter)).body.data.recordStats.jobsByStatus).toEqual(before);
  });

  test("deleting a customer deletes its rollups with it, and nothing is left pending", async () => {
    const doomed = await t.seed.customer("Doomed");
    const records = await doomed.records(3, () => ({}));
    await doomed.attachments(records[0]!.id, 2);
    await job(doomed, "2026-01-05T00:00:00Z", ["QUEUED"]);
    expect((await rollupSnapshot(t.db, [doomed.id])).categories).not.toEqual({});
    await t.db.prisma.customer.delete({ where: { id: doomed.id } });
    expect(await rollupSnapshot(t.db, [doomed.id])).toEqual({ categories: {}, months: {}, attachments: {}, jobs: {} });
    expect(await leftoverDeltas(t.db)).toBe(0);
  });

  test("a title edit adds no delta; a rolled-back write changes nothing", async () => {
    const [record] = await acme.records(1, () => ({ referenceNumber: `ROLLBACK-${randomUUID().slice(0, 6)}` }));
    const before = await rollupSnapshot(t.db, [acme.id]);
    await t.db.prisma.record.update({ where: { id: record!.id }, data: { title: "renamed" } });
    await expect(
      t.db.prisma.$transaction(async (tx) => {
        await tx.record.update({ where: { id: record!.id }, data: { categoryCode: "CAT-ROLLED-BACK" } });
        await tx.attachment.create({
          data: { customerId: acme.id, recordId: record!.id, filename: "x", contentType: "a/b", sizeBytes: 10 },
        });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await rollupSnapshot(t.db, [acme.id])).toEqual(before);
    expect(await rollupSnapshot(t.db, [acme.id])).toEqual(await groupBySnapshot(t.db, [acme.id]));
  });
});
