// Tokens from an identity provider (JWT_JWKS_URL): RS256 and ES256 keys served by a local
// JWKS, issuer and audience checked, small clock skew, and the same rules as HS256 tokens
// after that (the user must exist, be enabled and belong to the customer).
import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AccessTokens } from "../src/auth/access-tokens.js";
import { createJwksKeySet } from "../src/auth/jwks-key-set.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { startJwksServer, type JwksServer } from "./helpers/jwks-server.js";
import { Seed, type SeededCustomer, type SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let idp: JwksServer;
let t: TestApp;
let acme: SeededCustomer;
let alice: SeededUser;

const now = () => Math.floor(Date.now() / 1000);
const query = `{ viewer { customer { slug } } }`;

beforeAll(async () => {
  idp = await startJwksServer();
  t = await startTestApp({ JWT_JWKS_URL: idp.url, JWT_ISSUER: idp.issuer, JWT_AUDIENCE: idp.audience });
  // This server signs no tokens in JWKS mode; the seed's own HS256 tokens are never used here.
  const seed = new Seed(t.db, new AccessTokens("seed-only-secret-that-is-long-enough-0123456789"));
  ({ customer: acme, admin: alice } = await seed.customerWithAdmin("Acme"));
});
afterAll(async () => {
  await t.close();
  await idp.close();
});

const claimsOf = (user: SeededUser) => ({ sub: user.id, customerId: user.customerId });

async function expectUnauthenticated(token: string) {
  const response = await t.gql(query, { token });
  expect(response.status).toBe(401);
  expect(response.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  expect(response.body.data ?? null).toBeNull();
}

describe("JWKS tokens", () => {
  test("RS256 and ES256 tokens of the identity provider are accepted; the key set is fetched once", async () => {
    for (const algorithm of ["RS256", "ES256"] as const) {
      const response = await t.gql(query, { token: await idp.sign(algorithm, claimsOf(alice)) });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.viewer.customer.slug).toBe(acme.slug);
    }
    expect(idp.fetches()).toBe(1);
  });

  test("wrong issuer, wrong audience, expired, and no customer claim are refused", async () => {
    await expectUnauthenticated(await idp.sign("RS256", claimsOf(alice), { issuer: "https://evil.example/" }));
    await expectUnauthenticated(await idp.sign("ES256", claimsOf(alice), { audience: "another-app" }));
    await expectUnauthenticated(await idp.sign("RS256", claimsOf(alice), { expiresAt: now() - 60 }));
    await expectUnauthenticated(await idp.sign("RS256", { sub: alice.id }));
  });

  test("a few seconds of clock skew are tolerated (JWT_CLOCK_TOLERANCE_SECONDS, default 5)", async () => {
    const response = await t.gql(query, { token: await idp.sign("ES256", claimsOf(alice), { expiresAt: now() - 2 }) });
    expect(response.status).toBe(200);
  });

  test("HS256 with the server's own secret, alg none, and a key the provider never published are refused", async () => {
    const hs256 = await new SignJWT({ customerId: alice.customerId })
      .setProtectedHeader({ alg: "HS256", kid: "test-RS256" })
      .setSubject(alice.id)
      .setIssuer(idp.issuer)
      .setAudience(idp.audience)
      .setExpirationTime(now() + 600)
      .sign(new TextEncoder().encode(t.config.jwt.secret!));
    await expectUnauthenticated(hs256);
    const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    const payload = Buffer.from(
      JSON.stringify({ ...claimsOf(alice), iss: idp.issuer, aud: idp.audience, exp: now() + 600 }),
    ).toString("base64url");
    await expectUnauthenticated(`${header}.${payload}.`);
    const stranger = await startJwksServer(); // same key ids, other keys
    try {
      await expectUnauthenticated(await stranger.sign("RS256", claimsOf(alice), { issuer: idp.issuer }));
    } finally {
      await stranger.close();
    }
  });

  test("a user disabled in the database loses its live JWKS token at once", async () => {
    const dave = await acme.user({ role: "MEMBER" });
    const token = await idp.sign("RS256", claimsOf(dave));
    expect((await t.gql(query, { token })).status).toBe(200);
    // Remembered by the verified-user cache now: the second request costs no user lookup.
    const warm = await t.db.statements.measure(() => t.gql(`{ __typename }`, { token }));
    expect(warm.statements).toBe(0);
    await t.db.prisma.user.update({ where: { id: dave.id }, data: { enabled: false } });
    // The trigger's NOTIFY is delivered at commit, asynchronously: allow it a moment.
    await expect
      .poll(async () => (await t.gql(query, { token })).status, { timeout: 2_000, interval: 20 })
      .toBe(401);
  });

  test("an unreachable key set is a 503 that names nothing internal, not a 401", async () => {
    const down = await startTestApp({
      JWT_JWKS_URL: "http://127.0.0.1:1/.well-known/jwks.json",
      JWT_ISSUER: idp.issuer,
      JWT_AUDIENCE: idp.audience,
    });
    try {
      const response = await down.gql(query, { token: await idp.sign("RS256", claimsOf(alice)) });
      expect(response.status).toBe(503);
      const error = response.body.errors![0]!;
      expect(error.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
      expect(error.extensions?.["requestId"]).toBe(response.headers.get("x-request-id"));
      expect(JSON.stringify(response.body)).not.toMatch(/127\.0\.0\.1|jwks|ECONNREFUSED/i);
    } finally {
      await down.close();
    }
  });

  test("the customer claim can be renamed for providers that namespace custom claims", async () => {
    const claim = "https://testapp.example/customerId";
    const tokens = new AccessTokens("unused-secret-that-is-long-enough-0123456789", {
      jwks: createJwksKeySet(idp.url),
      issuer: idp.issuer,
      audience: idp.audience,
      customerIdClaim: claim,
    });
    const customerId = randomUUID();
    const userId = randomUUID();
    expect(await tokens.verify(await idp.sign("ES256", { sub: userId, [claim]: customerId }))).toEqual({ userId, customerId });
    await expect(tokens.verify(await idp.sign("ES256", { sub: userId, customerId }))).rejects.toThrow(/customerId/);
    await expect(tokens.sign({ userId, customerId })).rejects.toThrow(/identity provider/);
  });

  test("configuration: JWKS needs an issuer and an audience, and a URL", () => {
    expect(() => loadConfig({ JWT_JWKS_URL: idp.url, JWT_AUDIENCE: "a" })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_JWKS_URL: idp.url, JWT_AUDIENCE: "a" })).toThrow(/JWT_ISSUER/);
    expect(() => loadConfig({ JWT_JWKS_URL: "not a url", JWT_ISSUER: "i", JWT_AUDIENCE: "a" })).toThrow(/JWT_JWKS_URL/);
    expect(loadConfig({ JWT_JWKS_URL: idp.url, JWT_ISSUER: "i", JWT_AUDIENCE: "a" }).jwt.jwksUrl).toBe(idp.url);
  });
});
