// A sync mirrors its feed: attachments a listed record's list no longer has are removed (row
// and stored file, after the commit); records the feed no longer lists are left alone, unless
// the sync was started with mirror: true, which deletes them at the end of a complete run
// (not those changed since it started, not another customer's, not after a failed run).
// Through the API, the worker and the real file storage; embedded database and PostgreSQL.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { storageKeyFor } from "../src/storage/file-storage.js";
import { type FeedRecordFixture, pagedFeed } from "./helpers/feed-server.js";
import { waitForJob } from "./helpers/job-app.js";
import type { SeededUser } from "./helpers/seed.js";
import { feed, freshCustomer, t, useSyncTestContext } from "./helpers/sync-test-context.js";

useSyncTestContext();

const doc = (filename: string) => ({ filename, contentType: "application/pdf", sizeBytes: 100 });
const fixture = (referenceNumber: string, attachments?: Array<ReturnType<typeof doc>>): FeedRecordFixture => ({
  referenceNumber,
  categoryCode: "CAT001",
  title: `Record ${referenceNumber}`,
  createdDate: "2026-01-05T09:30:00Z",
  ...(attachments ? { attachments } : {}),
});

async function sync(admin: SeededUser, records: unknown[], input: { mirror?: boolean } = {}, pageSize = 2) {
  const sourceUrl = feed.route(pagedFeed(records, pageSize));
  const started = await t.gql(`mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId } }`, {
    token: admin.token,
    variables: { input: { sourceUrl, ...input } },
  });
  expect(started.body.errors).toBeUndefined();
  return waitForJob(t, admin.token, started.body.data.syncRecords.jobId);
}

/** An uploaded attachment: a stored file and its row, as addAttachment leaves them. */
async function storedAttachment(customerId: string, referenceNumber: string, filename: string) {
  const record = await t.db.prisma.record.findFirstOrThrow({ where: { customerId, referenceNumber } });
  const key = storageKeyFor(customerId, randomUUID());
  await t.services.storage.write(key, Readable.from([Buffer.from("%PDF-1.7 test")]), { contentType: "application/pdf" });
  await t.db.prisma.attachment.create({
    data: { customerId, recordId: record.id, filename, contentType: "application/pdf", sizeBytes: 13, storageKey: key },
  });
  return key;
}

