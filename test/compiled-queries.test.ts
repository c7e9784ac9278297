// Query documents seen before run compiled (graphql-jit); the first use runs on graphql-js.
// Each case sends the same request twice and demands the same status and the same bytes:
// data, errors (messages, paths, codes), null bubbling, fragments and directives, variables,
// tenant scoping. The compilation counter proves the second answer came from the compiled
// executor, and the twin apps (compiling never, and at once) prove the counter counts.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { readMigrations } from "../src/db/migrate.js";
import { inScriptTransaction } from "../src/db/sql-script-runner.js";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let alice: SeededUser;
let bob: SeededUser;
let aliceRecordId: string;
let aliceAttachmentId: string;
let bobRecordId: string;

beforeAll(async () => {
  t = await startTestApp({ COMPILE_QUERIES_ON_USE: "2" });
  const acme = await t.seed.customer("Acme");
  const globex = await t.seed.customer("Globex");
  alice = await acme.user();
  bob = await globex.user();
  const records = await acme.records(7, (index) => ({ categoryCode: index % 2 ? "CAT001" : "CAT002" }));
  aliceRecordId = records[0]!.id;
  aliceAttachmentId = (await acme.attachments(records[0]!.id, 3))[0]!.id;
  await acme.attachments(records[1]!.id, 1);
  bobRecordId = (await globex.record({ referenceNumber: "GLOBEX-1" })).id;
});
afterAll(() => t.close());

