// GraphQL-over-HTTP compliance, judged by the reference audit (npm graphql-http's auditServer)
// against the real handler. Its MUST audits pass even for a server answering {"data":{}} to
// everything, so what this test really holds is zero SHOULD warnings. The audit sends
// `{ __typename }` without a token, which the API allows outside production.
import { auditServer, type AuditResult } from "graphql-http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let results: AuditResult[];

beforeAll(async () => {
  t = await startTestApp();
  results = await auditServer({
    url: "http://yoga/graphql",
    fetchFn: (input: RequestInfo | URL, init?: RequestInit) => t.app.fetch(String(input), init ?? {}),
  });
});
afterAll(() => t.close());

const describeFailure = (result: AuditResult) =>
  result.status === "ok" ? result.name : `${result.status}: ${result.name} (${result.reason})`;

describe("graphql-http audit", () => {
  test("it ran all its audits (a control: an empty list would pass the checks below)", () => {
    expect(results.length).toBeGreaterThan(20);
    expect(results.filter((result) => result.status === "ok").length).toBeGreaterThan(20);
    expect(results.filter((result) => result.name.startsWith("SHOULD")).length).toBeGreaterThan(10);
  });

  test("the MUST audits can fail (control): a server answering 500 to everything fails them", async () => {
    const broken = await auditServer({ url: "http://yoga/graphql", fetchFn: async () => new Response("oops", { status: 500 }) });
    expect(broken.filter((result) => result.name.startsWith("MUST") && result.status !== "ok").length).toBeGreaterThan(0);
  });

  test("no MUST fails", () => {
    const failures = results.filter((result) => result.name.startsWith("MUST") && result.status !== "ok");
    expect(failures.map(describeFailure)).toEqual([]);
  });

  test("no SHOULD warnings", () => {
    const warnings = results.filter((result) => result.name.startsWith("SHOULD") && result.status !== "ok");
    expect(warnings.map(describeFailure)).toEqual([]);
  });
});
