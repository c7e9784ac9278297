// What every database CLI command shares: open the configured database, always close it,
// and turn any failure into one readable line on stderr and a non-zero exit code.
import { type Config, loadConfig } from "../config.js";
import {
  type Database,
  embeddedDatabaseExists,
  embeddedDatabaseFolder,
  missingEmbeddedDatabaseMessage,
  openDatabase,
} from "../db/database.js";
import { loadEnvFile } from "../env-file.js";

/** A mistake in the command line: printed with the usage text, without a stack. */
export class UsageError extends Error {}

export function describeDatabase(config: Config, db: Database): string {
  if (config.database.url) {
    try {
      const url = new URL(config.database.url);
      return `PostgreSQL ${url.hostname}:${url.port || 5432}${url.pathname}`;
    } catch {
      return "PostgreSQL (DATABASE_URL)";
    }
  }
  const via = db.kind === "embedded-client" ? ", through the running server" : "";
  return `embedded database in ${config.dataDir}${via}`;
}

/**
 * `createEmbedded`: db:migrate and db:seed create a missing embedded database on purpose (and
 * say where); other commands stop with a message instead of working on an empty new one.
 */
export async function withConfiguredDatabase<T>(
  work: (db: Database, config: Config) => Promise<T>,
  options: { createEmbedded: boolean },
): Promise<T> {
  const config = loadConfig();
  const creating = !config.database.url && !embeddedDatabaseExists(config.dataDir);
  if (creating && !options.createEmbedded) throw new Error(missingEmbeddedDatabaseMessage(config));
  const db = await openDatabase(config);
  if (creating) console.log(`Created a new embedded database in ${embeddedDatabaseFolder(config.dataDir)} (DATA_DIR=${config.dataDir})`);
  try {
    return await work(db, config);
  } finally {
    await db.close();
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node reports a refused "localhost" (IPv4 and IPv6 both tried) as an AggregateError with no message.
  if (!error.message && error instanceof AggregateError) {
    return error.errors.map(describeError).join("; ");
  }
  return error.message || error.name;
}

export async function runCommand(name: string, main: () => Promise<void>): Promise<void> {
  try {
    loadEnvFile();
    await main();
  } catch (error) {
    console.error(`${name}: ${describeError(error)}`);
    if (process.env.DEBUG && error instanceof Error) console.error(error.stack);
    process.exitCode = 1;
  }
}
