// The Redis response store on a real Redis (REDIS_URL, as in CI's PostgreSQL run): it serves
// and evicts like the in-memory one, and nothing it writes outlives the responses it indexes
// (the library store it replaced kept every response key in sets that never expire).
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createRedisResponseStore, type RedisResponseStore } from "../src/cache/redis-response-store.js";
import { ResponseCache } from "../src/cache/response-cache.js";
import { buildResponseCacheKey } from "../src/cache/response-cache-key.js";

const redisUrl = process.env.REDIS_URL;
let prefix: string;
let store: RedisResponseStore;
let redis: Redis;

const result = (label: string) => ({ data: { label } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Every key of this test's prefix, with its remaining time to live (-1: none). */
async function keysWithTtl(): Promise<Array<{ key: string; ttlMs: number }>> {
  const keys = await redis.keys(`${prefix}*`);
  return Promise.all(keys.map(async (key) => ({ key, ttlMs: await redis.pttl(key) })));
}

describe.skipIf(!redisUrl)("the Redis response store", () => {
  // A store of its own per test: each looks at its own keys only.
  beforeEach(() => {
    prefix = `test-store-${randomUUID()}:`;
    store = createRedisResponseStore({ url: redisUrl!, keyPrefix: prefix });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    await store.close();
  });
  beforeAll(() => {
    redis = new Redis(redisUrl!);
  });
  afterAll(() => redis.quit());

  test("serves what it stored, and evicts by entity and by type", async () => {
    await store.store.set("one", result("one"), [{ typename: "Record", id: "r1" }, { typename: "Tenant", id: "t1" }], 60_000);
    await store.store.set("two", result("two"), [{ typename: "Record", id: "r2" }, { typename: "Tenant", id: "t1" }], 60_000);
    await store.store.set("three", result("three"), [{ typename: "Session", id: "s1" }], 60_000);
    expect(await store.store.get("one")).toEqual(result("one"));

    await store.store.invalidate([{ typename: "Record", id: "r1" }]);
    expect(await store.store.get("one")).toBeNull();
    expect(await store.store.get("two")).toEqual(result("two"));

    await store.store.invalidate([{ typename: "Tenant", id: "t1" }]);
    expect(await store.store.get("two")).toBeNull();
    expect(await store.store.get("three")).toEqual(result("three"));

    await store.store.invalidate([{ typename: "Session" }]);
    expect(await store.store.get("three")).toBeNull();
    expect(await store.store.get("never stored")).toBeNull();
  });

  test("every key it writes expires, and a tag keeps only responses that are still alive", async () => {
    for (let index = 0; index < 20; index++) {
      await store.store.set(`short-${index}`, result("short"), [{ typename: "Record", id: `r${index}` }, { typename: "Tenant", id: "busy" }], 150);
    }
    const written = await keysWithTtl();
    expect(written.length).toBeGreaterThan(20);
    // No key without a time to live (the library's sets had none), none longer than its responses.
    expect(written.filter(({ ttlMs }) => ttlMs < 0)).toEqual([]);
    expect(Math.max(...written.map(({ ttlMs }) => ttlMs))).toBeLessThanOrEqual(150);

    await sleep(250);
    expect(await keysWithTtl()).toEqual([]);

    // A tag that stays busy (filed again before it expires) sheds its expired members.
    const busyTag = `${prefix}response-cache:entity:Tenant:busy`;
    await store.store.set("long-1", result("long"), [{ typename: "Tenant", id: "busy" }], 60_000);
    await store.store.set("short-a", result("short"), [{ typename: "Tenant", id: "busy" }], 50);
    await sleep(120);
    await store.store.set("long-2", result("long"), [{ typename: "Tenant", id: "busy" }], 60_000);
    expect((await redis.zrange(busyTag, 0, -1)).map((key) => key.slice(key.lastIndexOf(":") + 1)).sort()).toEqual(["long-1", "long-2"]);
    // It lives as long as its longest-lived response, not shorter.
    expect(await redis.pttl(busyTag)).toBeGreaterThan(59_000);
  });

  test("an execution that started before another instance's invalidation does not store what it read", async () => {
    // Two API instances: their own ResponseCache, one Redis.
    const second = createRedisResponseStore({ url: redisUrl!, keyPrefix: prefix });
    const one = new ResponseCache(60_000, store.store);
    const two = new ResponseCache(60_000, second.store);
    try {
      const session = { customerId: randomUUID(), userId: randomUUID() };
      const key = buildResponseCacheKey(session, { documentString: "{ records(first: 5) { totalCount } }" });

      // Instance one starts executing; instance two commits a change and evicts; one finishes.
      one.executionStarted(key);
      await two.recordsChanged(session.customerId, []);
      await one.store!.set(key, result("read before the change"), [], 60_000);
      expect(await one.store!.get(key)).toBeNull();

      // Control: an execution that starts after the invalidation (and its slack) stores.
      await sleep(1_100);
      one.executionStarted(key);
      await one.store!.set(key, result("read after the change"), [], 60_000);
      expect(await two.store!.get(key)).toEqual(result("read after the change"));
    } finally {
      await second.close();
    }
  });
});
