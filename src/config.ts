// Every environment variable the server reads, parsed and validated once. Each setting is
// written once, below: where it sits in `Config`, the variable it comes from and its rule
// (the `Config` type is what the schema produces). A bad value stops the process with a
// message naming the variable.
import path from "node:path";
import { z } from "zod";

/** The environment variable each setting is read from. */
const variables = z.registry<{ variable: string }>();

/** A setting read from the environment variable `name`. */
function fromEnv<Schema extends z.ZodType>(name: string, schema: Schema): Schema {
  variables.add(schema, { variable: name });
  return schema;
}

// Each helper makes a fresh schema: a schema names one variable.
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));
const integer = (defaultValue: number, min = 0) => z.coerce.number().int().min(min).default(defaultValue);
const onOff = (defaultValue: "on" | "off") =>
  z.enum(["on", "off"]).default(defaultValue).transform((value) => value === "on");
const trueFalse = (defaultValue: "true" | "false") =>
  z.enum(["true", "false"]).default(defaultValue).transform((value) => value === "true");
/** Unset: the default depends on other settings (decided below, in `configSchema`). */
const optionalOnOff = () =>
  z.enum(["on", "off"]).optional().transform((value) => (value === undefined ? undefined : value === "on"));
const optionalTrueFalse = () =>
  z.enum(["true", "false"]).optional().transform((value) => (value === undefined ? undefined : value === "true"));
/** A comma-separated list; blanks dropped. */
const list = (normalize: (item: string) => string = (item) => item) =>
  z
    .string()
    .default("")
    .transform((value) => value.split(",").map((item) => normalize(item.trim())).filter(Boolean));

