// The response cache, per verified session: a response is cached for, and served to, the
// same user of the same customer only. Requests without a verified viewer (no token, a bad
// one, a disabled user) are never cached nor served from the cache. Needs useAuthentication
// before it in the plugin list: Yoga looks the cache up in onParams, before any context.
import { getOperationAST } from "graphql";
import { type Plugin, isAsyncIterable } from "graphql-yoga";
import { useResponseCache } from "@graphql-yoga/plugin-response-cache";
import type { Config } from "../config.js";
import type { ResponseCache } from "../cache/response-cache.js";
import { buildResponseCacheKey, type CacheSession, sessionPrefix } from "../cache/response-cache-key.js";
import type { Metrics } from "../metrics.js";
import { authenticationOf } from "../request/authentication.js";

const servedFromCache = Symbol.for("servedFromResponseCache");

function sessionOf(request: Request): CacheSession | null {
  const viewer = authenticationOf(request)?.viewer;
  return viewer ? { customerId: viewer.customer.id, userId: viewer.user.id } : null;
}

/**
 * Cacheable: a verified viewer, and no If-None-Match naming another session's response
 * (the library answers 304 for any cached key it is sent, before execution, session unseen).
 */
function isCacheable(request: Request): boolean {
  const session = sessionOf(request);
  if (!session) return false;
  const etag = request.headers.get("if-none-match");
  return etag === null || etag.startsWith(sessionPrefix(session));
}

/** A hit: a shallow copy of the stored result, whose `data` is the stored object itself. */
type HitResult = { data?: unknown; errors?: unknown; extensions?: unknown; stringify?: (value: HitResult) => string };

// JSON of the stored `data` objects already served. Serialising the result was the largest
// cost of a hit (~17% of the server's CPU under load): the same object, stringified again
// for every request. Weak: an entry the store drops takes its JSON with it.
const serializedData = new WeakMap<object, string>();

/**
 * Lets Yoga reuse the JSON of this hit's data: it calls result.stringify, when there is one,
 * with the result stripped of its internals (extensions.http: the cache's ETag headers).
 */
function serializeOnce(result: HitResult): void {
  const { data } = result;
  if (typeof data !== "object" || data === null) return;
  result.stringify = (value) => {
    // Only `{ data }` alone has one JSON per stored object; errors or extensions vary per hit.
    if (value.data !== data || value.errors !== undefined || value.extensions !== undefined) return JSON.stringify(value);
    let json = serializedData.get(data);
    if (json === undefined) {
      json = JSON.stringify({ data });
      serializedData.set(data, json);
    }
    return json;
  };
}

/**
 * TTLs by schema coordinate. The library takes the smallest TTL among the coordinates an
 * operation selects and the global TTL only when none matches, so every root field is listed:
 * a query selecting recordStats (5 minutes) and records (the lists' TTL) gets the shorter one.
 */
function ttlsByCoordinate(cache: ResponseCache, config: Config, queryFields: readonly string[]): Record<string, number> {
  return {
    ...Object.fromEntries(queryFields.map((field) => [`Query.${field}`, cache.ttlMs])),
    "Query.recordStats": config.responseCache.statsTtlMs,
    // Jobs change by themselves (the worker): never serve one from the cache.
    "Query.jobs": 0,
    CollectionJob: 0,
    // Schedules too (each run moves nextRunAt, lastRun, skippedRuns), and their lists.
    "Query.syncSchedules": 0,
    SyncSchedule: 0,
    // A download link must outlive the cached response that carries it.
    "Attachment.downloadUrl": Math.min(cache.ttlMs, (config.files.downloadUrlTtlSeconds * 1000) / 2),
  };
}

export function useTenantResponseCache(options: {
  cache: ResponseCache;
  config: Config;
  metrics: Metrics;
  /** The schema's Query fields (each gets the lists' TTL unless it has its own). */
  queryFields: readonly string[];
}): Plugin<{ request: Request }> {
  const { cache, config, metrics } = options;
  if (!cache.store) return {};
  const executedQueries = new WeakSet<Request>();
  const keys = new WeakMap<Request, string>();
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        useResponseCache({
          cache: cache.store!,
          ttl: cache.ttlMs,
          session: (request) => {
            const session = sessionOf(request);
            return session && `${session.customerId}:${session.userId}`;
          },
          enabled: (request) => isCacheable(request),
          // Asked for every request, cacheable or not; without a session the key is never used.
          buildResponseCacheKey: ({ request, documentString, operationName, variableValues }) => {
            const session = sessionOf(request);
            if (!session) return "";
            const key = buildResponseCacheKey(session, { documentString, operationName, variableValues });
            keys.set(request, key);
            return key;
          },
          ttlPerSchemaCoordinate: ttlsByCoordinate(cache, config, options.queryFields),
          // Mutation results still evict the entities they return; lists and deletions are
          // evicted explicitly through services.responseCache (see record-mutations.ts).
          invalidateViaMutation: true,
          includeExtensionMetadata: config.responseCache.includeMetadata,
        }),
      );
    },
    onExecute({ args }) {
      const request = args.contextValue.request;
      if (!isCacheable(request)) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== "query") return;
      executedQueries.add(request);
      const key = keys.get(request);
      if (key) cache.executionStarted(key);
    },
    onResultProcess({ request, result }) {
      if (isAsyncIterable(result) || Array.isArray(result)) return;
      if ((result as Record<symbol, unknown>)[servedFromCache]) {
        metrics.cacheHits.inc();
        serializeOnce(result as HitResult);
      } else if (executedQueries.has(request)) metrics.cacheMisses.inc();
    },
  };
}
