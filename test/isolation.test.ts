// Customer B tries every door into customer A's data. Each answer must be exactly what B
// would get if A's data did not exist.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let alice: SeededUser;
let bob: SeededUser;
let acmeRecordId: string;
let acmeAttachmentId: string;
let acmeCursor: string;

beforeAll(async () => {
  t = await startTestApp();
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  const { customer: globex, admin: globexAdmin } = await t.seed.customerWithAdmin("Globex");
  bob = globexAdmin;
  const [record] = await acme.records(3, (index) => ({ referenceNumber: `SHARED-${index}`, categoryCode: "CAT007" }));
  acmeRecordId = record!.id;
  acmeAttachmentId = (await acme.attachments(record!.id, 2))[0]!.id;
  // Globex has one record with a reference number that also exists at Acme.
  await globex.record({ referenceNumber: "SHARED-1", categoryCode: "CAT001" });
  const page = await t.gql(`{ records(first: 1) { pageInfo { endCursor } } }`, { token: alice.token });
  acmeCursor = page.body.data.records.pageInfo.endCursor;
});
afterAll(() => t.close());

const asBob = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, { token: bob.token, variables });

describe("customer B cannot reach customer A's data", () => {
  test("records lists only B's records, whatever the filter", async () => {
    const response = await asBob(`{ all: records { totalCount edges { node { referenceNumber } } }
      cat7: records(filter: { categoryCode: "CAT007" }) { totalCount edges { node { id } } } }`);
    expect(response.body.data.all.totalCount).toBe(1);
    expect(response.body.data.all.edges).toEqual([{ node: { referenceNumber: "SHARED-1" } }]);
    expect(response.body.data.cat7).toEqual({ totalCount: 0, edges: [] });
  });

  test("node and nodes answer null for A's ids, like for ids that do not exist", async () => {
    const ids = [
      encodeGlobalID("Record", acmeRecordId),
      encodeGlobalID("Attachment", acmeAttachmentId),
      encodeGlobalID("Customer", acme.id),
      encodeGlobalID("User", alice.id),
      encodeGlobalID("Record", "00000000-0000-4000-8000-000000000000"),
      "not-a-global-id",
      encodeGlobalID("Record", "not-a-uuid"),
      encodeGlobalID("Nonsense", acmeRecordId),
    ];
    for (const id of ids) {
      const response = await asBob(`query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(response.body).toEqual({ data: { node: null } });
    }
    const many = await asBob(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
    expect(many.body).toEqual({ data: { nodes: ids.map(() => null) } });
  });

  test("A sees its own objects through node (the control)", async () => {
    const response = await t.gql(`query($id: ID!) { node(id: $id) { ... on Record { referenceNumber } } }`, {
      token: alice.token,
      variables: { id: encodeGlobalID("Record", acmeRecordId) },
    });
    expect(response.body.data.node.referenceNumber).toBe("SHARED-0");
  });

  test("recordByReference finds only B's record of a shared reference, and nothing for A-only ones", async () => {
    const response = await asBob(`{ shared: recordByReference(referenceNumber: "SHARED-1") { categoryCode }
      acmeOnly: recordByReference(referenceNumber: "SHARED-0") { id } }`);
    expect(response.body.data).toEqual({ shared: { categoryCode: "CAT001" }, acmeOnly: null });
  });

  test("updateRecord and deleteRecord of A's record are NOT_FOUND and change nothing", async () => {
    const id = encodeGlobalID("Record", acmeRecordId);
    const update = await asBob(`mutation($id: ID!) { updateRecord(input: { id: $id, title: "pwned" }) { record { id } } }`, { id });
    expect(update.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const remove = await asBob(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, { id });
    expect(remove.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const missing = await asBob(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, {
      id: encodeGlobalID("Record", "00000000-0000-4000-8000-000000000000"),
    });
    expect(missing.body.errors?.[0]).toEqual(remove.body.errors?.[0]);
    const record = await t.db.prisma.record.findUniqueOrThrow({ where: { id: acmeRecordId } });
    expect(record.title).not.toBe("pwned");
    expect(await t.db.prisma.attachment.count({ where: { recordId: acmeRecordId } })).toBe(2);
  });

  test("B creating a record with A's reference number is fine: references are unique per customer", async () => {
    const response = await asBob(`mutation { createRecord(input: { referenceNumber: "SHARED-2", categoryCode: "CAT001", title: "mine" }) { record { referenceNumber } } }`);
    expect(response.body.errors).toBeUndefined();
    // Counted for these two customers only: on a reused PostgreSQL database, earlier runs' rows remain.
    const owners = [acme.id, bob.customerId];
    expect(await t.db.prisma.record.count({ where: { referenceNumber: "SHARED-2", customerId: { in: owners } } })).toBe(2);
  });

  test("a cursor taken from A's page is refused for B", async () => {
    const response = await asBob(`query($after: String) { records(after: $after) { edges { node { id } } } }`, {
      after: acmeCursor,
    });
    expect(response.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  test("viewer is B's own", async () => {
    const response = await asBob(`{ viewer { customer { id slug } user { id } } }`);
    expect(response.body.data.viewer.customer.id).not.toBe(encodeGlobalID("Customer", acme.id));
    expect(response.body.data.viewer.user.id).toBe(encodeGlobalID("User", bob.id));
  });
});
