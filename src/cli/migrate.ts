// `npm run db:migrate`: applies pending migrations to DATABASE_URL or the embedded database.
import { migrate } from "../db/migrate.js";
import { describeDatabase, runCommand, withConfiguredDatabase } from "./run-command.js";

await runCommand("db:migrate", async () => {
  await withConfiguredDatabase(async (db, config) => {
    const applied = await migrate(db);
    for (const name of applied) console.log(`applied ${name}`);
    if (applied.length === 0) console.log(`database is up to date (${describeDatabase(config, db)})`);
    else console.log(`${applied.length} migration(s) applied to ${describeDatabase(config, db)}`);
  }, { createEmbedded: true });
});
