// Every way a token can be wrong ends in UNAUTHENTICATED with HTTP 401, never data.
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { AccessTokens } from "../src/auth/access-tokens.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let acme: SeededCustomer;
let globex: SeededCustomer;
let alice: SeededUser;
let secret: Uint8Array;

beforeAll(async () => {
  t = await startTestApp();
  secret = new TextEncoder().encode(t.config.jwt.secret!);
  ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
  globex = await t.seed.customer("Globex");
  await acme.record();
});
afterAll(() => t.close());

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

async function expectRefused(authorization: string | undefined) {
  const response = await t.gql(`{ records { totalCount } }`, {
    headers: authorization === undefined ? {} : { authorization },
  });
  expect(response.status).toBe(401);
  expect(response.body.data ?? null).toBeNull();
  expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  return response.body.errors![0]!.message;
}

describe("authentication", () => {
  test("a valid token is accepted (the control for every case below)", async () => {
    const response = await t.gql(`{ records { totalCount } }`, { token: alice.token });
    expect(response.status).toBe(200);
    expect(response.body.data.records.totalCount).toBe(1);
  });

  test("missing token", async () => {
    expect(await expectRefused(undefined)).toMatch(/Authentication required/);
  });

  test("malformed header and malformed token", async () => {
    await expectRefused("Basic dXNlcjpwYXNz");
    await expectRefused("Bearer not-a-jwt");
    await expectRefused("Bearer ");
  });

  test("wrong signature", async () => {
    const forged = await new AccessTokens("another-secret-that-is-long-enough-0123456789").sign({
      userId: alice.id,
      customerId: acme.id,
    });
    await expectRefused(`Bearer ${forged}`);
  });

  test('alg "none"', async () => {
    const header = base64url({ alg: "none", typ: "JWT" });
    const payload = base64url({ sub: alice.id, customerId: acme.id, exp: now() + 3600 });
    await expectRefused(`Bearer ${header}.${payload}.`);
  });

  test("another algorithm with the right secret (HS512) is refused: the algorithm is pinned", async () => {
    const token = await new SignJWT({ customerId: acme.id })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(alice.id)
      .setExpirationTime(now() + 3600)
      .sign(secret);
    await expectRefused(`Bearer ${token}`);
  });

  test("expired, and without exp", async () => {
    const expired = await new SignJWT({ customerId: acme.id })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(alice.id)
      .setExpirationTime(now() - 60)
      .sign(secret);
    expect(await expectRefused(`Bearer ${expired}`)).toMatch(/expired/i);
    const eternal = await new SignJWT({ customerId: acme.id })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(alice.id)
      .sign(secret);
    await expectRefused(`Bearer ${eternal}`);
  });

  test("a token verified once (and remembered) is still refused after it expires", async () => {
    const token = await t.services.tokens.sign({ userId: alice.id, customerId: acme.id }, "60s");
    const ok = await t.gql(`{ records { totalCount } }`, { token });
    expect(ok.status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 120_000);
      expect(await expectRefused(`Bearer ${token}`)).toMatch(/expired/i);
    } finally {
      vi.useRealTimers();
    }
  });

  test("unknown user", async () => {
    const token = await t.services.tokens.sign({ userId: randomUUID(), customerId: acme.id });
    await expectRefused(`Bearer ${token}`);
  });

  test("a user presented as a member of another customer", async () => {
    const token = await t.services.tokens.sign({ userId: alice.id, customerId: globex.id });
    await expectRefused(`Bearer ${token}`);
  });

  test("disabled user", async () => {
    const dave = await acme.user({ enabled: false });
    await expectRefused(`Bearer ${dave.token}`);
  });

  test("mutations are refused too, and change nothing", async () => {
    const response = await t.gql(
      `mutation { createRecord(input: { referenceNumber: "X-1", categoryCode: "CAT001", title: "x" }) { record { id } } }`,
    );
    expect(response.status).toBe(401);
    expect(await t.db.prisma.record.count({ where: { referenceNumber: "X-1" } })).toBe(0);
  });

  test("introspection needs no token outside production", async () => {
    const response = await t.gql(`{ __schema { queryType { name } } }`);
    expect(response.status).toBe(200);
    expect(response.body.data.__schema.queryType.name).toBe("Query");
  });

  test("introspection mixed with data still needs a token", async () => {
    const response = await t.gql(`{ __typename records { totalCount } }`);
    expect(response.status).toBe(401);
  });
});

describe("in production", () => {
  test("introspection needs a token too", async () => {
    const production = await startTestApp({ NODE_ENV: "production" });
    try {
      const response = await production.gql(`{ __schema { queryType { name } } }`);
      expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    } finally {
      await production.close();
    }
  });
});
