// Record mutations: roles, validation, duplicates, and deletes that take attachments along.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let admin: SeededUser;
let member: SeededUser;
let viewer: SeededUser;

beforeAll(async () => {
  t = await startTestApp();
  ({ customer: acme, admin } = await t.seed.customerWithAdmin("Acme"));
  member = await acme.user({ role: "MEMBER" });
  viewer = await acme.user({ role: "VIEWER" });
});
afterAll(() => t.close());

const createRecord = `mutation($input: CreateRecordInput!) {
  createRecord(input: $input) { record { id referenceNumber categoryCode title createdDate attachmentCount } }
}`;
const updateRecord = `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id referenceNumber title categoryCode } } }`;
const deleteRecord = `mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`;

describe("createRecord", () => {
  test("a MEMBER creates a record; it can be read back by reference", async () => {
    const response = await t.gql(createRecord, {
      token: member.token,
      variables: { input: { referenceNumber: " NEW-1 ", categoryCode: "CAT004", title: "First", createdDate: "2026-03-01T10:00:00.000Z" } },
    });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.createRecord.record).toMatchObject({
      referenceNumber: "NEW-1",
      categoryCode: "CAT004",
      title: "First",
      createdDate: "2026-03-01T10:00:00.000Z",
      attachmentCount: 0,
    });
    const read = await t.gql(`{ recordByReference(referenceNumber: "NEW-1") { id } }`, { token: viewer.token });
    expect(read.body.data.recordByReference.id).toBe(response.body.data.createRecord.record.id);
  });

  test("a duplicate referenceNumber is BAD_USER_INPUT naming the field", async () => {
    const input = { referenceNumber: "DUP-1", categoryCode: "CAT001", title: "x" };
    expect((await t.gql(createRecord, { token: admin.token, variables: { input } })).body.errors).toBeUndefined();
    const again = await t.gql(createRecord, { token: admin.token, variables: { input } });
    expect(again.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "referenceNumber" });
    expect(again.body.errors?.[0]?.message).toMatch(/DUP-1 already exists/);
  });

  test.each([
    [{ referenceNumber: "", categoryCode: "CAT001", title: "x" }, "referenceNumber"],
    [{ referenceNumber: "../etc", categoryCode: "CAT001", title: "x" }, "referenceNumber"],
    [{ referenceNumber: "A".repeat(65), categoryCode: "CAT001", title: "x" }, "referenceNumber"],
    [{ referenceNumber: "OK-1", categoryCode: "cat 1", title: "x" }, "categoryCode"],
    [{ referenceNumber: "OK-1", categoryCode: "CAT001", title: "   " }, "title"],
  ])("invalid input %j is BAD_USER_INPUT on %s", async (input, field) => {
    const response = await t.gql(createRecord, { token: admin.token, variables: { input } });
    expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(response.body.errors?.[0]?.message).toContain(field);
  });

  test("a malformed date is refused by the DateTime scalar", async () => {
    const response = await t.gql(createRecord, {
      token: admin.token,
      variables: { input: { referenceNumber: "D-1", categoryCode: "CAT001", title: "x", createdDate: "yesterday" } },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.message).toMatch(/DateTime/);
  });
});

describe("updateRecord", () => {
  test("changes only the fields given", async () => {
    const record = await acme.record({ referenceNumber: "UPD-1", title: "Before", categoryCode: "CAT002" });
    const id = encodeGlobalID("Record", record.id);
    const response = await t.gql(updateRecord, { token: member.token, variables: { input: { id, title: "After" } } });
    expect(response.body.data.updateRecord.record).toEqual({ id, referenceNumber: "UPD-1", title: "After", categoryCode: "CAT002" });
  });

  test("to a referenceNumber that exists is BAD_USER_INPUT; a malformed id too", async () => {
    const record = await acme.record({ referenceNumber: "UPD-2" });
    await acme.record({ referenceNumber: "UPD-3" });
    const taken = await t.gql(updateRecord, {
      token: admin.token,
      variables: { input: { id: encodeGlobalID("Record", record.id), referenceNumber: "UPD-3" } },
    });
    expect(taken.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "referenceNumber" });
    const malformed = await t.gql(updateRecord, { token: admin.token, variables: { input: { id: "nope", title: "x" } } });
    expect(malformed.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "id" });
    const wrongType = await t.gql(updateRecord, {
      token: admin.token,
      variables: { input: { id: encodeGlobalID("User", admin.id), title: "x" } },
    });
    expect(wrongType.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("deleteRecord", () => {
  test("removes the record and its attachments together", async () => {
    const record = await acme.record({ referenceNumber: "DEL-1" });
    await acme.attachments(record.id, 3);
    const id = encodeGlobalID("Record", record.id);
    const response = await t.gql(deleteRecord, { token: admin.token, variables: { id } });
    expect(response.body.data.deleteRecord.deletedRecordId).toBe(id);
    expect(await t.db.prisma.record.count({ where: { id: record.id } })).toBe(0);
    expect(await t.db.prisma.attachment.count({ where: { recordId: record.id } })).toBe(0);
    const again = await t.gql(deleteRecord, { token: admin.token, variables: { id } });
    expect(again.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });
});

describe("a VIEWER reads but does not change", () => {
  test("every record mutation is FORBIDDEN and changes nothing", async () => {
    const record = await acme.record({ referenceNumber: "VIEW-1", title: "Untouched" });
    const id = encodeGlobalID("Record", record.id);
    const attempts = [
      t.gql(createRecord, { token: viewer.token, variables: { input: { referenceNumber: "VIEW-2", categoryCode: "CAT001", title: "x" } } }),
      t.gql(updateRecord, { token: viewer.token, variables: { input: { id, title: "Changed" } } }),
      t.gql(deleteRecord, { token: viewer.token, variables: { id } }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    const after = await t.db.prisma.record.findUniqueOrThrow({ where: { id: record.id } });
    expect(after.title).toBe("Untouched");
    expect(await t.db.prisma.record.count({ where: { referenceNumber: "VIEW-2" } })).toBe(0);
  });

  test("and reads everything of its customer", async () => {
    const response = await t.gql(`{ records { totalCount } }`, { token: viewer.token });
    expect(response.body.data.records.totalCount).toBeGreaterThan(0);
  });
});
