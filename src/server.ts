// Assembles the API: services, the Yoga handler with its plugins (in the order written
// below, deliberately), and the HTTP server.
import { createServer, type Server } from "node:http";
import { createYoga, useReadinessCheck, type YogaServerInstance } from "graphql-yoga";
import { AccessTokens } from "./auth/access-tokens.js";
import { createJwksKeySet } from "./auth/jwks-key-set.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import { VerifiedUserCache } from "./auth/verified-user-cache.js";
import { startFollowingUserChanges } from "./cache/follow-user-changes.js";
import { startFollowingRecordChanges } from "./cache/follow-record-changes.js";
import { createNotifications } from "./db/notifications.js";
import { postgresUrlOf } from "./db/connection-url.js";
import { createResponseCache } from "./cache/response-cache.js";
import { createDocumentCaches, DOCUMENT_CACHE_MAX_ENTRIES } from "./cache/document-caches.js";
import type { Config } from "./config.js";
import { type AppServices, buildContext, type RequestContext } from "./context.js";
import type { Database } from "./db/database.js";
import { withReadYourWrites } from "./db/read-replicas.js";
import { createTenantClientCache } from "./db/tenant-scope.js";
import { JobService } from "./jobs/job-service.js";
import { RecordService } from "./records/record-service.js";
import { AttachmentService } from "./attachments/attachment-service.js";
import { SyncScheduleService } from "./jobs/sync-schedules/schedule-service.js";
import { readJobBacklog } from "./jobs/job-backlog.js";
import { JOB_QUEUES } from "./jobs/queue.js";
import { graphiqlOptions } from "./graphiql.js";
import { DEMO_USER_EMAIL, devTokenForDemoUser } from "./auth/dev-token.js";
import { hasUsers, noUsersHint } from "./next-steps.js";
import { createLogger } from "./logger.js";
import { answerBadRequestTarget, degradedResponse, notReadyResponse } from "./errors.js";
import { Metrics } from "./metrics.js";
import { CursorCodec } from "./pagination/cursor-codec.js";
import { useAuthentication } from "./plugins/use-authentication.js";
import { useAuthenticationGate } from "./plugins/use-authentication-gate.js";
import { useMetrics } from "./plugins/use-metrics.js";
import { useExactRoutes } from "./plugins/use-exact-routes.js";
import { onlyAt } from "./plugins/only-at-route.js";
import { GRAPHQL_PATH, READY_PATH, UNREACHABLE_ENDPOINT } from "./http/routes.js";
import { useRequestId } from "./plugins/use-request-id.js";
import { useTenantResponseCache } from "./plugins/use-tenant-response-cache.js";
import { useTenantReadSessions } from "./plugins/use-tenant-read-sessions.js";
import { useRequestErrorCodes } from "./plugins/use-request-error-codes.js";
import { maskUnexpectedError, useUnexpectedErrorLogging, yogaLogging } from "./plugins/use-unexpected-error-logging.js";
import { useDatabaseFaults } from "./plugins/use-database-faults.js";
import { useQueryLimits } from "./plugins/use-query-limits.js";
import { useRateLimit } from "./plugins/use-rate-limit.js";
import { useRequestParamsCheck } from "./plugins/use-request-params-check.js";
import { usePersistedOperationsAllowList } from "./plugins/use-persisted-operations.js";
import { useSchemaDisclosure } from "./plugins/use-schema-disclosure.js";
import { RequestRateLimiter } from "./rate-limit/request-rate-limiter.js";
import { schema } from "./schema/index.js";
import { createFileStorage } from "./storage/create-file-storage.js";
import { DownloadLinks } from "./storage/download-links.js";
import { DownloadSigner } from "./storage/download-signature.js";
import { useFileDownloads } from "./plugins/use-file-downloads.js";
import { useStreamingUploads } from "./plugins/use-streaming-uploads.js";
import { useUploadCsrfPrevention } from "./plugins/use-upload-csrf-prevention.js";
import { useSubscriptionShutdown } from "./plugins/use-subscription-shutdown.js";
import { useGraphiQLPage } from "./plugins/use-graphiql-page.js";
import { useCompiledQueries } from "./plugins/use-compiled-queries.js";

