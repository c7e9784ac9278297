// /metrics was public. With METRICS_TOKEN set it answers only requests that carry the token
// as a bearer token (401 otherwise, before anything is read); unset, it stays open.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const token = "metrics-token-0123456789abcdef";
let guarded: TestApp;
let open: TestApp;

beforeAll(async () => {
  [guarded, open] = await Promise.all([startTestApp({ METRICS_TOKEN: token }), startTestApp()]);
});
afterAll(() => Promise.all([guarded.close(), open.close()]));

const scrape = (t: TestApp, authorization?: string, method = "GET") =>
  t.app.fetch("http://yoga/metrics", { method, headers: authorization ? { authorization } : {} });

describe("METRICS_TOKEN", () => {
  test("set: 401 without the token, with another one, or with it in the wrong scheme", async () => {
    for (const authorization of [undefined, "Bearer wrong-token-0123456789", `Basic ${token}`, `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token]) {
      for (const method of ["GET", "HEAD"]) {
        const response = await scrape(guarded, authorization, method);
        expect(response.status, `${method} ${authorization}`).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
        if (method === "GET") expect(await response.text()).not.toContain("testapp_");
      }
    }
  });

  test("set: 200 with the token", async () => {
    const response = await scrape(guarded, `Bearer ${token}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/^# TYPE testapp_graphql_requests_total counter$/m);
  });

  test("the token guards /metrics only: GraphQL and the probes answer as before", async () => {
    expect((await guarded.app.fetch("http://yoga/health")).status).toBe(200);
    expect((await guarded.app.fetch("http://yoga/ready")).status).toBe(200);
    expect((await guarded.gql(`{ __typename }`)).status).not.toBe(500);
  });

  test("unset: /metrics is open (the default)", async () => {
    expect((await scrape(open)).status).toBe(200);
  });

  test("a token shorter than 16 characters is refused at start", () => {
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN: at least 16 characters/);
  });
});
