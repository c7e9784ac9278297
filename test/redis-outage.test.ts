// Redis down or hanging (issue 12, point 8), with REDIS_URL pointing at a Redis of the test's
// own: requests skip the shared response cache and rate-limit counters at once (answered in
// well under a second, where they took ~5 s), a committed mutation answers success, /ready
// says "degraded", and when Redis returns holding answers this instance could not evict, none
// of them is served: the cache is coherent again, and used again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasRedisServer, OwnRedis } from "./helpers/own-redis.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

// Generous: a request that skips Redis takes milliseconds; before the fix each took ~5 s, or
// hung for good while Redis was paused.
const FAST_MS = 1_000;

let redis: OwnRedis;
let t: TestApp;
let acme: SeededCustomer;
let admin: SeededUser;

const createRecord = `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`;
const count = `{ records(first: 1) { totalCount } }`;

/** The answer, whether it came from the cache, and how long it took. */
async function timed(query: string, variables?: Record<string, unknown>) {
  const started = performance.now();
  const response = await t.gql(query, { token: admin.token, variables });
  const ms = performance.now() - started;
  const hit = (response.body as { extensions?: { responseCache?: { hit?: boolean } } }).extensions?.responseCache?.hit ?? false;
  return { body: response.body, ms, hit };
}

async function totalCount() {
  const answer = await timed(count);
  expect(answer.body.errors).toBeUndefined();
  return { count: answer.body.data.records.totalCount as number, hit: answer.hit, ms: answer.ms };
}

let created = 0;
async function create() {
  const answer = await timed(createRecord, {
    input: { referenceNumber: `OUT-${++created}`, categoryCode: "CAT001", title: "written while Redis was away" },
  });
  return answer;
}

/** /ready's status and what it names as degraded (null: nothing). */
async function readiness() {
  const response = await t.app.fetch("http://yoga/ready");
  const body = (await response.json().catch(() => null)) as { degraded?: string[] } | null;
  return { status: response.status, degraded: body?.degraded ?? null };
}

/** Polls until the cache serves a hit again (Redis used again); every answer meanwhile must be `expected`. */
async function untilCachedAgain(expected: number) {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const answer = await totalCount();
    expect(answer.count).toBe(expected); // never the stale answer Redis still held
    if (answer.hit) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the response cache was not used again after Redis returned");
}

describe.skipIf(!hasRedisServer)("Redis unreachable (REDIS_URL set)", () => {
  beforeAll(async () => {
    redis = await OwnRedis.start();
    t = await startTestApp({
      REDIS_URL: redis.url,
      RESPONSE_CACHE_TTL_MS: "60000",
      RESPONSE_CACHE_METADATA: "true",
      RATE_LIMIT_PER_MINUTE: "10000",
      REDIS_RETRY_AFTER_MS: "1000",
    });
    ({ customer: acme, admin } = await t.seed.customerWithAdmin("Acme"));
    await t.services.rateLimiter.storeReady();
  });
  afterAll(async () => {
    await t?.close();
    await redis?.kill();
  });

  it("hanging (paused): requests skip Redis at once, a mutation succeeds, and no stale answer is served once it is back", async () => {
    const before = (await totalCount()).count;
    expect((await totalCount()).hit).toBe(true); // cached in Redis
    expect(await readiness()).toEqual({ status: 200, degraded: null });

    redis.pause();
    try {
      // The first request pays one command timeout (REDIS_COMMAND_TIMEOUT_MS); then the circuit is open.
      const first = await totalCount();
      expect(first).toMatchObject({ count: before, hit: false });
      expect(first.ms).toBeLessThan(FAST_MS * 2);
      const mutation = await create();
      expect(mutation.body.errors).toBeUndefined();
      expect(mutation.ms).toBeLessThan(FAST_MS);
      for (let i = 0; i < 5; i++) {
        const answer = await totalCount();
        expect(answer).toMatchObject({ count: before + 1, hit: false });
        expect(answer.ms).toBeLessThan(FAST_MS);
      }
      expect(await readiness()).toEqual({ status: 200, degraded: ["redis"] });
    } finally {
      redis.resume();
    }
    // Redis still holds the answer cached before the mutation (count = before): never served.
    await untilCachedAgain(before + 1);
    // The rate limiter's connection comes back on its own schedule (its circuit, then a request).
    await expect
      .poll(async () => (await totalCount(), await readiness()), { timeout: 10_000, interval: 200 })
      .toEqual({ status: 200, degraded: null });
  });

  it("down (killed): requests answer at once, a mutation succeeds, and the cache works again when Redis restarts", async () => {
    const before = (await totalCount()).count;
    await redis.kill();
    const mutation = await create();
    expect(mutation.body.errors).toBeUndefined();
    expect(mutation.ms).toBeLessThan(FAST_MS);
    expect(await t.db.prisma.record.count({ where: { customerId: acme.id } })).toBe(before + 1);
    for (let i = 0; i < 5; i++) {
      const answer = await totalCount();
      expect(answer).toMatchObject({ count: before + 1, hit: false });
      expect(answer.ms).toBeLessThan(FAST_MS);
    }
    expect(await readiness()).toEqual({ status: 200, degraded: ["redis"] });

    await redis.restart();
    await untilCachedAgain(before + 1);
    // Evictions reach Redis again: a new record shows at once.
    expect((await create()).body.errors).toBeUndefined();
    expect(await totalCount()).toMatchObject({ count: before + 2, hit: false });
  });
});
