// The response cache as a service: the store the Yoga plugin reads and writes, and the one
// place mutations, the job worker and user changes go through to evict what they changed.
// Database ids in, global ids (what responses are filed under) inside.
import { createInMemoryCache, type Cache } from "@graphql-yoga/plugin-response-cache";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { BoundedMap } from "../bounded-map.js";
import { createRedisResponseStore, type SharedCache } from "./redis-response-store.js";
import { type CacheEntity, cacheTags, withTenantTags } from "./tenant-tagged-cache.js";

const MAX_EXECUTIONS_TRACKED = 10_000;

export class ResponseCache {
  /** null when RESPONSE_CACHE_TTL_MS is 0: nothing is cached and invalidation is a no-op. */
  readonly store: Cache | null;
  // A query that read before a change and finishes after its invalidation would store a stale
  // answer: each execution notes the invalidation count it started under, and its result is
  // stored only if no invalidation happened meanwhile. Other instances' invalidations are the
  // shared store's to check, told how long ago the execution started (redis-response-store.ts).
  private invalidations = 0;
  private readonly executionsByKey = new BoundedMap<string, { invalidations: number; startedAt: number }>(MAX_EXECUTIONS_TRACKED);

  constructor(
    readonly ttlMs: number,
    store: SharedCache | null,
    /** Releases the store's connection (Redis); nothing for the in-memory store. */
    readonly close: () => Promise<void> = async () => {},
    /** True while the shared store (Redis) is skipped: responses are neither served from it nor stored. */
    readonly sharedStoreDegraded: () => boolean = () => false,
  ) {
    this.store = ttlMs > 0 && store ? withTenantTags(store, (key) => this.mayStore(key)) : null;
  }

  /** A cacheable query with this key starts executing (a miss). */
  executionStarted(key: string): void {
    // Two identical queries in flight: the earlier start decides.
    if (!this.executionsByKey.has(key)) {
      this.executionsByKey.set(key, { invalidations: this.invalidations, startedAt: performance.now() });
    }
  }

  private mayStore(key: string): false | { executedForMs: number } {
    const execution = this.executionsByKey.get(key);
    this.executionsByKey.delete(key);
    if (execution?.invalidations !== this.invalidations) return false;
    return { executedForMs: performance.now() - execution.startedAt };
  }

  get enabled(): boolean {
    return this.store !== null;
  }

  /**
   * Records created, updated or deleted (by a mutation or a sync): every cached response that
   * shows one of them, and every cached record list, lookup, count and statistic of the customer.
   */
  recordsChanged(customerId: string, recordIds: readonly string[]): Promise<void> {
    return this.invalidate([
      cacheTags.recordLists(customerId),
      cacheTags.recordStats(customerId),
      ...globalIds("Record", recordIds),
    ]);
  }

  /**
   * Attachments added or removed: the responses showing them, or their records' counts and lists,
   * and the customer's statistics (attachment count and bytes).
   */
  attachmentsChanged(
    customerId: string,
    changes: { recordIds: readonly string[]; attachmentIds: readonly string[] },
  ): Promise<void> {
    return this.invalidate([
      cacheTags.recordStats(customerId),
      ...globalIds("Record", changes.recordIds),
      ...globalIds("Attachment", changes.attachmentIds),
    ]);
  }

  /** The customer's statistics changed otherwise (a job's status: follow-record-changes.ts). */
  statsChanged(customerId: string): Promise<void> {
    return this.invalidate([cacheTags.recordStats(customerId)]);
  }

  /** Everything cached for one customer (bulk changes where listing ids is not worth it). */
  customerChanged(customerId: string): Promise<void> {
    return this.invalidate([cacheTags.customer(customerId)]);
  }

  /** A user changed (role, email, disabled) or was deleted: their responses and any showing them. */
  userChanged(userId: string): Promise<void> {
    return this.invalidate([cacheTags.user(userId), ...globalIds("User", [userId])]);
  }

  private async invalidate(entities: CacheEntity[]): Promise<void> {
    if (!this.store) return;
    this.invalidations += 1;
    await this.store.invalidate(entities);
  }
}

function globalIds(typename: string, ids: readonly string[]): CacheEntity[] {
  return ids.map((id) => ({ typename, id: encodeGlobalID(typename, id) }));
}

/** The store for this configuration: Redis (shared by all instances) when REDIS_URL is set. */
export function createResponseCache(config: Config, logger?: Logger): ResponseCache {
  const { ttlMs, maxEntries } = config.responseCache;
  if (ttlMs > 0 && config.redisUrl) {
    const redis = createRedisResponseStore({
      url: config.redisUrl,
      keyPrefix: config.redisKeyPrefix,
      logger,
      failFast: { commandTimeoutMs: config.redisCommandTimeoutMs, retryAfterMs: config.redisRetryAfterMs },
    });
    return new ResponseCache(ttlMs, redis.store, redis.close, () => redis.availability.degraded);
  }
  return new ResponseCache(ttlMs, ttlMs > 0 ? createInMemoryCache({ max: maxEntries }) : null);
}
