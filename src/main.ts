// `npm start`: migrate, seed an empty embedded database, serve the API.
import { loadConfig } from "./config.js";
import { runEntryPoint, shutDownOnSignal } from "./process-lifecycle.js";
import { openDatabase } from "./db/database.js";
import { migrate } from "./db/migrate.js";
import { seedDemoData } from "../prisma/seed.js";
import { createApp, createHttpServer, createServices } from "./server.js";
import { DEMO_USER_EMAIL, devTokenForDemoUser } from "./auth/dev-token.js";
import { hasUsers, noUsersHint } from "./next-steps.js";
import { startJobWorker } from "./jobs/worker.js";
import { announceCustomersChanged, recordChangeAnnouncer } from "./cache/record-change-notices.js";
import { startOrphanSweep } from "./storage/orphan-sweep.js";

/** The longest in-flight requests may take to finish after SIGTERM before they are cut off. */
const SHUTDOWN_DRAIN_MS = 10_000;

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

  // Aborted on SIGTERM/SIGINT: open subscriptions complete at once (use-subscription-shutdown.ts).
  const stopping = new AbortController();
  const app = createApp(services, { stopping: stopping.signal });
  const server = createHttpServer(app, { readReplicas: config.database.replicaUrls.length > 0 });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));

  // The job worker runs in this process unless WORKER_CONCURRENCY=0 (then: npm run worker).
  const worker =
    config.jobs.workerConcurrency > 0
      ? await startJobWorker({
          config,
          database,
          queue: services.jobs.queue,
          logger,
          onRecordsChanged: recordChangeAnnouncer(database),
        })
      : null;

  // Removes stored files no attachment points at (FILE_SWEEP_INTERVAL_SECONDS; 0 = never).
  const fileSweep = startOrphanSweep({
    storage: services.storage,
    prisma: database.prisma,
    intervalSeconds: config.files.sweepIntervalSeconds,
    graceSeconds: config.files.sweepGraceSeconds,
    logger,
  });

  const url = `http://localhost:${config.port}/graphql`;
  logger.info({ url, database: database.kind }, "serving");
  if (!config.isProduction) {
    const token = await devTokenForDemoUser(services.tokens, database.prisma);
    console.log(`\nGraphiQL: ${url}`);
    if (token) console.log(`Dev token (alice@acme.test, ADMIN, 12h):\n  Authorization: Bearer ${token}\n`);
  }
  // A fresh PostgreSQL database is not seeded at start: say how, rather than print nothing.
  if (!(await hasUsers(database.prisma))) console.log(`\n${noUsersHint(config, DEMO_USER_EMAIL).join("\n")}\n`);

  shutDownOnSignal(logger, async () => {
    // Stop accepting, end open subscriptions cleanly at once, let in-flight requests finish
    // (bounded), then release the database.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    stopping.abort();
    // close() only closes connections idle at that moment; a keep-alive connection whose
    // response (a subscription's stream, a request in flight) ends later would otherwise stay
    // open until its keep-alive timeout.
    const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_DRAIN_MS);
    await closed;
    clearInterval(idleSweep);
    clearTimeout(deadline);
    // Running jobs checkpoint at their next page and go back to the queue.
    await worker?.stop();
    await fileSweep.stop();
    await services.jobs.close();
    await services.userChanges.stop();
    await services.recordChanges.stop();
    await services.responseCache.close();
    await services.rateLimiter.close();
    await database.close();
  });
}

runEntryPoint(main);
