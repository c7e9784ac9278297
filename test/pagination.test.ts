// Keyset pagination: stable under ties, correct in both directions, strict about sizes
// and cursors.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let alice: SeededUser;
const TOTAL = 23;

beforeAll(async () => {
  t = await startTestApp();
  const { customer: acme, admin } = await t.seed.customerWithAdmin("Acme");
  alice = admin;
  // Groups of 5 records share one createdDate: ties on the sort key everywhere.
  await acme.records(TOTAL, (index) => ({
    createdDate: new Date(Date.UTC(2026, 0, 1 + Math.floor(index / 5))),
    categoryCode: index % 2 === 0 ? "CAT002" : "CAT003",
  }));
});
afterAll(() => t.close());

type Page = {
  edges: Array<{ cursor: string; node: { id: string; referenceNumber: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
};

async function page(args: string, variables: Record<string, unknown> = {}): Promise<Page> {
  const response = await t.gql(
    `query($after: String, $before: String, $first: Int, $last: Int) {
      records(first: $first, last: $last, after: $after, before: $before ${args}) {
        totalCount
        edges { cursor node { id referenceNumber } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }`,
    { token: alice.token, variables },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data.records;
}

async function errorOf(args: Record<string, unknown>, orderBy = "CREATED_DATE_DESC") {
  const response = await t.gql(
    `query($after: String, $before: String, $first: Int, $last: Int) {
      records(first: $first, last: $last, after: $after, before: $before, orderBy: ${orderBy}) { edges { cursor } }
    }`,
    { token: alice.token, variables: args },
  );
  expect(response.body.data ?? null).toBeNull();
  return response.body.errors![0]!;
}

async function walkForward(size: number, orderBy: string) {
  const seen: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const result: Page = await page(`, orderBy: ${orderBy}`, { first: size, after });
    seen.push(...result.edges.map((edge) => edge.node.referenceNumber));
    if (!result.pageInfo.hasNextPage) break;
    after = result.pageInfo.endCursor;
  }
  return seen;
}

async function walkBackward(size: number, orderBy: string) {
  const seen: string[] = [];
  let before: string | null = null;
  for (let guard = 0; guard < 100; guard++) {
    const result: Page = await page(`, orderBy: ${orderBy}`, { last: size, before });
    seen.unshift(...result.edges.map((edge) => edge.node.referenceNumber));
    if (!result.pageInfo.hasPreviousPage) break;
    before = result.pageInfo.startCursor;
  }
  return seen;
}

describe("records pagination", () => {
  test("the default page is 50, newest first, ties broken by id", async () => {
    const all = await page("");
    expect(all.edges).toHaveLength(TOTAL);
    expect(all.totalCount).toBe(TOTAL);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  for (const orderBy of ["CREATED_DATE_DESC", "CREATED_DATE_ASC", "REFERENCE_NUMBER_ASC"]) {
    test(`${orderBy}: every page size walks the whole list once, forwards and backwards`, async () => {
      const reference = (await page(`, orderBy: ${orderBy}`, { first: 100 })).edges.map(
        (edge) => edge.node.referenceNumber,
      );
      expect(new Set(reference).size).toBe(TOTAL);
      for (const size of [1, 2, 4, 5, 6, 22, 23, 24, 100]) {
        expect(await walkForward(size, orderBy)).toEqual(reference);
        expect(await walkBackward(size, orderBy)).toEqual(reference);
      }
    });
  }

  test("orders are what they say", async () => {
    const asc = (await page(", orderBy: REFERENCE_NUMBER_ASC", { first: 100 })).edges.map((e) => e.node.referenceNumber);
    expect(asc).toEqual([...asc].sort());
    const desc = (await page("", { first: 100 })).edges.map((e) => e.node.referenceNumber);
    // Records were created one per index with dates ascending in groups: newest group first.
    expect(desc.slice(0, 3).every((reference) => reference >= "REF-00020")).toBe(true);
  });

  test("pageInfo at the edges", async () => {
    const first = await page("", { first: 5 });
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const last = await page("", { last: 3 });
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const beyond = await page("", { first: 5, after: (await page("", { last: 1 })).pageInfo.endCursor });
    expect(beyond.edges).toHaveLength(0);
    expect(beyond.pageInfo).toMatchObject({ hasNextPage: false, startCursor: null, endCursor: null });
    expect(beyond.totalCount).toBe(TOTAL);
  });

  test("first: 0 gives an empty page that still knows there is more", async () => {
    const empty = await page("", { first: 0 });
    expect(empty.edges).toHaveLength(0);
    expect(empty.pageInfo.hasNextPage).toBe(true);
  });

  test("between two cursors (after and before together)", async () => {
    const all = (await page("", { first: 100 })).edges;
    const middle = await page("", { first: 100, after: all[3]!.cursor, before: all[9]!.cursor });
    expect(middle.edges.map((e) => e.node.id)).toEqual(all.slice(4, 9).map((e) => e.node.id));
  });

  test("a filter paginates within itself and counts itself", async () => {
    const filtered = await page(`, filter: { categoryCode: "CAT002" }`, { first: 5 });
    expect(filtered.totalCount).toBe(12);
    const rest = await page(`, filter: { categoryCode: "CAT002" }`, { first: 100, after: filtered.pageInfo.endCursor });
    expect(rest.edges).toHaveLength(7);
  });

  test("more than 100 is BAD_USER_INPUT, not a silent clamp", async () => {
    for (const args of [{ first: 101 }, { last: 101 }, { first: -1 }, { first: 1, last: 1 }]) {
      expect((await errorOf(args)).extensions?.code).toBe("BAD_USER_INPUT");
    }
    expect((await errorOf({ first: 101 })).message).toMatch(/100/);
  });

  test("malformed and tampered cursors are BAD_USER_INPUT", async () => {
    const good = (await page("", { first: 1 })).pageInfo.endCursor!;
    const [payload, signature] = good.split(".");
    const otherPayload = Buffer.from(JSON.stringify(["2030-01-01T00:00:00.000Z", "00000000-0000-4000-8000-000000000000"])).toString("base64url");
    for (const cursor of ["garbage", "", "a.b.c", `${otherPayload}.${signature}`, `${payload}.${"A".repeat(16)}`]) {
      if (cursor === "") continue; // an empty cursor means "no cursor"
      const error = await errorOf({ first: 1, after: cursor });
      expect(error.extensions?.code).toBe("BAD_USER_INPUT");
      expect(error.message).not.toMatch(/prisma|sql|postgres/i);
    }
  });

  test("a cursor of another order or list is refused", async () => {
    const dateCursor = (await page("", { first: 1 })).pageInfo.endCursor!;
    expect((await errorOf({ first: 1, after: dateCursor }, "REFERENCE_NUMBER_ASC")).extensions?.code).toBe(
      "BAD_USER_INPUT",
    );
    const jobs = await t.gql(`query($after: String) { jobs(after: $after) { edges { cursor } } }`, {
      token: alice.token,
      variables: { after: dateCursor },
    });
    expect(jobs.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("attachments pagination", () => {
  test("first/after within one record; cursors of another record are refused", async () => {
    const { customer: acme, admin: user } = await t.seed.customerWithAdmin("Paging attachments");
    const [one, two] = await acme.records(2, () => ({}));
    await acme.attachments(one!.id, 7);
    await acme.attachments(two!.id, 2);
    const query = `query($after: String) { records { edges { node { referenceNumber attachments(first: 3, after: $after) {
      totalCount edges { cursor node { filename } } pageInfo { hasNextPage endCursor } } } } } }`;
    const firstPage = await t.gql(query, { token: user.token });
    const byRef = (data: any) => Object.fromEntries(data.records.edges.map((e: any) => [e.node.referenceNumber, e.node.attachments]));
    const pages = byRef(firstPage.body.data);
    expect(pages["REF-00000"].totalCount).toBe(7);
    expect(pages["REF-00000"].edges.map((e: any) => e.node.filename)).toEqual(["file-0.pdf", "file-1.pdf", "file-2.pdf"]);
    expect(pages["REF-00000"].pageInfo.hasNextPage).toBe(true);
    expect(pages["REF-00001"].pageInfo.hasNextPage).toBe(false);

    const node = await t.gql(
      `query($id: ID!, $after: String) { node(id: $id) { ... on Record { attachments(first: 3, after: $after) { edges { node { filename } } } } } }`,
      { token: user.token, variables: { id: (await recordGlobalId(user.token, "REF-00000")), after: pages["REF-00000"].pageInfo.endCursor } },
    );
    expect(node.body.data.node.attachments.edges.map((e: any) => e.node.filename)).toEqual(["file-3.pdf", "file-4.pdf", "file-5.pdf"]);

    const foreign = await t.gql(
      `query($id: ID!, $after: String) { node(id: $id) { ... on Record { attachments(first: 3, after: $after) { edges { node { filename } } } } } }`,
      { token: user.token, variables: { id: (await recordGlobalId(user.token, "REF-00001")), after: pages["REF-00000"].pageInfo.endCursor } },
    );
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

async function recordGlobalId(token: string, referenceNumber: string): Promise<string> {
  const response = await t.gql(`query($r: String!) { recordByReference(referenceNumber: $r) { id } }`, {
    token,
    variables: { r: referenceNumber },
  });
  return response.body.data.recordByReference.id;
}
