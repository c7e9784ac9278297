// Seeders serialise on one advisory lock, so a server seeding the demo data at start-up
// and `npm run db:seed` started at the same moment cannot both see an empty database.
import type { ScriptTransaction } from "../../src/db/sql-script-runner.js";

const SEED_LOCK_KEY = 72707370;

/** Holds the seed lock until the surrounding transaction ends. */
export async function takeSeedLock(tx: ScriptTransaction): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock($1)", [SEED_LOCK_KEY]);
}
