// Property: whatever mix of writes a customer makes (creates; updates that move records between
// categories and months; deletes; attachment uploads and removals; one UPDATE over many rows, as
// scripts write; and a sync that creates, changes and attaches), the rollups equal a GROUP BY of
// the real rows, for that customer and for a bystander, no delta is left behind, and recordStats
// answers what the GROUP BY says. Bounded runs keep the file fast; a failure prints its seed.
import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type FeedRecordFixture, type FeedServer, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { type JobTestApp, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";
import { groupBySnapshot, leftoverDeltas, rollupSnapshot } from "./helpers/record-stats-oracle.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { patternedBytes, removeAttachment, uploadAttachment } from "./helpers/upload-request.js";

const RANGE = { fromMonth: "2025-11", toMonth: "2026-03" };

let t: JobTestApp;
let feed: FeedServer;
let acme: SeededCustomer;
let globex: SeededCustomer;
let alice: SeededUser;

beforeAll(async () => {
  t = await startJobTestApp({ worker: true });
  feed = await startFeedServer();
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  globex = await t.seed.customer("Globex");
  // The bystander: rows in the same categories and months, never written below.
  const bystanders = await globex.records(5, (index) => ({ categoryCode: "CAT-A", createdDate: new Date(Date.UTC(2026, 0, index + 1)) }));
  await globex.attachments(bystanders[0]!.id, 2);
}, 60_000);
afterAll(async () => {
  await feed.close();
  await t.closeAll();
});

const category = fc.constantFrom("CAT-A", "CAT-B", "CAT-C", "CAT-D");
// Dates inside the range and just outside it, month edges (UTC) often.
const monthEdges = ["2025-10-31T23:59:59.999Z", "2025-11-01T00:00:00.000Z", "2025-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z", "2026-03-31T23:59:59.999Z", "2026-04-01T00:00:00.000Z"];
const createdDate = fc.oneof(
  fc.constantFrom(...monthEdges),
  fc.date({ min: new Date("2025-10-15T00:00:00Z"), max: new Date("2026-04-15T00:00:00Z"), noInvalidDate: true }).map((date) => date.toISOString()),
);
const pick = fc.nat({ max: 1_000 });

type Operation =
  | { kind: "create"; categoryCode: string; createdDate: string }
  | { kind: "update"; pick: number; categoryCode: string | null; createdDate: string | null }
  | { kind: "delete"; pick: number }
  | { kind: "attach"; pick: number; sizeBytes: number }
  | { kind: "detach"; pick: number }
  | { kind: "moveMany"; picks: number[]; categoryCode: string };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant("create" as const), categoryCode: category, createdDate }),
  fc.record({ kind: fc.constant("update" as const), pick, categoryCode: fc.option(category), createdDate: fc.option(createdDate) }),
  fc.record({ kind: fc.constant("delete" as const), pick }),
  fc.record({ kind: fc.constant("attach" as const), pick, sizeBytes: fc.integer({ min: 0, max: 4_000 }) }),
  fc.record({ kind: fc.constant("detach" as const), pick }),
  fc.record({ kind: fc.constant("moveMany" as const), picks: fc.array(pick, { minLength: 2, maxLength: 5 }), categoryCode: category }),
);

/** A feed of existing records (changed) and new ones, each with attachments by filename. */
const syncRecord = fc.record({
  existing: fc.option(pick, { nil: null }),
  categoryCode: category,
  createdDate,
  attachments: fc.uniqueArray(fc.record({ filename: fc.constantFrom("a.pdf", "b.pdf", "c.pdf"), sizeBytes: fc.integer({ min: 0, max: 4_000 }) }), {
    selector: (attachment) => attachment.filename,
    maxLength: 2,
  }),
});

const chosen = <T>(rows: T[], index: number): T | undefined => (rows.length ? rows[index % rows.length] : undefined);

async function acmeRecords() {
  return t.db.prisma.record.findMany({ where: { customerId: acme.id }, orderBy: { id: "asc" } });
}

function expectOk(response: { body: { errors?: unknown } }): void {
  expect(response.body.errors).toBeUndefined();
}