export function createServices(
  config: Config,
  database: Database,
  overrides: Partial<Pick<AppServices, "logger" | "loaderOptions" | "storage">> = {},
): AppServices {
  const secret = resolveJwtSecret(config);
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const users = new VerifiedUserCache(config.userCacheTtlMs);
  const responseCache = createResponseCache(config, logger);
  const storage = overrides.storage ?? createFileStorage(config);
  return {
    config,
    database,
    tokens: new AccessTokens(secret, {
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      jwks: config.jwt.jwksUrl ? createJwksKeySet(config.jwt.jwksUrl) : undefined,
      customerIdClaim: config.jwt.customerIdClaim,
      clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    }),
    cursors: new CursorCodec(secret),
    tenantDbFor: createTenantClientCache(database.prisma, { rowLevelSecurity: config.rowLevelSecurity }),
    loaderOptions: overrides.loaderOptions ?? { batch: config.dataloaderBatching },
    logger,
    records: new RecordService({ responseCache, storage, logger }),
    attachments: new AttachmentService({ responseCache, storage, logger, maxUploadBytes: config.files.maxUploadBytes }),
    jobs: new JobService(config, database, logger),
    schedules: new SyncScheduleService(config, database),
    responseCache,
    users,
    userChanges: startFollowingUserChanges({ config, database, users, responseCache, logger }),
    // Sync jobs (maybe in another process) announce changed records; drop them from the cache.
    recordChanges: startFollowingRecordChanges({
      database,
      url: postgresUrlOf(config, database),
      responseCache,
      logger,
      createNotifications,
    }),
    documentCaches: createDocumentCaches(config.limits.documentCacheMaxBytes),
    metrics: new Metrics(database, {
      read: () => readJobBacklog(database.prisma, config.jobs.queueSchema),
      queues: JOB_QUEUES,
    }),
    rateLimiter: RequestRateLimiter.create(config, logger),
    storage,
    downloads: new DownloadLinks(
      storage,
      new DownloadSigner(secret),
      config.files.downloadUrlTtlSeconds,
      config.files.publicUrl,
    ),
  };
}

/**
 * Releases what createServices started, then the database: the job queue, the LISTEN
 * connections (first: they would outlive the database otherwise), the response cache's
 * and the rate limiter's Redis. Each step is safe when its service never started.
 */
export async function closeServices(services: AppServices): Promise<void> {
  await services.jobs.close();
  await services.userChanges.stop();
  await services.recordChanges.stop();
  await services.responseCache.close();
  await services.rateLimiter.close();
  await services.database.close();
}

/** Room for the operations and map fields of a multipart request, next to its file. */
const UPLOAD_BODY_OVERHEAD_BYTES = 1024 * 1024;
const MAX_FILES_PER_REQUEST = 10;
const uploadBodyLimit = (config: Config) => config.files.maxUploadBytes + UPLOAD_BODY_OVERHEAD_BYTES;

export type App = YogaServerInstance<Record<string, never>, RequestContext>;

