// Every error a client can cause carries extensions.code, also the ones graphql-js makes
// before any resolver runs: syntax, validation and bad variable values.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let alice: SeededUser;

beforeAll(async () => {
  t = await startTestApp();
  ({ admin: alice } = await t.seed.customerWithAdmin());
});
afterAll(() => t.close());

test.each([
  ["a syntax error", `{ records { `, {}, "GRAPHQL_PARSE_FAILED"],
  ["an unknown field", `{ records { nope } }`, {}, "GRAPHQL_VALIDATION_FAILED"],
  ["a bad enum value", `query($o: RecordOrder) { records(orderBy: $o) { totalCount } }`, { o: "SIDEWAYS" }, "BAD_USER_INPUT"],
  ["a bad DateTime", `query($d: DateTime) { records(filter: { createdAfter: $d }) { totalCount } }`, { d: "yesterday" }, "BAD_USER_INPUT"],
  ["a missing variable", `query($n: Int!) { records(first: $n) { totalCount } }`, {}, "BAD_USER_INPUT"],
])("%s has a code", async (_name, query, variables, code) => {
  const response = await t.gql(query, { token: alice.token, variables });
  // The status follows GraphQL over HTTP (200 or 400 for application/json); never a 5xx.
  expect([200, 400]).toContain(response.status);
  expect(response.body.data ?? null).toBeNull();
  expect(response.body.errors?.length).toBeGreaterThan(0);
  for (const error of response.body.errors!) expect(error.extensions?.code).toBe(code);
});

test("a valid request is untouched (the control)", async () => {
  const response = await t.gql(`{ records { totalCount } }`, { token: alice.token });
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ data: { records: { totalCount: 0 } } });
});
