// Text PostgreSQL cannot store (issue 12, point 7): a NUL character (U+0000) or an unpaired
// UTF-16 surrogate. Every string a mutation stores is refused as BAD_USER_INPUT naming the
// field; a feed record holding one is rejected with its reason while the valid records of the
// same page are applied; reads that take such a string answer a client error, never a 500.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import { feedRecords, pagedFeed } from "./helpers/feed-server.js";
import { startSync, syncRecords, waitForJob } from "./helpers/job-app.js";
import { feed, freshCustomer, t, useSyncTestContext } from "./helpers/sync-test-context.js";
import { uploadAttachment } from "./helpers/upload-request.js";

useSyncTestContext();

const NUL = "\u0000";
const LONE_HIGH = "\ud800"; // JSON.stringify sends it as "\ud800": the server parses a lone surrogate
const LONE_LOW = "\udc00";
const unstorable = [
  { name: "a NUL character", text: `a${NUL}b`, message: "must not contain NUL characters (U+0000)" },
  { name: "an unpaired high surrogate", text: `a${LONE_HIGH}b`, message: "must not contain unpaired UTF-16 surrogates (not valid Unicode)" },
  { name: "an unpaired low surrogate", text: `${LONE_LOW}ab`, message: "must not contain unpaired UTF-16 surrogates (not valid Unicode)" },
];

const createRecord = `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id title } } }`;
const updateRecord = `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id title } } }`;
const valid = { referenceNumber: "TXT-1", categoryCode: "CAT001", title: "A title" };

describe.each(unstorable)("$name", ({ text, message }) => {
  it.each(["referenceNumber", "categoryCode", "title"])("createRecord refuses it in %s as BAD_USER_INPUT", async (field) => {
    const { customer, admin } = await freshCustomer();
    const response = await t.gql(createRecord, { token: admin.token, variables: { input: { ...valid, [field]: text } } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(response.body.errors?.[0]?.message).toContain(`${field}: ${message}`);
    expect(await t.db.prisma.record.count({ where: { customerId: customer.id } })).toBe(0);
  });

  it("updateRecord refuses it in the title and keeps the old one", async () => {
    const { customer, admin } = await freshCustomer();
    const record = await customer.record({ title: "Before" });
    const response = await t.gql(updateRecord, {
      token: admin.token,
      variables: { input: { id: encodeGlobalID("Record", record.id), title: text } },
    });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "title" });
    expect((await t.db.prisma.record.findUniqueOrThrow({ where: { id: record.id } })).title).toBe("Before");
  });

  it.each(["sourceUrl", "idempotencyKey"])("syncRecords refuses it in %s as BAD_USER_INPUT", async (field) => {
    const { customer, admin } = await freshCustomer();
    const input = { sourceUrl: `${feed.origin}/feed`, idempotencyKey: "key-1", [field]: field === "sourceUrl" ? `${feed.origin}/f${text}` : text };
    const response = await syncRecords(t, admin.token, input.sourceUrl, input.idempotencyKey);
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(await t.db.prisma.collectionJob.count({ where: { customerId: customer.id } })).toBe(0);
  });

  it.each(["sourceUrl", "cron", "timeZone"])("createSyncSchedule refuses it in %s as BAD_USER_INPUT", async (field) => {
    const { admin } = await freshCustomer();
    const input = { sourceUrl: `${feed.origin}/feed`, cron: "0 6 * * *", timeZone: "UTC" };
    const response = await t.gql(`mutation($input: CreateSyncScheduleInput!) { createSyncSchedule(input: $input) { schedule { id } } }`, {
      token: admin.token,
      variables: { input: { ...input, [field]: `${input[field as keyof typeof input]}${text}` } },
    });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", fields: { [field]: message } });
  });

  it("reads that take it (recordByReference, the category filter) answer without a 500", async () => {
    const { admin } = await freshCustomer();
    const byReference = await t.gql(`query($r: String!) { recordByReference(referenceNumber: $r) { id } }`, {
      token: admin.token,
      variables: { r: text },
    });
    // Nothing can be stored under such a reference: "not found", or a refusal of the value.
    if (byReference.body.errors) expect(byReference.body.errors[0]!.extensions?.code).toBe("BAD_USER_INPUT");
    else expect(byReference.body.data.recordByReference).toBeNull();
    const filtered = await t.gql(`query($c: String) { records(filter: { categoryCode: $c }) { totalCount } }`, {
      token: admin.token,
      variables: { c: text },
    });
    if (filtered.body.errors) expect(filtered.body.errors[0]!.extensions?.code).toBe("BAD_USER_INPUT");
    else expect(filtered.body.data.records.totalCount).toBe(0);
  });
});

