// Hostile documents are refused before any resolver runs: QUERY_TOO_COMPLEX naming the limit,
// counted in /metrics. Each limit has its control: the same shape one step under the limit passes.
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let tight: TestApp;
let defaults: TestApp;
let tightToken: string;
let defaultToken: string;

beforeAll(async () => {
  [tight, defaults] = await Promise.all([
    startTestApp({
      MAX_QUERY_DEPTH: "4",
      MAX_QUERY_ALIASES: "2",
      MAX_QUERY_TOKENS: "40",
      MAX_QUERY_DIRECTIVES: "2",
      MAX_QUERY_COST: "1000",
      MAX_BATCH_OPERATIONS: "2",
      MAX_REQUEST_BODY_BYTES: "2048",
    }),
    startTestApp(),
  ]);
  const { customer: acme, admin } = await tight.seed.customerWithAdmin("Acme");
  tightToken = admin.token;
  await acme.records(3, () => ({}));
  defaultToken = (await defaults.seed.customerWithAdmin("Globex")).admin.token;
});
afterAll(() => Promise.all([tight.close(), defaults.close()]));

async function expectRefused(query: string, limit: string, variable: string) {
  const response = await tight.gql(query, { token: tightToken });
  expect(response.body.data ?? null).toBeNull();
  expect(response.body.errors).toHaveLength(1);
  const error = response.body.errors![0]!;
  expect(error.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit });
  expect(error.message).toContain(variable);
  return response;
}

async function expectAccepted(app: TestApp, query: string, token: string) {
  const response = await app.gql(query, { token });
  expect(response.body.errors).toBeUndefined();
  expect(response.status).toBe(200);
  return response;
}

async function refusals(app: TestApp): Promise<Record<string, number>> {
  const text = await (await app.app.fetch("http://yoga/metrics")).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^testapp_graphql_refusals_total\{limit="(\w+)"\} (\d+)$/gm)) {
    counts[match[1]!] = Number(match[2]);
  }
  return counts;
}

describe("document limits", () => {
  test("depth: 4 levels pass, 5 are refused", async () => {
    await expectAccepted(tight, `{ records { edges { node { id } } } }`, tightToken);
    await expectRefused(`{ records { edges { node { attachments { totalCount } } } } }`, "depth", "MAX_QUERY_DEPTH");
  });

  test("aliases: 2 pass, 3 are refused", async () => {
    await expectAccepted(tight, `{ a: viewer { user { id } } b: viewer { user { id } } }`, tightToken);
    await expectRefused(
      `{ a: viewer { user { id } } b: viewer { user { id } } c: viewer { user { id } } }`,
      "aliases",
      "MAX_QUERY_ALIASES",
    );
  });

  test("tokens: refused while parsing", async () => {
    const fields = (n: number) => `{ viewer { ${"user { id } ".repeat(n)}} }`;
    await expectAccepted(tight, fields(8), tightToken); // 6 + 4×8 = 38 tokens
    await expectRefused(fields(9), "tokens", "MAX_QUERY_TOKENS");
  });

  test("directives: 2 pass, 3 are refused", async () => {
    await expectAccepted(tight, `{ viewer { user { id @include(if: true) email @skip(if: false) } } }`, tightToken);
    await expectRefused(
      `{ viewer { user { id @include(if: true) email @skip(if: false) role @include(if: true) } } }`,
      "directives",
      "MAX_QUERY_DIRECTIVES",
    );
  });

  test("cost: a page size multiplies what it selects, literal or variable", async () => {
    // Defaults (MAX_QUERY_COST 50,000). One level: 1 + 100 × (edges + node + id + attachments
    // (1 + 100 × 4)) = 40,401 passes; nesting another 100 attachments under each costs ~4 million.
    const page = (inner: string) =>
      `query($n: Int) { records(first: $n) { edges { node { id attachments(first: $n) { edges { node { id filename ${inner} } } } } } } }`;
    const flat = page("");
    const nested = page("record { attachments(first: $n) { edges { node { id } } } }");
    expect((await defaults.gql(flat, { token: defaultToken, variables: { n: 100 } })).body.errors).toBeUndefined();
    const refused = await defaults.gql(nested, { token: defaultToken, variables: { n: 100 } });
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "cost" });
    expect(refused.body.errors?.[0]?.message).toContain("MAX_QUERY_COST");
    // The control: the same nested shape with small pages is cheap enough.
    expect((await defaults.gql(nested, { token: defaultToken, variables: { n: 5 } })).body.errors).toBeUndefined();
  });

  test("GraphQL-over-HTTP status: 200 for application/json, 400 for application/graphql-response+json", async () => {
    const deep = `{ records { edges { node { attachments { totalCount } } } } }`;
    expect((await tight.gql(deep, { token: tightToken })).status).toBe(200);
    const strict = await tight.gql(deep, { token: tightToken, headers: { accept: "application/graphql-response+json" } });
    expect(strict.status).toBe(400);
    expect(strict.body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
  });

  test("every refusal is counted by limit, also when the document's validation is cached", async () => {
    const before = await refusals(tight);
    const deep = `{ records { edges { node { attachments { totalCount } } } } }`;
    await expectRefused(deep, "depth", "MAX_QUERY_DEPTH");
    await expectRefused(deep, "depth", "MAX_QUERY_DEPTH");
    const after = await refusals(tight);
    expect((after["depth"] ?? 0) - (before["depth"] ?? 0)).toBe(2);
  });
});