async function apply(op: Operation): Promise<void> {
  const records = await acmeRecords();
  const gql = (query: string, variables: Record<string, unknown>) => t.gql(query, { token: alice.token, variables });
  switch (op.kind) {
    case "create":
      return expectOk(
        await gql(`mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`, {
          input: { referenceNumber: `P-${randomUUID().slice(0, 8)}`, categoryCode: op.categoryCode, title: "p", createdDate: op.createdDate },
        }),
      );
    case "update": {
      const record = chosen(records, op.pick);
      if (!record) return;
      return expectOk(
        await gql(`mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id } } }`, {
          input: { id: encodeGlobalID("Record", record.id), categoryCode: op.categoryCode, createdDate: op.createdDate },
        }),
      );
    }
    case "delete": {
      const record = chosen(records, op.pick);
      if (!record) return;
      return expectOk(
        await gql(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, { id: encodeGlobalID("Record", record.id) }),
      );
    }
    case "attach": {
      const record = chosen(records, op.pick);
      if (!record) return;
      return expectOk(await uploadAttachment(t, { token: alice.token, recordId: record.id, bytes: patternedBytes(op.sizeBytes) }));
    }
    case "detach": {
      const attachments = await t.db.prisma.attachment.findMany({ where: { customerId: acme.id }, orderBy: { id: "asc" } });
      const attachment = chosen(attachments, op.pick);
      if (!attachment) return;
      return expectOk(await removeAttachment(t, alice.token, encodeGlobalID("Attachment", attachment.id)));
    }
    case "moveMany": {
      // One statement over several rows, as a script or a future writer would send it.
      const ids = [...new Set(op.picks.map((index) => chosen(records, index)?.id).filter((id): id is string => id !== undefined))];
      await t.db.prisma.record.updateMany({ where: { id: { in: ids } }, data: { categoryCode: op.categoryCode } });
      return;
    }
  }
}

type SyncSpec = typeof syncRecord extends fc.Arbitrary<infer T> ? T : never;

async function sync(spec: SyncSpec[]): Promise<void> {
  const records = await acmeRecords();
  const byReference = new Map<string, FeedRecordFixture>();
  for (const entry of spec) {
    const existing = entry.existing === null ? undefined : chosen(records, entry.existing);
    const referenceNumber = existing?.referenceNumber ?? `S-${randomUUID().slice(0, 8)}`;
    byReference.set(referenceNumber, {
      referenceNumber,
      categoryCode: entry.categoryCode,
      title: "synced",
      createdDate: entry.createdDate,
      attachments: entry.attachments.map((attachment) => ({ ...attachment, contentType: "application/pdf" })),
    });
  }
  const jobId = await startSync(t, alice.token, feed.route(pagedFeed([...byReference.values()], 3)));
  const job = await waitForJob(t, alice.token, jobId);
  expect(job.status, JSON.stringify(job)).toBe("SUCCEEDED");
}

async function expectRollupsMatchRows(): Promise<void> {
  const customers = [acme.id, globex.id];
  expect(await rollupSnapshot(t.db, customers)).toEqual(await groupBySnapshot(t.db, customers));
  expect(await leftoverDeltas(t.db)).toBe(0);
  // And the API says what the rows say.
  const rows = await groupBySnapshot(t.db, [acme.id]);
  const response = await t.gql(
    `query($filter: RecordStatsFilter) { recordStats(filter: $filter) { totalRecords recordsByCategory { categoryCode count }
      recordsByMonth { month count } attachmentCount attachmentBytes } }`,
    { token: alice.token, variables: { filter: RANGE } },
  );
  expect(response.body.errors).toBeUndefined();
  const stats = response.body.data.recordStats;
  const categories = Object.entries(rows.categories).map(([key, count]) => ({ categoryCode: key.split("|")[1], count }));
  expect(stats.recordsByCategory).toEqual(categories);
  expect(stats.totalRecords).toBe(categories.reduce((total, each) => total + each.count, 0));
  for (const { month, count } of stats.recordsByMonth) expect(count).toBe(rows.months[`${acme.id}|${month}`] ?? 0);
  expect({ count: stats.attachmentCount, bytes: stats.attachmentBytes }).toEqual(rows.attachments[acme.id] ?? { count: 0, bytes: 0 });
}

test("after any mix of writes and a sync, the rollups equal a GROUP BY of the rows", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(operation, { minLength: 1, maxLength: 8 }),
      fc.array(syncRecord, { minLength: 1, maxLength: 5 }),
      fc.array(operation, { maxLength: 4 }),
      async (before: Operation[], syncSpec: SyncSpec[], after: Operation[]) => {
        for (const op of before) await apply(op);
        await sync(syncSpec);
        for (const op of after) await apply(op);
        await expectRollupsMatchRows();
      },
    ),
    { numRuns: 12 },
  );
}, 300_000);
