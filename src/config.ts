// Every environment variable the server reads, parsed and validated once.
// A bad value stops the process with a message naming the variable.
import path from "node:path";
import { z } from "zod";

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const integer = (defaultValue: number, min = 0) =>
  z.coerce.number().int().min(min).default(defaultValue);

const environmentSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: integer(4000),
  HOST: z.string().default("0.0.0.0"),
  DATA_DIR: z.string().default("./.data"),
  DATABASE_URL: optionalString,
  DATABASE_POOL_SIZE: integer(10, 1),
  DATABASE_CONNECT_TIMEOUT_MS: integer(5_000, 1),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(15_000, 0),
  DATABASE_IDLE_TIMEOUT_MS: integer(30_000, 0),
  // Comma-separated read replicas (src/db/read-replicas.ts); unset: every query on DATABASE_URL.
  DATABASE_REPLICA_URLS: z.string().default(""),
  JWT_SECRET: optionalString,
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  // Attachment files (src/storage): local disk under DATA_DIR unless S3_BUCKET is set.
  // At most 2^31-1: sizeBytes is a GraphQL Int.
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).max(2_147_483_647).default(25 * 1024 * 1024),
  DOWNLOAD_URL_TTL_SECONDS: integer(300, 1),
  PUBLIC_URL: optionalString,
  S3_BUCKET: optionalString,
  S3_ENDPOINT: optionalString,
  S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).optional(),
  AWS_REGION: optionalString,
  AWS_DEFAULT_REGION: optionalString,
  AWS_ACCESS_KEY_ID: optionalString,
  AWS_SECRET_ACCESS_KEY: optionalString,
  FILE_SWEEP_INTERVAL_SECONDS: integer(3_600, 0),
  FILE_SWEEP_GRACE_SECONDS: integer(3_600, 60),
  // Background jobs (src/jobs).
  WORKER_CONCURRENCY: integer(2, 0),
  JOB_MAX_ATTEMPTS: integer(5, 1),
  JOB_RETRY_DELAY_SECONDS: integer(2, 1),
  // pg-boss heartbeats: 10 s is its minimum.
  JOB_LEASE_SECONDS: integer(15, 10),
  JOB_RETENTION_DAYS: integer(7, 1),
  JOB_POLL_INTERVAL_SECONDS: z.coerce.number().min(0.5).default(1),
  // The PostgreSQL schema pg-boss keeps its queues in (tests give each file its own).
  JOB_QUEUE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, "lower-case letters, digits, _").default("pgboss"),
  SYNC_ALLOWED_HOSTS: z.string().default(""),
  SYNC_REQUEST_TIMEOUT_MS: integer(10_000, 100),
  SYNC_MAX_PAGE_RECORDS: integer(1_000, 1),
  SYNC_MAX_RECORDS: integer(100_000, 1),
  SYNC_MAX_RESPONSE_BYTES: integer(5_000_000, 1_000),
  // Response cache (src/cache): 0 turns it off. Unset: 60 s, but 0 under NODE_ENV=test, where
  // tests seed straight into the database (past any invalidation); test/cache.test.ts sets it.
  RESPONSE_CACHE_TTL_MS: z.coerce.number().int().min(0).optional(),
  // Query.recordStats is cached longer than lists (it is evicted by the same changes).
  RESPONSE_CACHE_STATS_TTL_MS: integer(300_000, 0),
  RESPONSE_CACHE_MAX_ENTRIES: integer(10_000, 1),
  // Prefixes every Redis key this deployment writes (several deployments may share one Redis).
  REDIS_KEY_PREFIX: z.string().default("testapp:"),
  // extensions.responseCache on responses; default: on outside production.
  RESPONSE_CACHE_METADATA: z.enum(["true", "false"]).optional(),
  // How long a verified user is trusted without a database lookup (changes evict it at once).
  USER_CACHE_TTL_MS: integer(30_000, 0),
  READINESS_TIMEOUT_MS: integer(2_000, 1),
  // DataLoader batching; "off" is the N+1 baseline the benchmark measures (bench/).
  DATALOADER_BATCHING: z.enum(["on", "off"]).default("on"),
  // PostgreSQL row-level security as a second tenant wall (src/db/row-level-security.ts);
  // its cost is measured by `npm run bench` (BENCHMARKS.md).
  ROW_LEVEL_SECURITY: z.enum(["on", "off"]).default("off"),
  // Hostile queries and clients (src/plugins/use-query-limits.ts, use-rate-limit.ts,
  // use-persisted-operations.ts). Refusals are QUERY_TOO_COMPLEX / RATE_LIMITED.
  MAX_QUERY_DEPTH: integer(12, 1),
  MAX_QUERY_ALIASES: integer(30, 0),
  MAX_QUERY_TOKENS: integer(2_000, 1),
  MAX_QUERY_DIRECTIVES: integer(50, 0),
  // Armor's cost: 1 a field, 2 an object, ×1.5 a level, × a list's literal first/last. 500,000
  // lets 100 records with 10 attachments each through (~100,000), not 100 × 100 (~1,000,000).
  MAX_QUERY_COST: integer(50_000, 1),
  // Operations in one batched (JSON array) request; 0: batching is off.
  MAX_BATCH_OPERATIONS: integer(0, 0),
  // Bodies that are not uploads (JSON, url-encoded, application/graphql).
  MAX_REQUEST_BODY_BYTES: integer(1024 * 1024, 1_024),
  // Per customer, and per client address for requests without a valid token; 0: no limit.
  RATE_LIMIT_PER_MINUTE: integer(600, 0),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: integer(300, 0),
  // "true" behind one proxy that appends to X-Forwarded-For: its last address is the client's.
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL" }).optional()),
  PERSISTED_OPERATIONS: z.enum(["off", "allow", "only"]).default("off"),
  PERSISTED_OPERATIONS_FILE: optionalString,
  // Default: on outside production, off in production.
  INTROSPECTION: z.enum(["on", "off"]).optional(),
  FIELD_SUGGESTIONS: z.enum(["on", "off"]).optional(),
  // RS256/ES256 tokens from an identity provider (Cognito, Auth0) instead of HS256.
  JWT_JWKS_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: "expected an http(s):// URL of a JWKS document" }).optional()),
  JWT_CUSTOMER_ID_CLAIM: z.string().min(1).default("customerId"),
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
});

