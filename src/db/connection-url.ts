// pg-boss and LISTEN need their own connections to the PostgreSQL the app uses. Tests open the
// database with an explicit URL rather than DATABASE_URL, so the pool's own setting is the
// reliable source; the config is the fallback.
import type { Config } from "../config.js";
import type { Database } from "./database.js";

export function postgresUrlOf(config: Config, database: Database): string | undefined {
  return database.pool?.options.connectionString ?? config.database.url;
}
