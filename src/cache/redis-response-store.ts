// The response cache in Redis (REDIS_URL), shared by every API instance: a response cached by
// one is served by all, and an eviction by any (a mutation, a sync notice, a user change)
// drops it for all. The store is @envelop/response-cache-redis; its Cache interface is the
// one the Yoga plugin's @envelop/response-cache 9 uses (get, set, invalidate: unchanged
// since 8), and the tenant tags (tenant-tagged-cache.ts) are ordinary entities it files.
import { createRedisCache } from "@envelop/response-cache-redis";
import type { Cache } from "@graphql-yoga/plugin-response-cache";
import { Redis } from "ioredis";
import type { Logger } from "pino";

export type RedisResponseStore = { store: Cache; close(): Promise<void> };

export function createRedisResponseStore(options: { url: string; keyPrefix: string; logger?: Logger }): RedisResponseStore {
  const redis = new Redis(options.url, {
    // Every key (responses and entity sets) is prefixed; our invalidations always name an id,
    // so the library never needs its KEYS scan (which would not strip the prefix).
    keyPrefix: `${options.keyPrefix}response-cache:`,
    // A request must not hang on a Redis that is down: fail fast and execute instead.
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  });
  // Without a listener a lost connection would crash the process; ioredis reconnects by itself.
  redis.on("error", (error) => options.logger?.warn({ err: error }, "response cache: redis error"));
  const store = createRedisCache({ redis }) as Cache;
  return {
    store: {
      // A read or write that fails costs a cache miss, never the request. A miss is null, as
      // in the in-memory store.
      get: async (key) => {
        try {
          return (await store.get(key)) ?? null;
        } catch {
          return null;
        }
      },
      set: async (key, result, entities, ttl) => {
        try {
          await store.set(key, result, entities, ttl);
        } catch (error) {
          options.logger?.warn({ err: error }, "response cache: could not store a response");
        }
      },
      // A failed eviction must reach the caller (it logs; TTLs bound the staleness).
      invalidate: (entities) => store.invalidate(entities),
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
