// Malformed GraphQL parameters are a 400 with a clear BAD_USER_INPUT message, with a token or
// without: with one, `{"query":5}` reached the response cache key unchecked and was a 500
// ("Unexpected error."), and variables nested 5,000 levels deep overflowed JSON.stringify.
// And an unexpected error's log line carries its message, stack and the request id (it was
// `{"level":50,"0":{}}`).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createLogger } from "../src/logger.js";
import { LogCapture } from "./helpers/log-capture.js";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const logs = new LogCapture();
let failContext = false;
let t: TestApp;
let alice: SeededUser;

beforeAll(async () => {
  t = await startTestApp(
    // The response cache on, as in production: the key was built from unchecked parameters.
    { RESPONSE_CACHE_TTL_MS: "60000", LOG_LEVEL: "info" },
    {
      logger: createLogger("info", logs),
      // A fault outside execution, on demand: building the request's DataLoaders throws.
      loaderOptions: {
        get batch() {
          if (failContext) throw new Error("the loaders could not be built (a test fault)");
          return true;
        },
      },
    },
  );
  ({ admin: alice } = await t.seed.customerWithAdmin());
});
afterAll(() => t.close());

/** `{"a":{"a":…}}` `levels` deep, written as text (JSON.stringify would overflow itself). */
const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
const nestedArrayJson = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

const query = `{ viewer { user { id } } }`;
const malformedBodies: Array<[string, string, RegExp]> = [
  ["a number query", `{"query":5}`, /"query" must be a string, got a number/],
  ["an object query", `{"query":{}}`, /"query" must be a string, got a object/],
  ["an array query", `{"query":["${query}"]}`, /"query" must be a string, got an array/],
  ["a boolean query", `{"query":true}`, /"query" must be a string/],
  ["an object operationName", `{"query":"${query}","operationName":{}}`, /"operationName" must be a string/],
  ["a number operationName", `{"query":"${query}","operationName":5}`, /"operationName" must be a string/],
  ["a number documentId", `{"documentId":5}`, /"documentId" must be a string/],
  ["number extensions", `{"query":"${query}","extensions":5}`, /"extensions" must be an object, got a number/],
  ["string extensions", `{"query":"${query}","extensions":"x"}`, /"extensions" must be an object/],
  ["string variables", `{"query":"${query}","variables":"{}"}`, /"variables" must be an object, got a string/],
  ["array variables", `{"query":"${query}","variables":[1]}`, /"variables" must be an object, got an array/],
  ["variables 5,000 levels deep", `{"query":"${query}","variables":${nestedJson(5_000)}}`, /"variables" is nested deeper than 32 levels/],
  ["arrays 5,000 levels deep", `{"query":"${query}","variables":{"a":${nestedArrayJson(5_000)}}}`, /nested deeper/],
  ["extensions 5,000 levels deep", `{"query":"${query}","extensions":${nestedJson(5_000)}}`, /"extensions" is nested deeper/],
];

function expectRefused(response: { status: number }, body: any, message: RegExp) {
  expect(response.status).toBe(400);
  expect(body.data ?? null).toBeNull();
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
  expect(body.errors[0].message).toMatch(message);
}

describe("malformed parameters are 400 BAD_USER_INPUT", () => {
  test.each(malformedBodies)("POST with %s", async (_name, body, message) => {
    for (const token of [alice.token, undefined]) {
      const response = await t.app.fetch("http://yoga/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
      });
      expectRefused(response, await response.json(), message);
    }
  });

  const getCases: Array<[string, Record<string, string>, RegExp]> = [
    ["number variables", { query, variables: "5" }, /"variables" must be an object, got a number/],
    ["array variables", { query, variables: "[1]" }, /"variables" must be an object, got an array/],
    ["variables that are not JSON", { query, variables: "{nope" }, /not valid JSON/],
    ["extensions that are not JSON", { query, extensions: "{" }, /not valid JSON/],
    ["number extensions", { query, extensions: "5" }, /"extensions" must be an object/],
    ["variables 5,000 levels deep", { query, variables: nestedJson(5_000) }, /nested deeper/],
  ];
  test.each(getCases)("GET with %s", async (_name, params, message) => {
    for (const token of [alice.token, undefined]) {
      const response = await t.app.fetch(`http://yoga/graphql?${new URLSearchParams(params)}`, {
        headers: { accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      });
      expectRefused(response, await response.json(), message);
    }
  });

  test("a form post with variables that are not JSON", async () => {
    const response = await t.app.fetch("http://yoga/graphql", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-graphql-yoga-csrf": "1", authorization: `Bearer ${alice.token}` },
      body: new URLSearchParams({ query, variables: "{nope" }).toString(),
    });
    expectRefused(response, await response.json(), /not valid JSON/);
  });

  test("well-formed requests at the limits pass (the control): variables 32 levels deep, a named operation", async () => {
    const response = await t.app.fetch("http://yoga/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
      body: `{"query":"query Me { viewer { user { id } } }","operationName":"Me","variables":${nestedJson(32)},"extensions":{"a":{"b":1}}}`,
    });
    expect(response.status).toBe(200);
    expect((await response.json()).data.viewer.user.id).toEqual(expect.any(String));
    const get = await t.app.fetch(`http://yoga/graphql?${new URLSearchParams({ query, variables: nestedJson(32) })}`, {
      headers: { accept: "application/json", authorization: `Bearer ${alice.token}` },
    });
    expect(get.status).toBe(200);
  });

  test("nothing was logged as an unexpected error", () => {
    expect(logs.lines.filter((line) => line.level === 50)).toEqual([]);
  });
});

describe("the log of an unexpected error", () => {
  test("carries its message, stack and the request id; the client gets the id and nothing else", async () => {
    failContext = true;
    let response;
    try {
      response = await t.gql(query, { token: alice.token, headers: { "x-request-id": "req-unexpected-1" } });
    } finally {
      failContext = false;
    }
    expect(response.body.errors![0]).toMatchObject({
      message: "Unexpected error.",
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId: "req-unexpected-1" },
    });
    expect(JSON.stringify(response.body)).not.toContain("test fault");
    const errorLines = logs.lines.filter((line) => line.level === 50);
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatchObject({ requestId: "req-unexpected-1", msg: "unexpected error" });
    expect(errorLines[0]!.err!.message).toBe("the loaders could not be built (a test fault)");
    expect(errorLines[0]!.err!.stack).toContain("test fault");
  });
});
