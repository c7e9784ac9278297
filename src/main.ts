// `npm start`: migrate, seed an empty embedded database, serve the API.
import { loadConfig } from "./config.js";
import { runEntryPoint, shutDownOnSignal } from "./process-lifecycle.js";
import { openDatabase } from "./db/database.js";
import { migrate } from "./db/migrate.js";
import { seedDemoData } from "../prisma/seed.js";
import { createServices } from "./server.js";
import { serveApi } from "./api-process.js";
import { DEMO_USER_EMAIL, devTokenForDemoUser } from "./auth/dev-token.js";
import { hasUsers, noUsersHint } from "./next-steps.js";
import { announceCustomersChanged } from "./cache/follow-record-changes.js";

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config);
  if (database.kind === "embedded-client") {
    await database.close();
    throw new Error(`another process is already serving the embedded database in ${config.dataDir}`);
  }
  const applied = await migrate(database);
  const services = createServices(config, database);
  const { logger } = services;
  if (applied.length > 0) {
    logger.info({ migrations: applied }, "applied migrations");
    // Other instances may have cached what a migration changed (shared Redis, or their own).
    await announceCustomersChanged(database.prisma, "all");
  }
  if (!config.database.url && (await seedDemoData(database, services.storage)).seeded) logger.info("seeded the demo data");

  // The HTTP server, the job worker (unless WORKER_CONCURRENCY=0) and the file sweep.
  const api = await serveApi(services);
  // From here on a signal shuts down cleanly, while the worker may still be starting.
  shutDownOnSignal(logger, () => api.stop());

  const url = `http://localhost:${config.port}/graphql`;
  logger.info({ url, database: database.kind }, "serving");
  if (!config.isProduction) {
    const token = await devTokenForDemoUser(services.tokens, database.prisma);
    console.log(`\nGraphiQL: ${url}`);
    if (token) console.log(`Dev token (alice@acme.test, ADMIN, 12h):\n  Authorization: Bearer ${token}\n`);
  }
  // A fresh PostgreSQL database is not seeded at start: say how, rather than print nothing.
  if (!(await hasUsers(database.prisma))) console.log(`\n${noUsersHint(config, DEMO_USER_EMAIL).join("\n")}\n`);
  // The token is out before the worker is up; a worker that cannot start still fails npm start.
  await api.workerStarted;
}

runEntryPoint(main);
