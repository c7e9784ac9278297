// `npm run db:seed -- [--customers N] [--records N] [--attachments N]`
// Applies pending migrations, then seeds the demo data (no flags) or bulk data (flags).
import { demoUsers, seedBulkData, seedDemoData, type BulkSeedResult } from "../../prisma/seed.js";
import { migrate } from "../db/migrate.js";
import { createFileStorage } from "../storage/create-file-storage.js";
import { describeDatabase, runCommand, withConfiguredDatabase } from "./run-command.js";
import { parseSeedArguments, seedUsage } from "./seed-arguments.js";

const count = (n: number, noun: string) => `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;

function bulkSummary(result: BulkSeedResult, target: string): string {
  const demo = result.demoSeeded ? " (demo data seeded first)" : "";
  return (
    `Bulk seed of ${target}: ${count(result.customers, "customer")} (${result.customersCreated} new), ` +
    `+${count(result.recordsCreated, "record")}, +${count(result.attachmentsCreated, "attachment")} ` +
    `in ${(result.ms / 1000).toFixed(1)} s${demo}`
  );
}

await runCommand("db:seed", async () => {
  const command = parseSeedArguments(process.argv.slice(2));
  if (command.mode === "help") {
    console.log(seedUsage);
    return;
  }
  await withConfiguredDatabase(async (db, config) => {
    const target = describeDatabase(config, db);
    const applied = await migrate(db);
    if (applied.length > 0) console.log(`Applied migrations: ${applied.join(", ")}`);
    if (command.mode === "bulk") {
      console.log(bulkSummary(await seedBulkData(db, command.options), target));
      return;
    }
    // The demo attachments get real small files, so their download links work.
    const { seeded } = await seedDemoData(db, createFileStorage(config));
    const users = demoUsers.map((user) => `${user.email} (${user.role})`).join(", ");
    console.log(
      seeded
        ? `Seeded the demo data into ${target}: customers acme, globex; users ${users}`
        : `${target} already has customers; demo data not seeded (only an empty database is seeded)`,
    );
  }, { createEmbedded: true });
});