it("text PostgreSQL can store is kept exactly: surrogate pairs (emoji), other control characters", async () => {
  const { admin } = await freshCustomer();
  const title = "Caf\u00e9 \ud83d\ude00 tab\there \u0001 \ufffe";
  const response = await t.gql(createRecord, { token: admin.token, variables: { input: { ...valid, title } } });
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data.createRecord.record.title).toBe(title);
});

it("an uploaded file's name loses its NUL characters instead of failing the upload", async () => {
  const { customer, admin } = await freshCustomer();
  const record = await customer.record();
  const response = await uploadAttachment(t, {
    token: admin.token,
    recordId: record.id,
    bytes: new TextEncoder().encode("hello"),
    filename: `re${NUL}port.txt`,
  });
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data.addAttachment.attachment.filename).toBe("report.txt");
});

describe("sync", () => {
  it("rejects each record holding unstorable text, with its reason, and applies the rest of the page", async () => {
    const { customer, admin } = await freshCustomer();
    const [a, b, c, d, e, f] = feedRecords(6, "text");
    const records = [
      a,
      { ...b, title: `Bad${NUL}title` },
      { ...c, title: `Bad${LONE_HIGH}title` },
      { ...d, attachments: [{ filename: `x${NUL}.pdf`, contentType: "application/pdf", sizeBytes: 1 }] },
      { ...e, referenceNumber: `REF${NUL}${LONE_LOW}` },
      f,
    ];
    const job = await waitForJob(t, admin.token, await startSync(t, admin.token, feed.route(pagedFeed(records, 10))));
    expect(job.status).toBe("SUCCEEDED");
    expect(job.result).toMatchObject({ created: 2, rejected: 4, pages: 1 });
    expect(job.result!.rejections).toEqual([
      { referenceNumber: b!.referenceNumber, reason: "title: must not contain NUL characters (U+0000)" },
      { referenceNumber: c!.referenceNumber, reason: "title: must not contain unpaired UTF-16 surrogates (not valid Unicode)" },
      { referenceNumber: d!.referenceNumber, reason: "attachments.0.filename: must not contain NUL characters (U+0000)" },
      // The report itself is stored: the feed's reference is quoted the way JSON writes it.
      { referenceNumber: "REF\\u0000\\udc00", reason: "referenceNumber: must not contain NUL characters (U+0000)" },
    ]);
    const stored = await t.db.prisma.record.findMany({ where: { customerId: customer.id }, orderBy: { referenceNumber: "asc" } });
    expect(stored.map((record) => record.referenceNumber)).toEqual([a!.referenceNumber, f!.referenceNumber]);
  });

  it("fails with a clear reason on a next-page cursor it could not store", async () => {
    const { admin } = await freshCustomer();
    const url = feed.route(() => ({ body: { records: feedRecords(1, "cursor"), nextCursor: `next${NUL}` } }));
    const job = await waitForJob(t, admin.token, await startSync(t, admin.token, url));
    expect(job).toMatchObject({ status: "FAILED" });
    expect(job.error).toBe("The feed's answer is not a record page (nextCursor: must not contain NUL characters (U+0000)).");
  });
});
