// `npm run db:migrate`: applies pending migrations to DATABASE_URL or the embedded database.
import { announceCustomersChanged } from "../cache/follow-record-changes.js";
import { migrate } from "../db/migrate.js";
import { describeDatabase, runCommand, withConfiguredDatabase } from "./run-command.js";

await runCommand("db:migrate", async () => {
  await withConfiguredDatabase(async (db, config) => {
    const applied = await migrate(db);
    // Running API instances drop what they cached from before (src/cache/follow-record-changes.ts).
    if (applied.length > 0) await announceCustomersChanged(db.prisma, "all");
    for (const name of applied) console.log(`applied ${name}`);
    if (applied.length === 0) console.log(`database is up to date (${describeDatabase(config, db)})`);
    else console.log(`${applied.length} migration(s) applied to ${describeDatabase(config, db)}`);
  }, { createEmbedded: true });
});
