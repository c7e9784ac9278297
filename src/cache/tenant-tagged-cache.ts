// Wraps any response cache store (in memory, or Redis with REDIS_URL) so that each cached response is
// also filed under its customer, its user and, when it read them, the customer's record lists
// and statistics. The library files responses only under the entities (typename:id) they
// contain; a list that will gain a new record, or a count, contains nothing to file it under.
import type { Cache } from "@graphql-yoga/plugin-response-cache";
import type { SharedCache } from "./redis-response-store.js";
import { parseResponseCacheKey } from "./response-cache-key.js";

/** `{ typename, id? }`, as the store files responses (typed through the store's own API). */
export type CacheEntity = Parameters<Cache["invalidate"]>[0] extends Iterable<infer E> ? E : never;

/** The extra entities a response is filed under; invalidate them to evict it. */
export const cacheTags = {
  customer: (customerId: string): CacheEntity => ({ typename: "Tenant", id: customerId }),
  recordLists: (customerId: string): CacheEntity => ({ typename: "RecordList", id: customerId }),
  // Not "RecordStats": a tag's typename must not be a GraphQL type the library files responses under.
  recordStats: (customerId: string): CacheEntity => ({ typename: "DashboardStats", id: customerId }),
  user: (userId: string): CacheEntity => ({ typename: "Session", id: userId }),
};

/**
 * `mayStore(key)`: false when the response may be stale already, else how long ago its
 * execution started, which a shared store checks against other instances' invalidations
 * (see ResponseCache and redis-response-store.ts).
 */
export function withTenantTags(store: SharedCache, mayStore: (key: string) => false | { executedForMs: number }): Cache {
  return {
    get: (key) => store.get(key),
    invalidate: (entities) => store.invalidate(entities),
    set(key, result, entities, ttl) {
      const parsed = parseResponseCacheKey(key);
      // Every key is built by buildResponseCacheKey; one that is not must not be stored untagged.
      if (!parsed) return;
      const fresh = mayStore(key);
      if (!fresh) return;
      const tags = [cacheTags.customer(parsed.customerId), cacheTags.user(parsed.userId)];
      if (parsed.reads.recordLists) tags.push(cacheTags.recordLists(parsed.customerId));
      if (parsed.reads.recordStats) tags.push(cacheTags.recordStats(parsed.customerId));
      return store.set(key, result, [...entities, ...tags], ttl, fresh.executedForMs);
    },
  };
}