/** `stopping`: aborted when the process shuts down; open subscriptions then complete at once. */
export function createApp(services: AppServices, options: { stopping?: AbortSignal } = {}): App {
  const { config, database, logger } = services;
  return createYoga<Record<string, never>, RequestContext>({
    schema,
    // Which paths exist is decided by useExactRoutes (src/http/routes.ts), not by Yoga's
    // looser matching; its liveness check would answer /x/health, so it is pointed nowhere.
    graphqlEndpoint: GRAPHQL_PATH,
    healthCheckEndpoint: UNREACHABLE_ENDPOINT,
    context: ({ request }) => buildContext(services, request),
    logging: yogaLogging(logger),
    // Errors that are not GraphQLErrors become "Unexpected error." for the client; the cause
    // is logged with the request id by useUnexpectedErrorLogging.
    maskedErrors: { maskError: maskUnexpectedError },
    // GraphiQL is served by useGraphiQLPage (compressed, with an ETag), not by Yoga.
    graphiql: false,
    landingPage: false,
    // Parsed documents and parse errors, bounded in bytes too (DOCUMENT_CACHE_MAX_BYTES).
    parserAndValidationCache: { documentCache: services.documentCaches.documents, errorCache: services.documentCaches.errors },
    // Off: Yoga's own limit wraps the body in a web TransformStream that reads ahead without
    // backpressure, so an upload piled up in memory. Bodies are limited by our plugins instead:
    // JSON by useQueryLimits (MAX_REQUEST_BODY_BYTES), multipart by useStreamingUploads
    // (MAX_UPLOAD_BYTES plus the operations), both counted as they stream.
    maxRequestBodySize: false,
    // Batched requests (a JSON array): off unless MAX_BATCH_OPERATIONS > 0 (useQueryLimits refuses more).
    // Persisted operations may be sent by id (PERSISTED_OPERATIONS).
    extraParamNames: ["documentId"],
    batching: config.limits.maxBatchOperations > 0 ? { limit: config.limits.maxBatchOperations } : false,
    // The order is deliberate; each step relies on the ones before it:
    //  1. request id: every later log line and error of the request carries it. Then the
    //     routes: a path that is not exactly one of ours is 404 (and /health is answered).
    //     Then the shape of the parameters (400), before any plugin reads them.
    //  1a. GraphiQL outside production (GET /graphql from a browser): compressed, with an ETag.
    //  2. metrics: serves /metrics, and times the whole request (cache hits included).
    //  3. readiness (/ready).
    //  3a. query limits: body size and batches while the request is parsed; tokens, depth,
    //     aliases and directives at parse/validation (QUERY_TOO_COMPLEX; cost needs the
    //     variables and is checked when execution starts, src/schema/builder.ts). With them,
    //     schema disclosure: introspection and "Did you mean" hints off in production.
    //  3b. file downloads (/files/<id>, signed links carry their own authorization), then
    //     uploads: the CSRF header, and multipart bodies streamed instead of buffered.
    //  4. authentication: verifies the token and finds the viewer in onRequest, once per
    //     request (buildContext reuses it), because the response cache answers hits in
    //     onParams, before any context exists.
    //  4a. rate limit: per verified customer, else per client address; needs 4, and comes
    //     before the cache so that hits count too (429 RATE_LIMITED).
    //  4b. persisted operations: swaps an allow-listed id for its document in onParams, before
    //     the cache looks the document up (PERSISTED_OPERATIONS).
    //  4c. compiled queries (graphql-jit) for documents seen before; before the cache, which
    //     hands it the annotated document and answers hits without it.
    //  5. response cache: session = the verified customer and user; none → not cached.
    //  6. database faults → SERVICE_UNAVAILABLE; unexpected-error logging: logs and masks with
    //     the request id, before Yoga's masking; request error codes: BAD_USER_INPUT on bad
    //     variable values.
    //  7. authentication gate: refuses unauthenticated operations before execution.
    //  8. with ROW_LEVEL_SECURITY=on, a query's reads share one tenant transaction; last, so
    //     that it wraps only the execution itself (a cache hit never opens one).
    //  9. subscriptions complete when the process shuts down (SIGTERM), so they never hold the drain.
    //  then Yoga's own: parse/validate cache, masking, execution.
    plugins: [
      useRequestId(logger),
      useExactRoutes(),
      ...(config.isProduction
        ? []
        : [
            useGraphiQLPage({
              pageOptions: graphiqlOptions(
                () => devTokenForDemoUser(services.tokens, database.prisma),
                async () => ((await hasUsers(database.prisma)) ? null : noUsersHint(config, DEMO_USER_EMAIL)),
                logger,
              ),
              // Imported on first use: the inlined assets cost ~80 MB of memory, and production has no GraphiQL.
              render: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
            }),
          ]),
      // Before anything reads the parameters (labels, persisted operations, the cache key).
      useRequestParamsCheck({ maxVariablesDepth: config.limits.maxVariablesDepth, maxQueryBytes: config.limits.maxQueryBytes }),
      useMetrics({ metrics: services.metrics, token: config.metricsToken }),
      onlyAt("ready", useReadinessCheck({
        endpoint: READY_PATH,
        check: async () => {
          try {
            await database.ping(config.readinessTimeoutMs);
          } catch (error) {
            return notReadyResponse((error as Error).message);
          }
          // Redis down still serves (without the shared cache and counters): ready, but say so.
          if (services.responseCache.sharedStoreDegraded() || services.rateLimiter.degraded) {
            return degradedResponse(["redis"]);
          }
        },
      })),
      useQueryLimits({ limits: config.limits, metrics: services.metrics }),
      useSchemaDisclosure({ introspection: config.introspection, fieldSuggestions: config.fieldSuggestions }),
      // Signed attachment links (GET /files/<id>): they carry their own authorization.
      useFileDownloads({
        downloads: services.downloads,
        storage: services.storage,
        tenantDbFor: services.tenantDbFor,
        logger,
      }),
      // Multipart/form POSTs need a CSRF header, then stream their files (not buffered).
      useUploadCsrfPrevention(),
      useStreamingUploads({
        maxFileBytes: config.files.maxUploadBytes,
        maxFiles: MAX_FILES_PER_REQUEST,
        maxFieldBytes: UPLOAD_BODY_OVERHEAD_BYTES,
        maxBodyBytes: uploadBodyLimit(config),
      }),
      useAuthentication({
        tokens: services.tokens,
        prisma: database.prisma,
        users: services.users,
        logger,
      }),
      useRateLimit({
        limiter: services.rateLimiter,
        metrics: services.metrics,
        trustProxy: config.rateLimit.trustProxy,
      }),
      usePersistedOperationsAllowList({ settings: config.persistedOperations, schema, metrics: services.metrics }),
      ...(config.compileQueriesOnUse > 0
        ? [
            useCompiledQueries({
              compileOnUse: config.compileQueriesOnUse,
              cache: { maxBytes: config.limits.documentCacheMaxBytes, maxEntries: DOCUMENT_CACHE_MAX_ENTRIES },
              onCompile: (outcome) => services.metrics.compiledQueries.inc({ outcome }),
            }),
          ]
        : []),
      useTenantResponseCache({
        cache: services.responseCache,
        config,
        metrics: services.metrics,
        queryFields: Object.keys(schema.getQueryType()?.getFields() ?? {}),
      }),
      // An unreachable database is SERVICE_UNAVAILABLE (503), not a masked bug.
      useDatabaseFaults(logger),
      useUnexpectedErrorLogging(logger),
      // Syntax, validation and variable errors from graphql-js get BAD_USER_INPUT.
      useRequestErrorCodes(),
      useAuthenticationGate({ allowAnonymousIntrospection: !config.isProduction }),
      ...(config.rowLevelSecurity ? [useTenantReadSessions()] : []),
      ...(options.stopping ? [useSubscriptionShutdown(options.stopping)] : []),
    ],
  });
}

/**
 * `readReplicas`: each request may read from replicas (DATABASE_REPLICA_URLS) until it writes,
 * tracked in an AsyncLocalStorage scope per request. Without replicas there is no scope: on
 * Node 20 an active AsyncLocalStorage hooks every promise, 3–10 % of a request's CPU. (Replicas
 * without a scope would only lose their reads to the primary, never read stale.)
 */
export function createHttpServer(app: App, options: { readReplicas?: boolean } = {}): Server {
  const handle: typeof app.requestListener = options.readReplicas
    ? (request, response) => withReadYourWrites(() => app(request, response))
    : app;
  return createServer((request, response) => {
    // Origin-form targets only (/path?query). An absolute-form one (http://host/path) made the
    // URL the adapter builds from Host + target unparsable: a 500 for a client's mistake.
    if (!request.url?.startsWith("/")) {
      answerBadRequestTarget(response);
      return;
    }
    return handle(request, response);
  });
}
