// The response cache in Redis (REDIS_URL), shared by every API instance: a response cached by
// one is served by all, and an eviction by any (a mutation, a sync notice, a user change)
// drops it for all. It implements the Cache interface of the Yoga plugin (get, set,
// invalidate); the tenant tags (tenant-tagged-cache.ts) are ordinary entities it files.
//
// Written here rather than taken from @envelop/response-cache-redis, whose index grows without
// bound: it files each response in plain sets (one per type, one per entity, and one per
// response) that never expire, so a read-mostly service whose responses expire by TTL keeps
// every response key it ever cached. Here each tag is a sorted set of response keys scored by
// their expiry (Redis's own clock): filing a response drops the tag's expired members and
// keeps the tag alive exactly as long as its longest-lived member. Nothing outlives what it
// indexes. Single-node Redis (the scripts touch keys they find in the tags).
//
// Redis down or hanging (issue 12, point 8): requests skip the store at once
// (redis-availability.ts): a read is a miss, a write is dropped, an eviction is noted as
// missed, and none of them fails the request (a committed mutation answers success). Evictions
// missed while Redis was skipped mean it may hold stale answers when it returns: before this
// instance uses it again, it drops every response it holds (and marks the moment, so that an
// execution that started before it does not store what it read).
import type { Cache } from "@graphql-yoga/plugin-response-cache";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import {
  DEFAULT_REDIS_FAIL_FAST,
  failFastRedisOptions,
  RedisAvailability,
  type RedisFailFastSettings,
} from "../redis/redis-availability.js";

export type RedisResponseStore = {
  store: SharedCache;
  /** Whether requests skip Redis now (down, failing, or dropping what it missed): /ready says so. */
  availability: RedisAvailability;
  close(): Promise<void>;
};

type Entity = { typename: string; id?: number | string };

// KEYS[1] the response, KEYS[2] the moment everything was last dropped, KEYS[3..] its tags;
// ARGV[1] the JSON, ARGV[2] the TTL in ms, ARGV[3] how far back (ms) an invalidation of one of
// its tags (or a drop of everything) makes it stale, -1: do not look.
const STORE_RESPONSE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
local lookback = tonumber(ARGV[3])
if lookback >= 0 then
  local dropped = redis.call('GET', KEYS[2])
  if dropped and tonumber(dropped) >= now - lookback then return 0 end
  for i = 3, #KEYS do
    local at = redis.call('GET', KEYS[i] .. ':invalidated')
    if at and tonumber(at) >= now - lookback then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, KEYS[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  local last = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[i], last[2])
end
return 1`;

// KEYS[1] the drop marker; ARGV[1] how long (ms) to remember it. Notes when everything is
// dropped, on Redis's clock, before the responses are deleted.
const MARK_DROPPED = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('SET', KEYS[1], now, 'PX', tonumber(ARGV[1]))`;

// KEYS: tags; ARGV[1] how long (ms) to remember the invalidation. Deletes every response filed
// under the tags and the tags, and notes when (tag:invalidated) for executions still running.
const INVALIDATE_TAGS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 1, #KEYS do
  for _, response in ipairs(redis.call('ZRANGE', KEYS[i], 0, -1)) do
    redis.call('DEL', response)
  end
  redis.call('DEL', KEYS[i])
  redis.call('SET', KEYS[i] .. ':invalidated', now, 'PX', tonumber(ARGV[1]))
