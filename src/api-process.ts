// What `npm start` runs once its database is migrated and its services built: the HTTP server,
// the job worker (unless WORKER_CONCURRENCY=0) and the orphan-file sweep, and the shutdown that
// releases all of it. Its own module so that the idle-cost bench and test run exactly this.
import type { Server } from "node:http";
import { recordChangeAnnouncer } from "./cache/follow-record-changes.js";
import type { AppServices } from "./context.js";
import { startJobWorker } from "./jobs/worker.js";
import { closeServices, createApp, createHttpServer } from "./server.js";
import { startOrphanSweep } from "./storage/orphan-sweep.js";

export type ApiProcess = {
  server: Server;
  port: number;
  /**
   * Settles when the job worker has started (at once without one). The server answers
   * before: a worker's start (pg-boss, 3-4 s) is not what a developer waits for at start-up,
   * and a failed start still fails the process that awaits this.
   */
  workerStarted: Promise<void>;
  stop(): Promise<void>;
};

/** The longest in-flight requests may take to finish after SIGTERM before they are cut off. */
const SHUTDOWN_DRAIN_MS = 10_000;

export async function serveApi(services: AppServices, options: { port?: number } = {}): Promise<ApiProcess> {
  const { config, database, logger } = services;
  // Aborted on stop: open subscriptions complete at once (use-subscription-shutdown.ts).
  const stopping = new AbortController();
  const app = createApp(services, { stopping: stopping.signal });
  const server = createHttpServer(app, { readReplicas: config.database.replicaUrls.length > 0 });
  await new Promise<void>((resolve) => server.listen(options.port ?? config.port, config.host, resolve));

  // The job worker runs in this process unless WORKER_CONCURRENCY=0 (then: npm run worker).
  const workerStarting =
    config.jobs.workerConcurrency > 0
      ? startJobWorker({
          config,
          database,
          queue: services.jobs.queue,
          logger,
          onRecordsChanged: recordChangeAnnouncer(database),
          events: services.jobs.events,
        })
      : Promise.resolve(null);
  // Awaited by stop() too; a start that failed has nothing to stop (the awaiter reports it).
  workerStarting.catch(() => {});

  // Removes stored files no attachment points at (FILE_SWEEP_INTERVAL_SECONDS; 0 = never).
  const fileSweep = startOrphanSweep({
    storage: services.storage,
    prisma: database.prisma,
    intervalSeconds: config.files.sweepIntervalSeconds,
    graceSeconds: config.files.sweepGraceSeconds,
    logger,
  });

  return {
    server,
    port: (server.address() as { port: number }).port,
    workerStarted: workerStarting.then(() => undefined),
    async stop() {
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
      const worker = await workerStarting.catch(() => null);
      await worker?.stop();
      await fileSweep.stop();
      await closeServices(services);
    },
  };
}
