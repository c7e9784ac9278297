// No N+1: the whole request, authentication included, runs the same number of SQL
// statements whatever the page size. Counted at the driver adapter (src/db/statement-counter.ts).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const pageQuery = `query Page($n: Int!) {
  records(first: $n) {
    totalCount
    edges { node { attachmentCount attachments(first: 10) { edges { node { id filename record { id } } } } } }
  }
}`;

let t: TestApp;
let alice: SeededUser;

beforeAll(async () => {
  t = await startTestApp();
  const { customer: acme, admin } = await t.seed.customerWithAdmin("Acme");
  alice = admin;
  const records = await acme.records(120, () => ({}));
  for (const record of records.slice(0, 110)) await acme.attachments(record.id, 3);
  // Another customer's rows must not change the counts (or the answers).
  const globex = await t.seed.customer("Globex");
  await globex.records(30, () => ({}));
});
afterAll(() => t.close());

async function statementsFor(query: string, variables: Record<string, unknown>) {
  const { result, statements } = await t.db.statements.measure(() =>
    t.gql(query, { token: alice.token, variables }),
  );
  expect(result.body.errors).toBeUndefined();
  return { statements, data: result.body.data };
}

describe("statements per request", () => {
  test("the same for 1, 50 and 100 records, and at most 4", async () => {
    // The first request of a user may authenticate against the database and later ones
    // from a cache of verified users; measure warm, then check the cold one separately.
    const cold = await statementsFor(pageQuery, { n: 100 });
    expect(cold.statements).toBeLessThanOrEqual(4);
    const counts: number[] = [];
    for (const n of [1, 50, 100]) {
      const { statements, data } = await statementsFor(pageQuery, { n });
      expect(data.records.edges).toHaveLength(n);
      expect(data.records.totalCount).toBe(120);
      counts.push(statements);
    }
    // auth (1) + page with total (1) + attachment counts (1) + first attachments (1)
    expect(counts[0]).toBeLessThanOrEqual(4);
    expect(new Set(counts).size).toBe(1);
  });

  test("positive control: with batching off, statements grow with the page (the counter counts)", async () => {
    const unbatched = await startTestApp({}, { loaderOptions: { batch: false } });
    try {
      const { customer: acme, admin: user } = await unbatched.seed.customerWithAdmin("Acme");
      const records = await acme.records(20, () => ({}));
      for (const record of records) await acme.attachments(record.id, 1);
      // Warm: the user's first request may authenticate against the database, later ones not.
      await unbatched.gql(pageQuery, { token: user.token, variables: { n: 1 } });
      const counts: number[] = [];
      for (const n of [5, 20]) {
        const { statements } = await unbatched.db.statements.measure(() =>
          unbatched.gql(pageQuery, { token: user.token, variables: { n } }),
        );
        counts.push(statements);
      }
      // Two per-record loaders (counts, attachments): 15 more records, 30 more statements.
      expect(counts[1]! - counts[0]!).toBe(30);
    } finally {
      await unbatched.close();
    }
  });

  test("the viewer costs no statement beyond authentication, and a node lookup one", async () => {
    const viewer = await statementsFor(`{ viewer { user { email } customer { slug } } }`, {});
    expect(viewer.statements).toBe(0); // warm: the user and customer come from the verified-user cache
    const page = await statementsFor(`{ records(first: 1) { edges { node { id } } } }`, {});
    const id = page.data.records.edges[0].node.id;
    const lookup = await statementsFor(`query ($id: ID!) { viewer { user { email } } node(id: $id) { id } }`, { id });
    expect(lookup.data.node).toEqual({ id });
    expect(lookup.statements).toBe(1);
  });

  test("a records page and the first attachments it asks for are one statement, with the same answer", async () => {
    // The shape of the benchmark's request: no counts, one attachments page per record.
    const prefetched = `query Page($n: Int!) {
      records(first: $n) { edges { cursor node { id attachments(first: 2) {
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id filename contentType sizeBytes createdAt downloadUrl } } } } } }
    }`;
    // @include keeps the same answer but is left to the attachments loader (a second statement).
    const loaded = prefetched.replace("attachments(first: 2)", "attachments(first: 2) @include(if: true)");
    await statementsFor(prefetched, { n: 5 }); // warm: authentication cached
    const one = await statementsFor(prefetched, { n: 50 });
    const two = await statementsFor(loaded, { n: 50 });
    expect(one.statements).toBe(1);
    expect(two.statements).toBe(2);
    expect(one.data).toEqual(two.data);
    // Not vacuous: attachments were there, more than a page of them.
    const pages = one.data.records.edges.map((edge: { node: { attachments: { pageInfo: { hasNextPage: boolean } } } }) =>
      edge.node.attachments.pageInfo.hasNextPage,
    );
    expect(pages).toContain(true);
  });
});
