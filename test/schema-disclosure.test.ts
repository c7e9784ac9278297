// In production the schema is not handed out: introspection is refused even with a token, and
// errors carry no "Did you mean …?" hints. Outside production both stay on (the control);
// INTROSPECTION and FIELD_SUGGESTIONS override either way.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let production: TestApp;
let development: TestApp;
let productionToken: string;
let developmentToken: string;

beforeAll(async () => {
  [production, development] = await Promise.all([startTestApp({ NODE_ENV: "production" }), startTestApp()]);
  productionToken = (await production.seed.customerWithAdmin("Acme")).admin.token;
  developmentToken = (await development.seed.customerWithAdmin("Acme")).admin.token;
});
afterAll(() => Promise.all([production.close(), development.close()]));

const typo = `{ viewr { user { id } } }`;
const badEnum = { query: `query ($o: RecordOrder) { records(orderBy: $o) { totalCount } }`, variables: { o: "CREATED_DATE" } };

describe("schema disclosure", () => {
  test("outside production: introspection and suggestions (the control)", async () => {
    const introspection = await development.gql(`{ __schema { queryType { name } } }`, { token: developmentToken });
    expect(introspection.body.data.__schema.queryType.name).toBe("Query");
    expect((await development.gql(typo, { token: developmentToken })).body.errors![0]!.message).toMatch(/Did you mean "viewer"\?/);
    const coercion = await development.gql(badEnum.query, { token: developmentToken, variables: badEnum.variables });
    expect(coercion.body.errors![0]!.message).toMatch(/Did you mean/);
  });

  test("in production: introspection is FORBIDDEN even with a token; __typename still works", async () => {
    for (const query of [`{ __schema { queryType { name } } }`, `{ __type(name: "Record") { name } }`]) {
      const response = await production.gql(query, { token: productionToken });
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors![0]!.extensions?.code).toBe("FORBIDDEN");
      expect(response.body.errors![0]!.message).toContain("INTROSPECTION");
    }
    expect((await production.gql(`{ __typename }`, { token: productionToken })).body.data.__typename).toBe("Query");
  });

  test("in production without a token the same document is UNAUTHENTICATED, before and after (validation is cached)", async () => {
    const query = `{ __schema { queryType { name } } }`;
    expect((await production.gql(query)).body.errors![0]!.extensions?.code).toBe("UNAUTHENTICATED");
    expect((await production.gql(query, { token: productionToken })).body.errors![0]!.extensions?.code).toBe("FORBIDDEN");
    expect((await production.gql(query)).body.errors![0]!.extensions?.code).toBe("UNAUTHENTICATED");
  });

  test("in production: validation and variable errors name no other fields or values", async () => {
    const typoError = (await production.gql(typo, { token: productionToken })).body.errors![0]!;
    expect(typoError.message).toBe('Cannot query field "viewr" on type "Query".');
    const coercion = await production.gql(badEnum.query, { token: productionToken, variables: badEnum.variables });
    expect(coercion.body.errors![0]!.message).toMatch(/CREATED_DATE/);
    expect(coercion.body.errors![0]!.message).not.toMatch(/Did you mean|CREATED_DATE_DESC/);
  });

  test("both are configurable either way", () => {
    const secret = { JWT_SECRET: "x".repeat(40) };
    expect(loadConfig({ NODE_ENV: "production", ...secret })).toMatchObject({ introspection: false, fieldSuggestions: false });
    expect(loadConfig({ NODE_ENV: "production", ...secret, INTROSPECTION: "on", FIELD_SUGGESTIONS: "on" })).toMatchObject({
      introspection: true,
      fieldSuggestions: true,
    });
    expect(loadConfig({ INTROSPECTION: "off" }).introspection).toBe(false);
    expect(() => loadConfig({ INTROSPECTION: "no" })).toThrow(/INTROSPECTION/);
  });
});