const fileExists = async (key: string) => (await t.services.storage.read(key)) !== null;
/** Files are deleted right after the commit that made the job SUCCEEDED: allow that moment. */
async function fileDeleted(key: string): Promise<boolean> {
  const deadline = Date.now() + 3_000;
  while (await fileExists(key)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
const references = async (customerId: string) =>
  (await t.db.prisma.record.findMany({ where: { customerId }, orderBy: { referenceNumber: "asc" } })).map((r) => r.referenceNumber);
const filenames = async (customerId: string, referenceNumber: string) =>
  (
    await t.db.prisma.attachment.findMany({
      where: { customerId, record: { referenceNumber } },
      orderBy: { filename: "asc" },
    })
  ).map((attachment) => attachment.filename);

describe("a sync mirrors its feed's attachments", () => {
  it("removes the attachments a record's list no longer has, rows and stored files; a record without a list keeps its own", async () => {
    const { customer, admin } = await freshCustomer();
    await sync(admin, [fixture("A", [doc("a.pdf"), doc("b.pdf")]), fixture("B", [doc("x.pdf")])]);
    const uploaded = await storedAttachment(customer.id, "A", "scan.pdf");
    expect(await fileExists(uploaded)).toBe(true);

    // A lists only a.pdf now; B sends no list at all.
    const job = await sync(admin, [fixture("A", [doc("a.pdf")]), fixture("B")]);
    expect(job).toMatchObject({ status: "SUCCEEDED" });
    expect(job.result).toMatchObject({ created: 0, updated: 1, unchanged: 1, attachmentsRemoved: 2, recordsRemoved: 0 });
    expect(await filenames(customer.id, "A")).toEqual(["a.pdf"]);
    expect(await filenames(customer.id, "B")).toEqual(["x.pdf"]);
    expect(await fileDeleted(uploaded)).toBe(true);

    // An empty list removes them all; running it again changes nothing.
    expect((await sync(admin, [fixture("A", []), fixture("B")])).result).toMatchObject({ attachmentsRemoved: 1, updated: 1 });
    expect(await filenames(customer.id, "A")).toEqual([]);
    expect((await sync(admin, [fixture("A", []), fixture("B")])).result).toMatchObject({ attachmentsRemoved: 0, unchanged: 2 });
  });
});

describe("records the feed stops listing", () => {
  it("are left alone by default", async () => {
    const { customer, admin } = await freshCustomer();
    await sync(admin, [fixture("A"), fixture("B"), fixture("C")]);
    const job = await sync(admin, [fixture("A")]);
    expect(job.result).toMatchObject({ unchanged: 1, recordsRemoved: 0 });
    expect(await references(customer.id)).toEqual(["A", "B", "C"]);
  });

  it("are deleted with mirror: true at the end of a complete run, with their files; listed-but-rejected ones and other customers' stay", async () => {
    const { customer, admin } = await freshCustomer();
    const other = await freshCustomer();
    await sync(admin, [fixture("A"), fixture("B", [doc("b.pdf")]), fixture("C"), fixture("D"), fixture("E")]);
    await sync(other.admin, [fixture("B"), fixture("C")]);
    const fileOfC = await storedAttachment(customer.id, "C", "c.pdf");

    // The feed now lists A, E and a broken D (rejected, but still listed): B and C go.
    const brokenD = { ...fixture("D"), createdDate: "not a date" };
    const job = await sync(admin, [fixture("A"), brokenD, fixture("E")], { mirror: true });
    expect(job).toMatchObject({ status: "SUCCEEDED" });
    expect(job.result).toMatchObject({ rejected: 1, unchanged: 2, recordsRemoved: 2 });
    expect(await references(customer.id)).toEqual(["A", "D", "E"]);
    expect(await fileDeleted(fileOfC)).toBe(true);
    expect(await t.db.prisma.attachment.count({ where: { customerId: customer.id } })).toBe(0);
    expect(await references(other.customer.id)).toEqual(["B", "C"]);
    // Nothing is left of the run's bookkeeping (a failed run's goes with its job, at retention).
    expect(await t.db.prisma.syncListedRecord.count({ where: { record: { customerId: customer.id } } })).toBe(0);
    // The cache was told of the deleted records too.
    expect(t.changedRecords.get(customer.id)?.length).toBeGreaterThanOrEqual(2);
  });

  it("keep a record created while the mirroring sync ran", async () => {
    const { customer, admin } = await freshCustomer();
    await sync(admin, [fixture("OLD")]);
    const sourceUrl = feed.route(pagedFeed([fixture("A")], 2, { delayMs: 1_000 }));
    const started = await t.gql(`mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId } }`, {
      token: admin.token,
      variables: { input: { sourceUrl, mirror: true } },
    });
    const jobId = started.body.data.syncRecords.jobId;
    await waitForJob(t, admin.token, jobId, (job) => job.status === "RUNNING");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const created = await t.gql(
      `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`,
      { token: admin.token, variables: { input: { referenceNumber: "NEW", categoryCode: "CAT001", title: "Typed in", createdDate: "2026-01-01T00:00:00Z" } } },
    );
    expect(created.body.errors).toBeUndefined();
    const job = await waitForJob(t, admin.token, jobId);
    expect(job.result).toMatchObject({ created: 1, recordsRemoved: 1 });
    expect(await references(customer.id)).toEqual(["A", "NEW"]);
  });

  it("are not deleted when the mirroring run fails before its end", async () => {
    const { customer, admin } = await freshCustomer();
    await sync(admin, [fixture("A"), fixture("B"), fixture("C")]);
    const sourceUrl = feed.route(
      pagedFeed([fixture("A"), fixture("X"), fixture("Y")], 1, {
        override: ({ cursor }) => (cursor === "page-2" ? { status: 404, body: { error: "gone" } } : undefined),
      }),
    );
    const started = await t.gql(`mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId } }`, {
      token: admin.token,
      variables: { input: { sourceUrl, mirror: true } },
    });
    const job = await waitForJob(t, admin.token, started.body.data.syncRecords.jobId);
    expect(job.status).toBe("FAILED");
    expect(await references(customer.id)).toEqual(["A", "B", "C", "X"]);
  });

  it("an idempotency key used without mirror cannot start a mirroring sync", async () => {
    const { admin } = await freshCustomer();
    const sourceUrl = feed.route(pagedFeed([fixture("A")], 2));
    const start = (mirror: boolean) =>
      t.gql(`mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId } }`, {
        token: admin.token,
        variables: { input: { sourceUrl, idempotencyKey: "k1", mirror } },
      });
    expect((await start(false)).body.errors).toBeUndefined();
    const refused = await start(true);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "idempotencyKey" });
  });
});
