// Every bad field of a mutation input at once (issue 15, point 6): one BAD_USER_INPUT error
// whose extensions.fields maps each field to its message, extensions.field naming the first
// (as before), and a message that lists them all. For every mutation that validates input.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let admin: SeededUser;

beforeAll(async () => {
  t = await startTestApp({ SYNC_ALLOWED_HOSTS: "127.0.0.1" });
  ({ customer: acme, admin } = await t.seed.customerWithAdmin("Acme"));
});
afterAll(() => t.close());

const createRecord = `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`;
const updateRecord = `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id } } }`;
const syncRecords = `mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId } }`;

async function badInputError(query: string, variables: Record<string, unknown>) {
  const response = await t.gql(query, { token: admin.token, variables });
  expect(response.body.errors).toHaveLength(1);
  const error = response.body.errors![0]!;
  expect(error.extensions?.code).toBe("BAD_USER_INPUT");
  return error as { message: string; extensions: { field?: string; fields: Record<string, string> } };
}

describe("createRecord", () => {
  it("names every bad field with its message, in one error", async () => {
    const error = await badInputError(createRecord, {
      input: { referenceNumber: "", categoryCode: "lower", title: "\u0000", createdDate: "9999-12-31T23:59:59-23:59" },
    });
    expect(error.extensions.fields).toEqual({
      referenceNumber: "must not be empty",
      categoryCode: "must be 1 to 32 upper-case letters, digits, '_' or '-' (e.g. CAT001)",
      title: "must not contain NUL characters (U+0000)",
      createdDate: "must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (UTC)",
    });
    expect(error.extensions.field).toBe("referenceNumber");
    expect(error.message).toBe(
      "referenceNumber: must not be empty; categoryCode: must be 1 to 32 upper-case letters, digits, '_' or '-' (e.g. CAT001); " +
        "title: must not contain NUL characters (U+0000); createdDate: must be from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (UTC)",
    );
    expect(await t.db.prisma.record.count({ where: { customerId: acme.id } })).toBe(0);
  });

  it("one bad field: the same shape, with that field alone", async () => {
    const error = await badInputError(createRecord, { input: { referenceNumber: "OK-1", categoryCode: "CAT001", title: " " } });
    expect(error.extensions).toMatchObject({ field: "title", fields: { title: "must not be empty" } });
    expect(error.message).toBe("title: must not be empty");
  });

  it("a duplicate reference (found by the database) has the same shape", async () => {
    const input = { referenceNumber: "DUP-1", categoryCode: "CAT001", title: "x" };
    await t.gql(createRecord, { token: admin.token, variables: { input } });
    const error = await badInputError(createRecord, { input });
    expect(error.extensions.fields).toEqual({ referenceNumber: "A record with referenceNumber DUP-1 already exists." });
  });
});

describe("updateRecord", () => {
  it("reports a bad id together with the bad fields", async () => {
    const error = await badInputError(updateRecord, { input: { id: "nope", title: "", categoryCode: "x y" } });
    expect(Object.keys(error.extensions.fields)).toEqual(["id", "categoryCode", "title"]);
    expect(error.extensions.fields.id).toBe("is not a valid Record id");
  });

  it("another type's id is not a Record id", async () => {
    const error = await badInputError(updateRecord, {
      input: { id: encodeGlobalID("Attachment", "5f0c6c0e-6f0d-4d4c-9b1a-0d0f2a1b2c3d"), title: "ok" },
    });
    expect(error.extensions.fields).toEqual({ id: "is not a valid Record id" });
  });
});

describe("syncRecords", () => {
  it("reports a host off the allow-list together with a bad idempotencyKey", async () => {
    const error = await badInputError(syncRecords, { input: { sourceUrl: "http://example.com/feed", idempotencyKey: " " } });
    expect(error.extensions.fields).toEqual({
      sourceUrl: "host example.com is not in the allowed feed hosts (SYNC_ALLOWED_HOSTS)",
      idempotencyKey: "must not be empty",
    });
    expect(await t.db.prisma.collectionJob.count({ where: { customerId: acme.id } })).toBe(0);
  });
});

describe("mutations that take only an id", () => {
  it.each([
    ["deleteRecord", `mutation { deleteRecord(input: { id: "nope" }) { deletedRecordId } }`],
    ["removeAttachment", `mutation { removeAttachment(input: { id: "nope" }) { removedAttachmentId } }`],
    ["cancelJob", `mutation { cancelJob(input: { id: "nope" }) { job { id } } }`],
  ])("%s names the id in the same map", async (_name, query) => {
    const error = await badInputError(query, {});
    expect(error.extensions.field).toBe("id");
    expect(Object.keys(error.extensions.fields)).toEqual(["id"]);
  });
});

describe("queries with validated arguments", () => {
  it("records(filter:) names both bad dates", async () => {
    const error = await badInputError(`query($f: RecordFilter) { records(filter: $f) { totalCount } }`, {
      f: { createdAfter: "0000-06-01T00:00:00Z", createdBefore: "9999-12-31T23:59:59-23:59" },
    });
    expect(Object.keys(error.extensions.fields)).toEqual(["filter.createdAfter", "filter.createdBefore"]);
  });
});
