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
  RESPONSE_CACHE_MAX_ENTRIES: integer(10_000, 1),
  // extensions.responseCache on responses; default: on outside production.
  RESPONSE_CACHE_METADATA: z.enum(["true", "false"]).optional(),
  // How long a verified user is trusted without a database lookup (changes evict it at once).
  USER_CACHE_TTL_MS: integer(30_000, 0),
  READINESS_TIMEOUT_MS: integer(2_000, 1),
  // DataLoader batching; "off" is the N+1 baseline the benchmark measures (bench/).
  DATALOADER_BATCHING: z.enum(["on", "off"]).default("on"),
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
  };
  jwt: {
    /** undefined outside production means "use the dev secret in dataDir". */
    secret: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
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
    maxEntries: number;
    /** Adds extensions.responseCache (hit or miss) to responses. */
    includeMetadata: boolean;
  };
  /** 0: every request looks its user up in the database. */
  userCacheTtlMs: number;
  readinessTimeoutMs: number;
  /** false: every DataLoader runs one statement per key (DATALOADER_BATCHING=off, benchmarks). */
  dataloaderBatching: boolean;
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
    },
    jwt: { secret: env.JWT_SECRET, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE },
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
      maxEntries: env.RESPONSE_CACHE_MAX_ENTRIES,
      includeMetadata: env.RESPONSE_CACHE_METADATA ? env.RESPONSE_CACHE_METADATA === "true" : !isProduction,
    },
    userCacheTtlMs: env.USER_CACHE_TTL_MS,
    readinessTimeoutMs: env.READINESS_TIMEOUT_MS,
    dataloaderBatching: env.DATALOADER_BATCHING === "on",
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
