// Property-based: whatever a client sends as filters, cursors, ids or mutation inputs, the
// answer is never a 5xx, never an unmasked (or masked: a bug) error, and customer B never
// sees customer A's data. Bounded runs keep the file fast; a failure prints its seed.
import { encodeGlobalID } from "@pothos/plugin-relay";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SeededUser } from "./helpers/seed.js";
import { type GraphQLResponse, startTestApp, type TestApp } from "./helpers/test-app.js";

const runs = { numRuns: 40 };

let t: TestApp;
let bob: SeededUser;
let acmeIds: Set<string>;
let acmeGlobalIds: string[];
let acmeTitles: Map<string, string>;
let cursors: string[];

beforeAll(async () => {
  t = await startTestApp();
  const { customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme");
  const acmeRecords = await acme.records(6, (index) => ({ categoryCode: `CAT00${index % 3}` }));
  await acme.attachments(acmeRecords[0]!.id, 2);
  acmeIds = new Set([acme.id, alice.id, ...acmeRecords.map((record) => record.id)]);
  acmeGlobalIds = acmeRecords.map((record) => encodeGlobalID("Record", record.id));
  acmeTitles = new Map(acmeRecords.map((record) => [record.id, record.title]));
  const { customer: globex, admin: globexAdmin } = await t.seed.customerWithAdmin("Globex");
  bob = globexAdmin;
  await globex.records(4, (index) => ({ categoryCode: `CAT00${index % 3}` }));
  // Real cursors of both customers, for mutation.
  cursors = [];
  for (const token of [alice.token, bob.token]) {
    const page = await t.gql(`{ records(first: 2) { edges { cursor } } }`, { token });
    cursors.push(...page.body.data.records.edges.map((edge: { cursor: string }) => edge.cursor));
  }
});
afterAll(() => t.close());

const asBob = (query: string, variables: Record<string, unknown>) => t.gql(query, { token: bob.token, variables });

/** The invariants every answer to B must keep. */
function expectSafe(response: GraphQLResponse) {
  expect(response.status).toBeLessThan(500);
  const text = JSON.stringify(response.body);
  // Every error has its code, those graphql-js raises before execution (variables that do
  // not coerce: a bad enum, a malformed DateTime) included (use-request-error-codes.ts).
  for (const error of response.body.errors ?? []) {
    expect(error.extensions?.code, error.message).toMatch(/^(BAD_USER_INPUT|NOT_FOUND|FORBIDDEN|GRAPHQL_VALIDATION_FAILED|BAD_REQUEST|QUERY_TOO_COMPLEX)$/);
  }
  expect(text).not.toMatch(/Unexpected error|Prisma|SELECT |at \w+ \(/);
  // Nothing of A's: no raw id, no global id of A's rows.
  for (const id of acmeIds) expect(text).not.toContain(id);
  for (const id of acmeGlobalIds) expect(text).not.toContain(id);
}

const awkwardString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", " ", "'; DROP TABLE \"Record\"; --", "%", "_", "\\", "\u0000", "CAT001", "a".repeat(5000)),
);
const dateLike = fc.oneof(
  fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
  fc.constantFrom("2026-01-01", "not a date", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", ""),
  fc.string({ maxLength: 25 }),
);

const recordsQuery = `query($first: Int, $last: Int, $after: String, $before: String, $filter: RecordFilter, $orderBy: RecordOrder) {
  records(first: $first, last: $last, after: $after, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount edges { cursor node { id referenceNumber attachmentCount } } pageInfo { endCursor }
  }
}`;

describe("records", () => {
  test("any filter, order and page size", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            categoryCode: fc.option(awkwardString),
            createdAfter: fc.option(dateLike),
            createdBefore: fc.option(dateLike),
          },
          { requiredKeys: [] },
        ),
        fc.option(fc.integer({ min: -3, max: 150 })),
        fc.option(fc.integer({ min: -3, max: 150 })),
        fc.option(fc.constantFrom("CREATED_DATE_DESC", "CREATED_DATE_ASC", "REFERENCE_NUMBER_ASC", "NOPE")),
        async (filter, first, last, orderBy) => {
          expectSafe(await asBob(recordsQuery, { filter, first, last, orderBy }));
        },
      ),
      runs,
    );
  });

  test("any cursor: random strings, and real ones (A's and B's) with a character changed", async () => {
    const mutatedCursor = fc
      .tuple(fc.constantFrom(...cursors), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }))
      .map(([cursor, at, character]) => {
        const index = at % cursor.length;
        return cursor.slice(0, index) + character + cursor.slice(index + 1);
      });
    const cursor = fc.oneof(awkwardString, mutatedCursor, fc.constantFrom(...cursors));
    await fc.assert(
      fc.asyncProperty(cursor, fc.boolean(), async (value, forward) => {
        expectSafe(await asBob(recordsQuery, forward ? { after: value, first: 3 } : { before: value, last: 3 }));
      }),
      runs,
    );
  });
});

describe("global ids", () => {
  test("node and nodes with any id answer B's object or null", async () => {
    const typeName = fc.constantFrom("Record", "Attachment", "User", "Customer", "CollectionJob", "Nope", "");
    const id = fc.oneof(
      awkwardString,
      fc.tuple(typeName, fc.oneof(fc.uuid(), awkwardString)).map(([type, raw]) => encodeGlobalID(type, raw)),
      fc.tuple(typeName, fc.constantFrom(...acmeIds)).map(([type, raw]) => encodeGlobalID(type, raw)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(id, { minLength: 1, maxLength: 4 }), async (ids) => {
        const one = await asBob(`query($id: ID!) { node(id: $id) { id } }`, { id: ids[0] });
        expectSafe(one);
        const many = await asBob(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids });
        expectSafe(many);
      }),
      runs,
    );
  });
});

describe("mutations", () => {
  test("createRecord with any input creates B's record or refuses it as BAD_USER_INPUT", async () => {
    await fc.assert(
      fc.asyncProperty(awkwardString, awkwardString, awkwardString, fc.option(dateLike), async (referenceNumber, categoryCode, title, createdDate) => {
        const response = await asBob(
          `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id referenceNumber } } }`,
          { input: { referenceNumber, categoryCode, title, ...(createdDate ? { createdDate } : {}) } },
        );
        expectSafe(response);
      }),
      runs,
    );
  });

  test("updateRecord and deleteRecord with any id never touch A's records", async () => {
    const id = fc.oneof(
      fc.constantFrom(...acmeGlobalIds),
      awkwardString,
      fc.uuid().map((raw) => encodeGlobalID("Record", raw)),
    );
    await fc.assert(
      fc.asyncProperty(id, awkwardString, fc.boolean(), async (recordId, title, remove) => {
        const response = remove
          ? await asBob(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, { id: recordId })
          : await asBob(`mutation($id: ID!, $title: String) { updateRecord(input: { id: $id, title: $title }) { record { id } } }`, {
              id: recordId,
              title,
            });
        expectSafe(response);
      }),
      runs,
    );
    const rows = await t.db.prisma.record.findMany({ where: { id: { in: [...acmeTitles.keys()] } } });
    expect(new Map(rows.map((row) => [row.id, row.title]))).toEqual(acmeTitles);
  });
});