end`;

// An execution that started before an invalidation on another instance must not store what it
// read. Invalidations are remembered this long: longer than any execution runs.
const REMEMBER_INVALIDATIONS_MS = 10 * 60 * 1000;
// The execution's start is reckoned on Redis's clock as "now minus its duration here"; this
// slack covers the time between the end of that duration and the script running in Redis
// (a busy event loop, the network). The price: a response whose execution started within a
// second after another instance's eviction of one of its tags is not stored (the next is).
const LOOKBACK_SLACK_MS = 1_000;

// The plugin passes Infinity for "no TTL"; this cache always has one, but never store forever.
const LONGEST_TTL_MS = 24 * 60 * 60 * 1000;

type ScriptedRedis = Redis & {
  storeResponse(keyCount: number, ...keysThenArgs: string[]): Promise<unknown>;
  invalidateTags(keyCount: number, ...keysThenArgs: string[]): Promise<unknown>;
  markDropped(keyCount: number, ...keysThenArgs: string[]): Promise<unknown>;
};

/**
 * The Yoga plugin's Cache, whose set may be told how long ago the response's execution started
 * (`executedForMs`): it is then not stored if any of its tags was invalidated since, by any
 * instance (within one instance ResponseCache itself knows).
 */
export type SharedCache = Omit<Cache, "set"> & {
  set(...args: [...Parameters<Cache["set"]>, executedForMs?: number]): ReturnType<Cache["set"]>;
};

const hasId = (entity: Entity): entity is Required<Entity> => entity.id !== undefined && entity.id !== null;
/** The tag an eviction names: the entity's, or with no id, the whole type's. */
const tagOf = (entity: Entity) => (hasId(entity) ? `entity:${entity.typename}:${entity.id}` : `type:${entity.typename}`);

/** A type's tag holds every response with an entity of that type; an entity's, those with it. */
function tagsOf(entities: Iterable<Entity>): string[] {
  const tags = new Set<string>();
  for (const entity of entities) {
    tags.add(tagOf({ typename: entity.typename }));
    if (hasId(entity)) tags.add(tagOf(entity));
  }
  return [...tags];
}

const responseKey = (id: string) => `response:${id}`;
const DROPPED_KEY = "dropped-at";
const SCAN_BATCH = 500;

/**
 * Deletes every response and tag under `keyPrefix` (not the invalidation and drop markers,
 * which in-flight executions still need), after marking the moment.
 */
async function dropEveryResponse(redis: ScriptedRedis, keyPrefix: string): Promise<void> {
  await redis.markDropped(1, DROPPED_KEY, String(REMEMBER_INVALIDATIONS_MS));
  // SCAN patterns and the keys it returns are not prefixed by ioredis; commands' keys are.
  const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", SCAN_BATCH);
    cursor = next;
    const droppable = keys
      .map((key) => key.slice(keyPrefix.length))
      .filter((key) => key !== DROPPED_KEY && !key.endsWith(":invalidated"));
    if (droppable.length > 0) await redis.unlink(...droppable);
  } while (cursor !== "0");
}

export function createRedisResponseStore(options: {
  url: string;
  keyPrefix: string;
  logger?: Logger;
  failFast?: RedisFailFastSettings;
}): RedisResponseStore {
  const keyPrefix = `${options.keyPrefix}response-cache:`;
  const settings = options.failFast ?? DEFAULT_REDIS_FAIL_FAST;
  // Every key is prefixed (ioredis prefixes the scripts' KEYS too; the tags hold full names).
  const redis = new Redis(options.url, { keyPrefix, ...failFastRedisOptions(settings) }) as ScriptedRedis;
  redis.defineCommand("storeResponse", { lua: STORE_RESPONSE });
  redis.defineCommand("invalidateTags", { lua: INVALIDATE_TAGS });
  redis.defineCommand("markDropped", { lua: MARK_DROPPED });
  // Without a listener a lost connection would crash the process; ioredis reconnects by itself.
  redis.on("error", (error) => options.logger?.debug({ err: error }, "response cache: redis error"));
  const availability = new RedisAvailability(redis, settings, "response cache", options.logger);

  // Evictions this instance could not make, counted; those the last drop covered.
  let missedEvictions = 0;
  let droppedUpTo = 0;
  availability.onReturn(async () => {
    while (droppedUpTo < missedEvictions) {
      const covered = missedEvictions;
      await dropEveryResponse(redis, keyPrefix);
      droppedUpTo = covered;
      options.logger?.info("response cache: dropped what Redis held, as evictions were missed while it was away");
    }
  });

  return {
    store: {
      // A read or write that fails (or is skipped) costs a cache miss, never the request. A
      // miss is null, as in the in-memory store.
      get: async (id) => {
        if (!(await availability.usable())) return null;
        try {
          const json = await redis.get(responseKey(id));
          return json === null ? null : JSON.parse(json);
        } catch (error) {
          availability.failed(error);
          return null;
        }
      },
      set: async (id, result, entities, ttl, executedForMs) => {
        if (!(await availability.usable())) return;
        const ttlMs = Number.isFinite(ttl) ? Math.max(1, Math.round(ttl)) : LONGEST_TTL_MS;
        const keys = [responseKey(id), DROPPED_KEY, ...tagsOf(entities)];
        const lookbackMs = executedForMs === undefined ? -1 : Math.ceil(executedForMs) + LOOKBACK_SLACK_MS;
        try {
          await redis.storeResponse(keys.length, ...keys, JSON.stringify(result), String(ttlMs), String(lookbackMs));
        } catch (error) {
          availability.failed(error);
        }
      },
      // An eviction that cannot be made is remembered, and made good (by dropping everything)
      // before Redis is used again; the change that asked for it has happened and succeeds.
      invalidate: async (entities) => {
        const tags = [...entities].map(tagOf);
        if (tags.length === 0) return;
        if (!(await availability.usable())) {
          missedEvictions += 1;
          return;
        }
        try {
          await redis.invalidateTags(tags.length, ...tags, String(REMEMBER_INVALIDATIONS_MS));
        } catch (error) {
          missedEvictions += 1;
          availability.failed(error);
        }
      },
    },
    availability,
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
