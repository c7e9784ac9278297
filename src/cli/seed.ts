// `npm run db:seed -- [--customers N] [--records N] [--attachments N]`
// Applies pending migrations, then seeds the demo data (no flags) or bulk data (flags).
import { demoUsers, seedBulkData, seedDemoData, type BulkSeedResult } from "../../prisma/seed.js";
import { announceCustomersChanged } from "../cache/follow-record-changes.js";
import { migrate } from "../db/migrate.js";
import { createFileStorage } from "../storage/create-file-storage.js";
import type { Config } from "../config.js";
import { tokenCommand } from "../next-steps.js";
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

/** Every user created, then how to get a token (the first user, an ADMIN, as the example). */
function printUsersCreated(config: Config, users: string[]): void {
  if (users.length === 0) return console.log("No users created (they exist already).");
  const shown = users.slice(0, MAX_USERS_LISTED);
  const more = users.length - shown.length;
  console.log(`Users created (${users.length}): ${shown.join(", ")}${more > 0 ? `, … and ${more} more, up to ${users.at(-1)}` : ""}`);
  console.log(`A token for one of them:\n  ${tokenCommand(config, users[0]!.split(" ")[0]!)}`);
}

const MAX_USERS_LISTED = 20;
const demoUserList = demoUsers.map((user) => `${user.email} (${user.role})`);

await runCommand("db:seed", async () => {
  const command = parseSeedArguments(process.argv.slice(2));
  if (command.mode === "help") {
    console.log(seedUsage);
    return;
  }
  await withConfiguredDatabase(
    async (db, config) => {
      const target = describeDatabase(config, db);
      const applied = await migrate(db);
      if (applied.length > 0) {
        console.log(`Applied migrations: ${applied.join(", ")}`);
        await announceCustomersChanged(db.prisma, "all");
      }
      if (command.mode === "bulk") {
        const result = await seedBulkData(db, command.options);
        // Running API instances (any number, through their caches' notices) drop what they
        // cached for these customers: a list or totalCount must not stay stale for a TTL.
        await announceCustomersChanged(db.prisma, result.customerIds);
        console.log(bulkSummary(result, target));
        printUsersCreated(config, [...(result.demoSeeded ? demoUserList : []), ...result.adminsCreated.map((email) => `${email} (ADMIN)`)]);
        return;
      }
      // The demo attachments get real small files, so their download links work.
      const { seeded } = await seedDemoData(db, createFileStorage(config));
      if (seeded) await announceCustomersChanged(db.prisma, "all");
      if (!seeded) {
        console.log(`${target} already has customers; demo data not seeded (only an empty database is seeded)`);
        return;
      }
      console.log(`Seeded the demo data into ${target}: customers acme, globex`);
      printUsersCreated(config, demoUserList);
    },
    { createEmbedded: true },
  );
});