export type Config = {
  env: "development" | "test" | "production";
  isProduction: boolean;
  port: number;
  host: string;
  dataDir: string;
  database: {
    /** PostgreSQL connection string; undefined means the embedded PGlite in dataDir. */
    url: string | undefined;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    idleTimeoutMs: number;
    /** Read replicas: plain reads outside transactions go there (empty: none). */
    replicaUrls: string[];
  };
  jwt: {
    /** undefined outside production means "use the dev secret in dataDir". */
    secret: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    /** Set: tokens are RS256/ES256, verified with this key set; unset: HS256 with the secret. */
    jwksUrl: string | undefined;
    customerIdClaim: string;
    clockToleranceSeconds: number;
  };
  logLevel: string;
  files: {
    maxUploadBytes: number;
    downloadUrlTtlSeconds: number;
    /** Base of the links /files/<id> (e.g. https://api.example.com); default: the request's origin. */
    publicUrl: string | undefined;
    /** Set: files live in this S3 bucket; undefined: on local disk under dataDir/files. */
    s3: S3Config | undefined;
    /** 0 disables the periodic orphan sweep. */
    sweepIntervalSeconds: number;
    /** Files younger than this are never swept (an upload may still be on its way to its row). */
    sweepGraceSeconds: number;
  };
  jobs: {
    /** Jobs one process runs at a time; 0 means this process runs no worker. */
    workerConcurrency: number;
    maxAttempts: number;
    retryDelaySeconds: number;
    /** How long a silent worker keeps its job before another takes it up. */
    leaseSeconds: number;
    retentionDays: number;
    pollIntervalSeconds: number;
    queueSchema: string;
  };
  responseCache: {
    /** 0: the cache is off. */
    ttlMs: number;
    /** Query.recordStats (0: never cached); the cache must be on (ttlMs > 0). */
    statsTtlMs: number;
    maxEntries: number;
    /** Adds extensions.responseCache (hit or miss) to responses. */
    includeMetadata: boolean;
  };
  /** Before every Redis key (response cache), so deployments and test runs sharing a Redis never meet. */
  redisKeyPrefix: string;
  /** 0: every request looks its user up in the database. */
  userCacheTtlMs: number;
  readinessTimeoutMs: number;
  /** false: every DataLoader runs one statement per key (DATALOADER_BATCHING=off, benchmarks). */
  dataloaderBatching: boolean;
  /** true: request queries also run under the database's row-level security policies. */
  rowLevelSecurity: boolean;
  /** Refusals of hostile queries and clients (QUERY_TOO_COMPLEX, RATE_LIMITED). */
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
    /** 0: batched requests are refused. */
    maxBatchOperations: number;
    maxRequestBodyBytes: number;
  };
  rateLimit: {
    /** Requests per minute per customer; 0: unlimited. */
    perMinute: number;
    /** Requests per minute per client address without a valid token; 0: unlimited. */
    anonymousPerMinute: number;
    /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
    trustProxy: boolean;
  };
  /** Shared state of several instances (rate-limit counters); undefined: in memory. */
  redisUrl: string | undefined;
  /** off: any operation; allow: ids from the file or any operation; only: ids from the file. */
  persistedOperations: { mode: "off" | "allow" | "only"; file: string | undefined };
  introspection: boolean;
  /** "Did you mean …?" in validation errors (they reveal the schema). */
  fieldSuggestions: boolean;
  sync: {
    /** Lower-case host names (optionally host:port) that syncRecords may read. */
    allowedHosts: string[];
    requestTimeoutMs: number;
    maxPageRecords: number;
    maxRecords: number;
    maxResponseBytes: number;
  };
};

