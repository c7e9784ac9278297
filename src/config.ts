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
  };
}