const settingsSchema = z.object({
  env: fromEnv("NODE_ENV", z.enum(["development", "test", "production"]).default("development")),
  port: fromEnv("PORT", integer(4000)),
  /** Unset: 127.0.0.1 (this machine only) outside production, 0.0.0.0 in production. */
  host: fromEnv("HOST", optionalText()),
  dataDir: fromEnv("DATA_DIR", z.string().default("./.data")).transform((dir) => path.resolve(dir)),
  database: z.object({
    /** PostgreSQL connection string; undefined means the embedded PGlite in dataDir. */
    url: fromEnv("DATABASE_URL", optionalText()),
    poolSize: fromEnv("DATABASE_POOL_SIZE", integer(10, 1)),
    connectTimeoutMs: fromEnv("DATABASE_CONNECT_TIMEOUT_MS", integer(5_000, 1)),
    statementTimeoutMs: fromEnv("DATABASE_STATEMENT_TIMEOUT_MS", integer(15_000, 0)),
    idleTimeoutMs: fromEnv("DATABASE_IDLE_TIMEOUT_MS", integer(30_000, 0)),
    /** Embedded database: a socket client (CLI) that keeps its transaction idle this long is disconnected and rolled back, since the server's requests wait for it (src/db/embedded-session-turns.ts). */
    socketIdleTransactionMs: fromEnv("EMBEDDED_SOCKET_IDLE_TRANSACTION_MS", integer(10_000, 1)),
    /** Read replicas (src/db/read-replicas.ts): plain reads outside transactions go there (empty: none). */
    replicaUrls: fromEnv("DATABASE_REPLICA_URLS", list()),
  }),
  jwt: z.object({
    /** undefined outside production means "use the dev secret in dataDir". */
    secret: fromEnv("JWT_SECRET", optionalText()),
    issuer: fromEnv("JWT_ISSUER", optionalText()),
    audience: fromEnv("JWT_AUDIENCE", optionalText()),
    /** Set: RS256/ES256 tokens from an identity provider (Cognito, Auth0), verified with this key set; unset: HS256 with the secret. */
    jwksUrl: fromEnv(
      "JWT_JWKS_URL",
      optionalText().pipe(z.url({ protocol: /^https?$/, error: "expected an http(s):// URL of a JWKS document" }).optional()),
    ),
    customerIdClaim: fromEnv("JWT_CUSTOMER_ID_CLAIM", z.string().min(1).default("customerId")),
    clockToleranceSeconds: fromEnv("JWT_CLOCK_TOLERANCE_SECONDS", z.coerce.number().int().min(0).max(300).default(5)),
  }),
  logLevel: fromEnv("LOG_LEVEL", z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
  // Attachment files (src/storage): local disk under dataDir unless S3_BUCKET is set.
  files: z.object({
    // At most 2^31-1: sizeBytes is a GraphQL Int.
    maxUploadBytes: fromEnv("MAX_UPLOAD_BYTES", z.coerce.number().int().min(1).max(2_147_483_647).default(25 * 1024 * 1024)),
    downloadUrlTtlSeconds: fromEnv("DOWNLOAD_URL_TTL_SECONDS", integer(300, 1)),
    /** Base of the links /files/<id> (e.g. https://api.example.com); default: the request's origin. */
    publicUrl: fromEnv("PUBLIC_URL", optionalText()).transform((url) => url?.replace(/\/+$/, "")),
    /** Set: files live in this S3 bucket; undefined: on local disk under dataDir/files. */
    s3: z
      .object({
        bucket: fromEnv("S3_BUCKET", optionalText()),
        endpoint: fromEnv("S3_ENDPOINT", optionalText()),
        forcePathStyle: fromEnv("S3_FORCE_PATH_STYLE", optionalTrueFalse()),
        region: fromEnv("AWS_REGION", optionalText()),
        defaultRegion: fromEnv("AWS_DEFAULT_REGION", optionalText()),
        accessKeyId: fromEnv("AWS_ACCESS_KEY_ID", optionalText()),
        secretAccessKey: fromEnv("AWS_SECRET_ACCESS_KEY", optionalText()),
      })
      .transform(({ bucket, endpoint, forcePathStyle, region, defaultRegion, accessKeyId, secretAccessKey }) =>
        bucket
          ? {
              bucket,
              endpoint,
              // S3-compatible servers (MinIO, s3rver) usually want bucket-in-path addressing.
              forcePathStyle: forcePathStyle ?? Boolean(endpoint),
              region: region ?? defaultRegion ?? "us-east-1",
              /** undefined: the AWS SDK's default chain (environment, profile, instance role). */
              credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
            }
          : undefined,
      ),
    /** 0 disables the periodic orphan sweep. */
    sweepIntervalSeconds: fromEnv("FILE_SWEEP_INTERVAL_SECONDS", integer(3_600, 0)),
    /** Files younger than this are never swept (an upload may still be on its way to its row). */
    sweepGraceSeconds: fromEnv("FILE_SWEEP_GRACE_SECONDS", integer(3_600, 60)),
  }),
  // Background jobs (src/jobs).
  jobs: z.object({
    /** Jobs one process runs at a time; 0 means this process runs no worker. */
    workerConcurrency: fromEnv("WORKER_CONCURRENCY", integer(2, 0)),
    maxAttempts: fromEnv("JOB_MAX_ATTEMPTS", integer(5, 1)),
    retryDelaySeconds: fromEnv("JOB_RETRY_DELAY_SECONDS", integer(2, 1)),
    /** How long a silent worker keeps its job before another takes it up (pg-boss heartbeats: 10 s is its minimum). */
    leaseSeconds: fromEnv("JOB_LEASE_SECONDS", integer(15, 10)),
    retentionDays: fromEnv("JOB_RETENTION_DAYS", integer(7, 1)),
    /** Open jobUpdated subscriptions one customer may hold on one API instance. */
    subscriptionsPerCustomer: fromEnv("JOB_SUBSCRIPTIONS_PER_CUSTOMER", integer(50, 1)),
    /** Idle workers' poll while job notifications cannot be heard (they are woken by NOTIFY otherwise). */
    pollIntervalSeconds: fromEnv("JOB_POLL_INTERVAL_SECONDS", z.coerce.number().min(0.5).default(1)),
    /** Idle workers' poll while notifications work: only a fallback for a lost one. */
    idlePollIntervalSeconds: fromEnv("JOB_IDLE_POLL_INTERVAL_SECONDS", z.coerce.number().min(0.5).default(60)),
    /** pg-boss supervision while no job is active (every 3 s while one is). */
    idleSuperviseIntervalSeconds: fromEnv("JOB_IDLE_SUPERVISE_INTERVAL_SECONDS", integer(60, 3)),
    /** The PostgreSQL schema pg-boss keeps its queues in (tests give each file its own). */
    queueSchema: fromEnv(
      "JOB_QUEUE_SCHEMA",
      z.string().regex(/^[a-z_][a-z0-9_]*$/, "lower-case letters, digits, _").default("pgboss"),
    ),
  }),
  sync: z.object({
    /** Lower-case host names (optionally host:port) that syncRecords may read. */
    allowedHosts: fromEnv("SYNC_ALLOWED_HOSTS", list((host) => host.toLowerCase())),
    requestTimeoutMs: fromEnv("SYNC_REQUEST_TIMEOUT_MS", integer(10_000, 100)),
    maxPageRecords: fromEnv("SYNC_MAX_PAGE_RECORDS", integer(1_000, 1)),
    maxRecords: fromEnv("SYNC_MAX_RECORDS", integer(100_000, 1)),
    maxResponseBytes: fromEnv("SYNC_MAX_RESPONSE_BYTES", integer(5_000_000, 1_000)),
    /** Sync schedules one customer may have (createSyncSchedule refuses more). */
    maxSchedulesPerCustomer: fromEnv("SYNC_MAX_SCHEDULES_PER_CUSTOMER", integer(20, 1)),
    // One sync's bounds beyond records (src/jobs/record-sync/sync-bounds.ts): a feed that never
    // ends, or ends only after hours, fails with a message naming the setting.
    maxPages: fromEnv("SYNC_MAX_PAGES", integer(10_000, 1)),
    maxTotalBytes: fromEnv("SYNC_MAX_TOTAL_BYTES", integer(500_000_000, 1_000)),
    /** Time spent running (queued and retry waits not counted), over all attempts. */
    maxDurationSeconds: fromEnv("SYNC_MAX_DURATION_SECONDS", integer(3_600, 1)),
    /** A sync that ran this long yields its worker slot between pages while another customer's sync waits; 0: at every page. */
    fairShareSeconds: fromEnv("SYNC_FAIR_SHARE_SECONDS", integer(10, 0)),
  }),
  // Response cache (src/cache).
  responseCache: z.object({
    /** 0: the cache is off. Unset: 60 s, but 0 under NODE_ENV=test, where tests seed straight into the database (past any invalidation); test/cache.test.ts sets it. */
    ttlMs: fromEnv("RESPONSE_CACHE_TTL_MS", z.coerce.number().int().min(0).optional()),
    /** Query.recordStats: longer than lists (it is evicted by the same changes); 0: never cached. */
    statsTtlMs: fromEnv("RESPONSE_CACHE_STATS_TTL_MS", integer(300_000, 0)),
    maxEntries: fromEnv("RESPONSE_CACHE_MAX_ENTRIES", integer(10_000, 1)),
    /** Adds extensions.responseCache (hit or miss) to responses; unset: on outside production. */
    includeMetadata: fromEnv("RESPONSE_CACHE_METADATA", optionalTrueFalse()),
  }),
  /** Shared state of several instances: the response cache and rate-limit counters; undefined: in memory, per instance. */
  redisUrl: fromEnv(
    "REDIS_URL",
    optionalText().pipe(z.url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL" }).optional()),
  ),
  /** Before every Redis key, so deployments and test runs sharing a Redis never meet. */
  redisKeyPrefix: fromEnv("REDIS_KEY_PREFIX", z.string().default("testapp:")),
  /** Redis down or hanging costs a request at most this (src/redis/redis-availability.ts): a command slower than it counts as a failure. */
  redisCommandTimeoutMs: fromEnv("REDIS_COMMAND_TIMEOUT_MS", integer(500, 1)),
  /** After a Redis failure, requests skip Redis this long before it is tried again (a reconnect ends it sooner). */
  redisRetryAfterMs: fromEnv("REDIS_RETRY_AFTER_MS", integer(5_000, 0)),
  /** How long a verified user is trusted without a database lookup (changes evict it at once); 0: every request looks its user up. */
  userCacheTtlMs: fromEnv("USER_CACHE_TTL_MS", integer(30_000, 0)),
  readinessTimeoutMs: fromEnv("READINESS_TIMEOUT_MS", integer(2_000, 1)),
  /** false: every DataLoader runs one statement per key (the N+1 baseline the benchmark measures, bench/). */
  dataloaderBatching: fromEnv("DATALOADER_BATCHING", onOff("on")),
  /** The use of a query document at which it is compiled by graphql-jit (src/plugins/use-compiled-queries.ts); 0: never, graphql-js runs every query. */
  compileQueriesOnUse: fromEnv("COMPILE_QUERIES_ON_USE", integer(2, 0)),
  /** true: request queries also run under PostgreSQL row-level security (src/db/row-level-security.ts), a second tenant wall; its cost: BENCHMARKS.md. */
  rowLevelSecurity: fromEnv("ROW_LEVEL_SECURITY", onOff("off")),
  // Hostile queries and clients (src/plugins/use-query-limits.ts, use-rate-limit.ts,
  // use-persisted-operations.ts). Refusals are QUERY_TOO_COMPLEX / RATE_LIMITED.
  limits: z.object({
    maxDepth: fromEnv("MAX_QUERY_DEPTH", integer(12, 1)),
    maxAliases: fromEnv("MAX_QUERY_ALIASES", integer(30, 0)),
    maxTokens: fromEnv("MAX_QUERY_TOKENS", integer(2_000, 1)),
    maxDirectives: fromEnv("MAX_QUERY_DIRECTIVES", integer(50, 0)),
    // Pothos complexity (src/schema/builder.ts): 1 a field, a connection's selection × its
    // first/last (default 50). 50,000 lets 100 records with 100 attachments each through (~40,000).
    maxCost: fromEnv("MAX_QUERY_COST", integer(50_000, 1)),
    /** Operations in one batched (JSON array) request; 0: batching is off. */
    maxBatchOperations: fromEnv("MAX_BATCH_OPERATIONS", integer(0, 0)),
    /** Bodies that are not uploads (JSON, url-encoded, application/graphql). */
    maxRequestBodyBytes: fromEnv("MAX_REQUEST_BODY_BYTES", integer(1024 * 1024, 1_024)),
    /** Levels of objects and arrays in a request's variables and extensions (deeper: 400). */
    maxVariablesDepth: fromEnv("MAX_VARIABLES_DEPTH", integer(32, 1)),
    /** A document's size in bytes, refused (413) before it is parsed or remembered anywhere. */
    maxQueryBytes: fromEnv("MAX_QUERY_BYTES", integer(100_000, 1_000)),
    /** What each of the parse, parse-error and compiled-query caches may hold, estimated in bytes. */
    documentCacheMaxBytes: fromEnv("DOCUMENT_CACHE_MAX_BYTES", integer(64 * 1024 * 1024, 0)),
  }),
  rateLimit: z.object({
    /** Requests per minute per customer; 0: unlimited. */
    perMinute: fromEnv("RATE_LIMIT_PER_MINUTE", integer(600, 0)),
    /** Requests per minute per client address without a valid token; 0: unlimited. */
    anonymousPerMinute: fromEnv("RATE_LIMIT_ANONYMOUS_PER_MINUTE", integer(300, 0)),
    /** true behind one proxy that appends to X-Forwarded-For: its last address is the client's. */
    trustProxy: fromEnv("TRUST_PROXY", trueFalse("false")),
  }),
  /** off: any operation; allow: ids from the file or any operation; only: ids from the file. */
  persistedOperations: z.object({
    mode: fromEnv("PERSISTED_OPERATIONS", z.enum(["off", "allow", "only"]).default("off")),
    file: fromEnv("PERSISTED_OPERATIONS_FILE", optionalText()).transform((file) => (file ? path.resolve(file) : undefined)),
  }),
  /** Set: GET /metrics needs `Authorization: Bearer <this>` (401 otherwise); unset: /metrics is open. */
  metricsToken: fromEnv(
    "METRICS_TOKEN",
    optionalText().refine((token) => token === undefined || token.length >= 16, "at least 16 characters"),
  ),
  /** Unset: on outside production, off in production. */
  introspection: fromEnv("INTROSPECTION", optionalOnOff()),
  /** "Did you mean …?" in validation errors (they reveal the schema). Unset: on outside production. */
  fieldSuggestions: fromEnv("FIELD_SUGGESTIONS", optionalOnOff()),
});

/** The settings, with the defaults that depend on NODE_ENV filled in. */
const configSchema = settingsSchema.transform((settings) => {
  const isProduction = settings.env === "production";
  return {
    ...settings,
    isProduction,
    host: settings.host ?? (isProduction ? "0.0.0.0" : "127.0.0.1"),
    responseCache: {
      ...settings.responseCache,
      ttlMs: settings.responseCache.ttlMs ?? (settings.env === "test" ? 0 : 60_000),
      includeMetadata: settings.responseCache.includeMetadata ?? !isProduction,
    },
    introspection: settings.introspection ?? !isProduction,
    fieldSuggestions: settings.fieldSuggestions ?? !isProduction,
  };
});

export type Config = z.output<typeof configSchema>;
export type S3Config = NonNullable<Config["files"]["s3"]>;

export class ConfigError extends Error {}

/** The schema's input, read from the environment, and which variable each path came from. */
function readEnvironment(schema: z.ZodType, environment: NodeJS.ProcessEnv, at: string[], sources: Map<string, string>): unknown {
  const variable = variables.get(schema)?.variable;
  if (variable) {
    sources.set(at.join("."), variable);
    return environment[variable];
  }
  if (schema instanceof z.ZodPipe) return readEnvironment(schema.in as z.ZodType, environment, at, sources);
  if (schema instanceof z.ZodObject) {
    return Object.fromEntries(
      Object.entries(schema.shape).map(([key, field]) => [
        key,
        readEnvironment(field as z.ZodType, environment, [...at, key], sources),
      ]),
    );
  }
  throw new Error(`config: the setting ${at.join(".")} names no environment variable`);
}

/** Every environment variable the configuration reads (.env.example and the README list the same). */
export function configVariables(): string[] {
  const sources = new Map<string, string>();
  readEnvironment(configSchema, {}, [], sources);
  return [...sources.values()];
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const sources = new Map<string, string>();
  const parsed = configSchema.safeParse(readEnvironment(configSchema, environment, [], sources));
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => {
        const at = issue.path.map(String).join(".");
        return `  ${sources.get(at) ?? at}: ${issue.message}`;
      })
      .join("\n");
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  const config = parsed.data;
  if (config.isProduction && !config.jwt.secret) {
    throw new ConfigError("JWT_SECRET is required when NODE_ENV=production (a long random string).");
  }
  if (config.jwt.secret && config.jwt.secret.length < 32) {
    throw new ConfigError("JWT_SECRET must be at least 32 characters long.");
  }
  if (config.jwt.jwksUrl && (!config.jwt.issuer || !config.jwt.audience)) {
    throw new ConfigError("JWT_JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE: tokens of other issuers or apps must not pass.");
  }
  if (config.persistedOperations.mode !== "off" && !config.persistedOperations.file) {
    throw new ConfigError(
      `PERSISTED_OPERATIONS=${config.persistedOperations.mode} needs PERSISTED_OPERATIONS_FILE (a JSON object of id → document).`,
    );
  }
  return config;
}