export type S3Config = {
  bucket: string;
  endpoint: string | undefined;
  forcePathStyle: boolean;
  region: string;
  /** undefined: the AWS SDK's default chain (environment, profile, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
};

export class ConfigError extends Error {}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `  ${issue.path.join(".")}: ${issue.message}`)
      .join("\n");
    throw new ConfigError(`Invalid configuration:\n${problems}`);
  }
  const env = parsed.data;
  const isProduction = env.NODE_ENV === "production";
  if (isProduction && !env.JWT_SECRET) {
    throw new ConfigError("JWT_SECRET is required when NODE_ENV=production (a long random string).");
  }
  if (env.JWT_SECRET && env.JWT_SECRET.length < 32) {
    throw new ConfigError("JWT_SECRET must be at least 32 characters long.");
  }
  if (env.JWT_JWKS_URL && (!env.JWT_ISSUER || !env.JWT_AUDIENCE)) {
    throw new ConfigError("JWT_JWKS_URL needs JWT_ISSUER and JWT_AUDIENCE: tokens of other issuers or apps must not pass.");
  }
  if (env.PERSISTED_OPERATIONS !== "off" && !env.PERSISTED_OPERATIONS_FILE) {
    throw new ConfigError(`PERSISTED_OPERATIONS=${env.PERSISTED_OPERATIONS} needs PERSISTED_OPERATIONS_FILE (a JSON object of id → document).`);
  }
  return {
    env: env.NODE_ENV,
    isProduction,
    port: env.PORT,
    host: env.HOST,
    dataDir: path.resolve(env.DATA_DIR),
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: env.DATABASE_IDLE_TIMEOUT_MS,
      replicaUrls: env.DATABASE_REPLICA_URLS.split(",")
        .map((url) => url.trim())
        .filter(Boolean),
    },
    jwt: {
      secret: env.JWT_SECRET,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      jwksUrl: env.JWT_JWKS_URL,
      customerIdClaim: env.JWT_CUSTOMER_ID_CLAIM,
      clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
    },
    logLevel: env.LOG_LEVEL,
    files: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      downloadUrlTtlSeconds: env.DOWNLOAD_URL_TTL_SECONDS,
      publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ""),
      s3: env.S3_BUCKET
        ? {
            bucket: env.S3_BUCKET,
            endpoint: env.S3_ENDPOINT,
            // S3-compatible servers (MinIO, s3rver) usually want bucket-in-path addressing.
            forcePathStyle: env.S3_FORCE_PATH_STYLE ? env.S3_FORCE_PATH_STYLE === "true" : Boolean(env.S3_ENDPOINT),
            region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
            credentials:
              env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
                ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
                : undefined,
          }
        : undefined,
      sweepIntervalSeconds: env.FILE_SWEEP_INTERVAL_SECONDS,
      sweepGraceSeconds: env.FILE_SWEEP_GRACE_SECONDS,
    },
    jobs: {
      workerConcurrency: env.WORKER_CONCURRENCY,
      maxAttempts: env.JOB_MAX_ATTEMPTS,
      retryDelaySeconds: env.JOB_RETRY_DELAY_SECONDS,
      leaseSeconds: env.JOB_LEASE_SECONDS,
      retentionDays: env.JOB_RETENTION_DAYS,
      pollIntervalSeconds: env.JOB_POLL_INTERVAL_SECONDS,
      queueSchema: env.JOB_QUEUE_SCHEMA,
    },
    responseCache: {
      ttlMs: env.RESPONSE_CACHE_TTL_MS ?? (env.NODE_ENV === "test" ? 0 : 60_000),
      statsTtlMs: env.RESPONSE_CACHE_STATS_TTL_MS,
      maxEntries: env.RESPONSE_CACHE_MAX_ENTRIES,
      includeMetadata: env.RESPONSE_CACHE_METADATA ? env.RESPONSE_CACHE_METADATA === "true" : !isProduction,
    },
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    userCacheTtlMs: env.USER_CACHE_TTL_MS,
    readinessTimeoutMs: env.READINESS_TIMEOUT_MS,
    dataloaderBatching: env.DATALOADER_BATCHING === "on",
    rowLevelSecurity: env.ROW_LEVEL_SECURITY === "on",
    limits: {
      maxDepth: env.MAX_QUERY_DEPTH,
      maxAliases: env.MAX_QUERY_ALIASES,
      maxTokens: env.MAX_QUERY_TOKENS,
      maxDirectives: env.MAX_QUERY_DIRECTIVES,
      maxCost: env.MAX_QUERY_COST,
      maxBatchOperations: env.MAX_BATCH_OPERATIONS,
      maxRequestBodyBytes: env.MAX_REQUEST_BODY_BYTES,
    },
    rateLimit: {
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      anonymousPerMinute: env.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      trustProxy: env.TRUST_PROXY === "true",
    },
    redisUrl: env.REDIS_URL,
    persistedOperations: {
      mode: env.PERSISTED_OPERATIONS,
      file: env.PERSISTED_OPERATIONS_FILE ? path.resolve(env.PERSISTED_OPERATIONS_FILE) : undefined,
    },
    introspection: env.INTROSPECTION ? env.INTROSPECTION === "on" : !isProduction,
    fieldSuggestions: env.FIELD_SUGGESTIONS ? env.FIELD_SUGGESTIONS === "on" : !isProduction,
    sync: {
      allowedHosts: env.SYNC_ALLOWED_HOSTS.split(",")
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
      requestTimeoutMs: env.SYNC_REQUEST_TIMEOUT_MS,
      maxPageRecords: env.SYNC_MAX_PAGE_RECORDS,
      maxRecords: env.SYNC_MAX_RECORDS,
      maxResponseBytes: env.SYNC_MAX_RESPONSE_BYTES,
    },
  };
}
