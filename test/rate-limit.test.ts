// Requests per minute: per customer with a valid token, per client address without one.
// A spent budget answers 429 + Retry-After + RATE_LIMITED, costs no SQL, and is counted.
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHttpServer } from "../src/server.js";
import type { SeededCustomer } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const redisUrl = process.env.REDIS_URL;
const uniquePrefix = () => `test-rate-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}:`;

let t: TestApp;
let acme: SeededCustomer;
let globex: SeededCustomer;

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_PER_MINUTE: "3", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "2", TRUST_PROXY: "true" });
  acme = await t.seed.customer("Acme");
  globex = await t.seed.customer("Globex");
});
afterAll(() => t.close());

const viewerQuery = `{ viewer { user { id } } }`;

function expectRateLimited(response: { status: number; headers: Headers; body: any }, variable: string) {
  expect(response.status).toBe(429);
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  const error = response.body.errors[0];
  expect(error.extensions).toMatchObject({ code: "RATE_LIMITED", retryAfterSeconds: retryAfter });
  expect(error.extensions.requestId).toBe(response.headers.get("x-request-id"));
  expect(error.message).toContain(variable);
  expect(response.body.data ?? null).toBeNull();
}

describe("per customer", () => {
  test("the fourth request in a minute is refused; the customer's users share the budget, other customers do not", async () => {
    const [alice, carol] = [await acme.user(), await acme.user({ role: "VIEWER" })];
    const bob = await globex.user();
    for (const token of [alice.token, carol.token, alice.token]) {
      expect((await t.gql(viewerQuery, { token })).status).toBe(200);
    }
    const { result: refused, statements } = await t.db.statements.measure(() => t.gql(viewerQuery, { token: carol.token }));
    expectRateLimited(refused, "RATE_LIMIT_PER_MINUTE");
    // Counted from the authenticated viewer (remembered by the user cache): no SQL of its own.
    expect(statements).toBe(0);
    const other = await t.gql(`{ viewer { customer { slug } } }`, { token: bob.token });
    expect(other.status).toBe(200);
    expect(other.body.data.viewer.customer.slug).toBe(globex.slug);
  });

  test("refusals are counted in /metrics", async () => {
    const metrics = await (await t.app.fetch("http://yoga/metrics")).text();
    expect(metrics).toMatch(/^testapp_graphql_refusals_total\{limit="rate"\} [1-9]/m);
    expect(metrics).toMatch(/^testapp_graphql_errors_total\{code="RATE_LIMITED"\} [1-9]/m);
  });
});

describe("per client address, without a valid token", () => {
  test("behind a trusted proxy: the address it appended to X-Forwarded-For", async () => {
    const from = (address: string) => ({ headers: { "x-forwarded-for": `203.0.113.9, ${address}` } });
    expect((await t.gql(`{ __typename }`, from("10.0.0.1"))).status).toBe(200);
    // A bad token counts against the address too (it cannot name a customer).
    expect((await t.gql(viewerQuery, { ...from("10.0.0.1"), token: "not-a-token" })).status).toBe(401);
    expectRateLimited(await t.gql(`{ __typename }`, from("10.0.0.1")), "RATE_LIMIT_ANONYMOUS_PER_MINUTE");
    expect((await t.gql(`{ __typename }`, from("10.0.0.2"))).status).toBe(200);
  });

  test("without TRUST_PROXY a forged X-Forwarded-For changes nothing: the peer address counts (real port)", async () => {
    // REDIS_URL points at a closed port: the limiter falls back to this instance's memory.
    const app = await startTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: "2", REDIS_URL: "redis://127.0.0.1:1" });
    const server = createHttpServer(app.app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const statuses: number[] = [];
      for (const forged of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": forged },
          body: JSON.stringify({ query: "{ __typename }" }),
        });
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    }
  });
});

describe.skipIf(!redisUrl)("in Redis (REDIS_URL)", () => {
  test("two instances count against one budget", async () => {
    const environment = {
      REDIS_URL: redisUrl!,
      REDIS_KEY_PREFIX: uniquePrefix(),
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: "3",
      TRUST_PROXY: "true",
    };
    const [first, second] = await Promise.all([startTestApp(environment), startTestApp(environment)]);
    try {
      // Until connected, each instance counts in its own memory (the fallback).
      await Promise.all([first.services.rateLimiter.storeReady(), second.services.rateLimiter.storeReady()]);
      const from = { headers: { "x-forwarded-for": "198.51.100.7" } };
      expect((await first.gql(`{ __typename }`, from)).status).toBe(200);
      expect((await second.gql(`{ __typename }`, from)).status).toBe(200);
      expect((await first.gql(`{ __typename }`, from)).status).toBe(200);
      expectRateLimited(await second.gql(`{ __typename }`, from), "RATE_LIMIT_ANONYMOUS_PER_MINUTE");
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
if (!redisUrl) console.info("rate-limit.test.ts: the Redis case is skipped (set REDIS_URL to run it)");
