// `npm run worker`: the job worker alone, for running workers as separate processes. Any
// number may run against one PostgreSQL. On SIGTERM/SIGINT it stops taking jobs, lets each
// running job reach its next page boundary (checkpointed, back to the queue) and exits.
import { ConfigError, loadConfig } from "./config.js";
import { runEntryPoint, shutDownOnSignal } from "./process-lifecycle.js";
import { missingEmbeddedDatabaseMessage, openDatabase } from "./db/database.js";
import { migrate } from "./db/migrate.js";
import { JobService } from "./jobs/job-service.js";
import { startJobWorker } from "./jobs/worker.js";
import { announceCustomersChanged, recordChangeAnnouncer } from "./cache/follow-record-changes.js";
import { createLogger } from "./logger.js";

async function main() {
  const config = loadConfig();
  const logger = createLogger(config.logLevel).child({ role: "worker" });
  // A worker alone on a new, empty embedded database would wait for jobs nobody can send.
  const missing = missingEmbeddedDatabaseMessage(config);
  if (missing) throw new ConfigError(`worker: ${missing}`);
  const database = await openDatabase(config);
  if (database.kind === "embedded-client") {
    await database.close();
    throw new Error(
      `the embedded database in ${config.dataDir} is held by a running server, which runs its own worker ` +
        "(WORKER_CONCURRENCY); separate workers need PostgreSQL (DATABASE_URL)",
    );
  }
  // API instances may have cached what a migration changed.
  if ((await migrate(database)).length > 0) await announceCustomersChanged(database.prisma, "all");
  const jobs = new JobService(config, database, logger);
  const worker = await startJobWorker({
    config,
    database,
    queue: jobs.queue,
    logger,
    onRecordsChanged: recordChangeAnnouncer(database),
    events: jobs.events,
    // A worker started on its own should work even when the server's setting is 0.
    concurrency: Math.max(1, config.jobs.workerConcurrency),
  });
  logger.info({ pid: process.pid, database: database.kind }, "worker ready");

  shutDownOnSignal(logger, async () => {
    await worker.stop();
    await jobs.close();
    await database.close();
  });
}

runEntryPoint(main);
