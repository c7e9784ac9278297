// Anonymous clients cannot pin memory with documents. A document over MAX_QUERY_BYTES is
// refused (413) before it is parsed, cached or hashed; below it, the parse cache, the
// parse-error cache and the response cache's per-document memo each hold no more than their
// byte budget, however many distinct ~1 MB documents arrive (each used to pin ~1.2 MB, up to
// 1,024 of them). Counts and accounted bytes, no timings.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { rootFieldsByDocument } from "../src/cache/response-cache-key.js";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const MB = 1024 * 1024;
let strict: TestApp;
let roomy: TestApp;
let alice: SeededUser;

beforeAll(async () => {
  [strict, roomy] = await Promise.all([
    startTestApp(),
    // Documents of ~1 MB allowed and parsed (many tokens), caches of 3 MB each.
    startTestApp({
      MAX_QUERY_BYTES: String(2 * MB),
      MAX_REQUEST_BODY_BYTES: String(3 * MB),
      MAX_QUERY_TOKENS: "1000000",
      MAX_QUERY_ALIASES: "1000000",
      DOCUMENT_CACHE_MAX_BYTES: String(3 * MB),
      RESPONSE_CACHE_TTL_MS: "60000",
    }),
  ]);
  ({ admin: alice } = await roomy.seed.customerWithAdmin());
});
afterAll(() => Promise.all([strict.close(), roomy.close()]));

/** A distinct document of about `bytes` bytes that is quick to parse and run: a long comment, then `{ __typename }`. */
const bigDocument = (n: number, bytes: number) => `# ${n} ${"x".repeat(bytes)}\n{ __typename }`;
/** The same, but it does not parse (an unclosed selection): what the parse-error cache keeps. */
const brokenDocument = (n: number, bytes: number) => `# ${n} ${"x".repeat(bytes)}\n{ __typename`;

const post = (t: TestApp, query: string, token?: string) =>
  t.app.fetch("http://yoga/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });

describe("document size", () => {
  test("a document over MAX_QUERY_BYTES is 413 before it is parsed: the caches stay empty", async () => {
    const caches = strict.services.documentCaches;
    for (let n = 0; n < 5; n++) {
      const response = await post(strict, bigDocument(n, 150_000));
      expect(response.status).toBe(413);
      const error = (await response.json()).errors[0];
      expect(error.extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", limit: "document_size" });
      expect(error.message).toContain("MAX_QUERY_BYTES");
    }
    const get = await strict.app.fetch(`http://yoga/graphql?query=${encodeURIComponent(bigDocument(9, 150_000))}`, {
      headers: { accept: "application/json" },
    });
    expect(get.status).toBe(413);
    expect(caches.documents.size + caches.errors.size).toBe(0);
    // The control: a document under the limit is parsed and kept.
    expect((await post(strict, `{ __typename }`)).status).toBe(200);
    expect(caches.documents.size).toBe(1);
  });
});

describe("the caches hold no more than their byte budget", () => {
  test("20 distinct documents that parse: the parse cache keeps at most 3 MB of them", async () => {
    const documents = roomy.services.documentCaches.documents;
    // ~20 KB each: a parsed document is counted at ~70 bytes a character, so two fit in 3 MB.
    for (let n = 0; n < 20; n++) {
      const response = await post(roomy, bigDocument(n, 20_000));
      expect(response.status).toBe(200);
    }
    expect(documents.bytes).toBeLessThanOrEqual(3 * MB);
    expect(documents.size).toBeLessThan(20);
    expect(documents.size).toBeGreaterThan(0);
    // A document heavier than the whole budget is never kept.
    const before = documents.size;
    expect((await post(roomy, bigDocument(99, MB))).status).toBe(200);
    expect(documents.size).toBeLessThanOrEqual(before);
    expect(documents.bytes).toBeLessThanOrEqual(3 * MB);
  });

  test("20 distinct ~1 MB documents that do not parse: the error cache keeps at most 3 MB", async () => {
    const errors = roomy.services.documentCaches.errors;
    for (let n = 0; n < 20; n++) {
      const response = await post(roomy, brokenDocument(n, MB));
      expect((await response.json()).errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    }
    expect(errors.bytes).toBeLessThanOrEqual(3 * MB);
    expect(errors.size).toBeLessThanOrEqual(1);
    expect(errors.size).toBeGreaterThan(0);
  });

  test("with a token and the response cache on, its per-document memo stays within 8 MB", async () => {
    for (let n = 0; n < 20; n++) {
      const response = await post(roomy, bigDocument(100 + n, MB), alice.token);
      expect(response.status).toBe(200);
    }
    expect(rootFieldsByDocument.size).toBeGreaterThan(0);
    expect(rootFieldsByDocument.bytes).toBeLessThanOrEqual(8 * MB);
    expect(rootFieldsByDocument.size).toBeLessThan(20);
  });
});