async function post(app: TestApp, body: unknown, token: string) {
  const response = await app.app.fetch("http://yoga/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  // Each request has its own id (quoted in masked errors): the one part allowed to differ.
  return { status: response.status, text: (await response.text()).replace(/"requestId":"[^"]+"/g, '"requestId":"…"') };
}

async function compilations(app: TestApp, outcome = "compiled"): Promise<number> {
  const metric = await app.services.metrics.compiledQueries.get();
  return metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

/** The same request twice: graphql-js answers the first, the compiled query the second. */
async function twice(body: unknown, token = alice.token) {
  const before = await compilations(t);
  const first = await post(t, body, token);
  const second = await post(t, body, token);
  return { first, second, compiled: (await compilations(t)) - before };
}

const cases: Array<[string, () => { query: string; variables?: Record<string, unknown>; operationName?: string }]> = [
  [
    "a records page with its attachments, cursors, counts and page info",
    () => ({
      query: `query Page($first: Int!, $after: String) {
        records(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { cursor node { __typename id referenceNumber categoryCode title createdDate updatedAt attachmentCount
            attachments(first: 2) { totalCount pageInfo { hasNextPage endCursor }
              edges { cursor node { id filename contentType sizeBytes createdAt record { id } } } } } }
        }
      }`,
      variables: { first: 3 },
    }),
  ],
  [
    "a filter, an order, backwards paging and aliases",
    () => ({
      query: `query Filtered($category: String) {
        newest: records(first: 2, filter: { categoryCode: $category }, orderBy: CREATED_DATE_ASC) { edges { node { referenceNumber } } }
        last: records(last: 2) { pageInfo { hasPreviousPage } edges { node { title } } }
      }`,
      variables: { category: "CAT001" },
    }),
  ],
  [
    "node and nodes with inline fragments and a named fragment, another customer's id answering null",
    () => ({
      query: `query Nodes($record: ID!, $attachment: ID!, $foreign: ID!) {
        record: node(id: $record) { __typename id ...RecordFields }
        attachment: node(id: $attachment) { ... on Attachment { filename record { referenceNumber } } }
        foreign: node(id: $foreign) { id }
        nodes(ids: [$record, $foreign, $attachment]) { __typename id }
      }
      fragment RecordFields on Record { referenceNumber attachments(first: 1) { edges { node { filename } } } }`,
      variables: {
        record: encodeGlobalID("Record", aliceRecordId),
        attachment: encodeGlobalID("Attachment", aliceAttachmentId),
        foreign: encodeGlobalID("Record", bobRecordId),
      },
    }),
  ],
  [
    "@include and @skip driven by variables",
    () => ({
      query: `query Directives($withTitle: Boolean!, $skipCount: Boolean!) {
        records(first: 2) { totalCount @skip(if: $skipCount) edges { node { id title @include(if: $withTitle) } } }
      }`,
      variables: { withTitle: true, skipCount: true },
    }),
  ],
  [
    "the viewer, the dashboard statistics and the jobs list",
    () => ({
      query: `{ viewer { user { email role } customer { name slug } }
        recordStats { attachmentCount attachmentBytes fromMonth }
        jobs(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }`,
    }),
  ],
  [
    "a resolver's typed error: its message, path and code, with the sibling field still answered",
    () => ({ query: `{ tooMany: records(first: 1000) { totalCount } viewer { user { role } } }` }),
  ],
  [
    "a malformed id: BAD_USER_INPUT at its path",
    () => ({ query: `{ node(id: "not-a-global-id") { id } records(first: 1) { edges { node { id } } } }` }),
  ],
  [
    "an operation picked by name from a document with two",
    () => ({
      query: `query One { records(first: 1) { edges { node { id } } } } query Two { viewer { user { email } } }`,
      operationName: "Two",
    }),
  ],
];

describe("a query document seen before runs compiled, with the same answer", () => {
  test.each(cases)("%s", async (_name, request) => {
    const { first, second, compiled } = await twice(request());
    expect(second).toEqual(first);
    expect(first.status).toBe(200);
    expect(compiled).toBe(1);
    // And the compiled query goes on answering the same (it is reused, not recompiled).
    expect(await post(t, request(), alice.token)).toEqual(first);
    expect(await compilations(t)).toBeGreaterThan(0);
  });

  test("a compiled document answers each customer with its own data", async () => {
    const body = { query: `{ records(first: 10) { totalCount edges { node { referenceNumber } } } }` };
    const asAlice = await twice(body);
    const asBob = await post(t, body, bob.token);
    expect(asAlice.compiled).toBe(1);
    expect(JSON.parse(asBob.text)).toEqual({ data: { records: { totalCount: 1, edges: [{ node: { referenceNumber: "GLOBEX-1" } }] } } });
    expect(JSON.parse(asAlice.second.text).data.records.totalCount).toBe(7);
  });

  // graphql-jit reads a field without a resolver inline, outside its error handling: a throw
  // there (a cursor getter) left the request unanswered and the rejection unhandled.
  test("a row whose cursor cannot be made: the same masked error from both executors, and an answer", async () => {
    const customer = await t.seed.customer("Broken dates");
    const admin = await customer.user();
    const migration = readMigrations().find((m) => m.name.endsWith("_record_date_range"))!;
    // A date past 9999 (stored before the CHECK existed): its cursor's toISOString throws.
    await t.db.prisma.$executeRawUnsafe(`ALTER TABLE "Record" DROP CONSTRAINT "Record_createdDate_range"`);
    try {
      await t.db.prisma.$executeRaw`INSERT INTO "Record" (id, "customerId", "referenceNumber", "categoryCode", title, "createdDate", "updatedAt")
        VALUES (gen_random_uuid(), ${customer.id}::uuid, 'BROKEN-1', 'CAT001', 'x', '10000-01-01T00:00:00Z'::timestamptz, now())`;
      for (const query of [
        `{ records(first: 2) { edges { cursor node { referenceNumber } } } }`,
        `{ records(first: 2) { pageInfo { endCursor } edges { node { referenceNumber } } } }`,
      ]) {
        const { first, second, compiled } = await twice({ query }, admin.token);
        expect(compiled).toBe(1);
        expect(second).toEqual(first);
        expect(JSON.parse(first.text).errors[0].extensions.code).toBe("INTERNAL_SERVER_ERROR");
      }
    } finally {
      await t.db.prisma.$executeRaw`DELETE FROM "Record" WHERE "customerId" = ${customer.id}::uuid`;
      await inScriptTransaction(t.db, (tx) => tx.exec(migration.sql));
    }
  });

  test("variables that do not coerce are answered by graphql-js, on a compiled document too", async () => {
    const query = `query Page($first: Int!) { records(first: $first) { totalCount } }`;
    const good = await twice({ query, variables: { first: 1 } });
    expect(good.compiled).toBe(1);
    const bad = await twice({ query, variables: { first: "many" } });
    expect(bad.second).toEqual(bad.first);
    expect(bad.first.status).toBe(400);
    expect(JSON.parse(bad.first.text).errors[0]).toMatchObject({
      message: expect.stringContaining('Variable "$first" got invalid value "many"'),
      extensions: { code: "BAD_USER_INPUT" },
    });
    const missing = await twice({ query, variables: {} });
    expect(missing.second).toEqual(missing.first);
    expect(missing.first.status).toBe(400);
  });

  test("mutations are never compiled, nor a document used once", async () => {
    const before = await compilations(t);
    const create = `mutation Create($input: CreateRecordInput!) { createRecord(input: $input) { record { referenceNumber } } }`;
    for (const referenceNumber of ["M-1", "M-2", "M-3"]) {
      const response = await post(t, { query: create, variables: { input: { referenceNumber, categoryCode: "CAT001", title: "t" } } }, alice.token);
      expect(JSON.parse(response.text).data.createRecord.record.referenceNumber).toBe(referenceNumber);
    }
    await post(t, { query: `{ records(first: 4) { totalCount } }` }, alice.token);
    expect(await compilations(t)).toBe(before);
  });
});

describe("the counter counts (twin apps)", () => {
  let atOnce: TestApp;
  let never: TestApp;
  beforeAll(async () => {
    [atOnce, never] = await Promise.all([
      // A budget of 100,000 bytes: a compiled document is counted at 100 bytes a character.
      startTestApp({ COMPILE_QUERIES_ON_USE: "1", DOCUMENT_CACHE_MAX_BYTES: "100000" }),
      startTestApp({ COMPILE_QUERIES_ON_USE: "0" }),
    ]);
  });
  afterAll(() => Promise.all([atOnce?.close(), never?.close()]));

  test("COMPILE_QUERIES_ON_USE=1 compiles at the first use; 0 never compiles", async () => {
    const body = { query: `{ records(first: 1) { totalCount } }` };
    for (const app of [atOnce, never]) {
      const user = await (await app.seed.customer()).user();
      expect((await post(app, body, user.token)).status).toBe(200);
      expect((await post(app, body, user.token)).status).toBe(200);
    }
    expect(await compilations(atOnce)).toBe(1);
    expect(await compilations(never)).toBe(0);
  });

  test("a document heavier than the cache's budget is not compiled, and still answered", async () => {
    const user = await (await atOnce.seed.customer()).user();
    const before = await compilations(atOnce);
    // Over 1,000 characters: more than 100,000 bytes by the estimate, which goes by length.
    const heavy = `# ${"padding ".repeat(130)}\n{ viewer { user { role } } }`;
    expect(heavy.length).toBeGreaterThan(1_000);
    for (let i = 0; i < 3; i++) expect(JSON.parse((await post(atOnce, { query: heavy }, user.token)).text).data.viewer.user.role).toBe("ADMIN");
    expect(await compilations(atOnce)).toBe(before);
  });

  test("at most 60 compilations in a burst, whatever is sent; the rest run on graphql-js", async () => {
    const user = await (await atOnce.seed.customer()).user();
    const before = await compilations(atOnce);
    for (let i = 0; i < 75; i++) {
      const response = await post(atOnce, { query: `{ n${i}: records(first: ${1 + (i % 5)}) { totalCount } }` }, user.token);
      expect(JSON.parse(response.text).data[`n${i}`].totalCount).toBe(0);
    }
    const compiled = (await compilations(atOnce)) - before;
    // Earlier tests took one token or two; a few more may have trickled in meanwhile.
    expect(compiled).toBeGreaterThanOrEqual(55);
    expect(compiled).toBeLessThan(65);
  });
});