describe("request limits", () => {
  const post = (app: TestApp, body: string | ReadableStream<Uint8Array>, token: string, headers: Record<string, string> = {}) =>
    app.app.fetch("http://yoga/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
      body,
      ...(typeof body === "string" ? {} : { duplex: "half" }),
    } as RequestInit);
  const batch = (n: number) => JSON.stringify(Array.from({ length: n }, () => ({ query: "{ viewer { user { id } } }" })));

  test("batching is off by default: an array of operations is refused", async () => {
    const response = await post(defaults, batch(2), defaultToken);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.errors[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "batch" });
    expect(body.errors[0].message).toContain("MAX_BATCH_OPERATIONS");
  });

  test("with MAX_BATCH_OPERATIONS=2: two run, three are refused", async () => {
    const two = await post(tight, batch(2), tightToken);
    expect(two.status).toBe(200);
    const results = await two.json();
    expect(results).toHaveLength(2);
    for (const result of results) expect(result.data.viewer.user.id).toBeTruthy();
    const three = await post(tight, batch(3), tightToken);
    expect(three.status).toBe(400);
    expect((await three.json()).errors[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "batch" });
  });

  test("body size: refused by Content-Length, and while streaming when there is none", async () => {
    const body = (padding: number) => JSON.stringify({ query: "{ viewer { user { id } } }", variables: { padding: "x".repeat(padding) } });
    expect((await post(tight, body(1500), tightToken)).status).toBe(200);
    const declared = await post(tight, body(3000), tightToken);
    expect(declared.status).toBe(413);
    expect((await declared.json()).errors[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "body_size" });
    const bytes = new TextEncoder().encode(body(3000));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 512) controller.enqueue(bytes.slice(offset, offset + 512));
        controller.close();
      },
    });
    const chunked = await post(tight, stream, tightToken);
    expect(chunked.status).toBe(413);
    expect((await chunked.json()).errors[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "body_size" });
    const counted = await refusals(tight);
    expect(counted["body_size"]).toBeGreaterThanOrEqual(2);
    expect(counted["batch"]).toBeGreaterThanOrEqual(1);
  });
});

describe("the defaults let real clients through", () => {
  test("a full page with 10 attachments a record, and GraphiQL's introspection without a token", async () => {
    await expectAccepted(
      defaults,
      `{ records(first: 100) { totalCount edges { cursor node { id referenceNumber title createdDate attachmentCount
          attachments(first: 10) { edges { node { id filename contentType sizeBytes record { id } } } } } }
          pageInfo { hasNextPage endCursor } } }`,
      defaultToken,
    );
    const introspection = await defaults.gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(introspection.body.errors).toBeUndefined();
    expect(introspection.body.data.__schema.queryType.name).toBe("Query");
  });
});
