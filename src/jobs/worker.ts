// The job worker: takes RECORD_SYNC jobs from the queue (WORKER_CONCURRENCY at a time in this
// process; any number of processes may run one), handles jobs pg-boss gave up on, and runs the
// scheduled cleanup. stop() stops taking jobs and lets running ones reach their next page
// boundary, where they checkpoint and go back to the queue.
import type { JobWithMetadata } from "pg-boss";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { removeFinishedJobs } from "./job-cleanup.js";
import type { JobEvents } from "./job-events.js";
import { markAbandonedJobFailed } from "./mark-abandoned-job-failed.js";
import { isFinalStatus } from "./job-status.js";
import { startJobSupervision } from "./job-supervision.js";
import { ScheduleDispatcher } from "./sync-schedules/schedule-dispatcher.js";
import { createNotifications } from "../db/notifications.js";
import { postgresUrlOf } from "../db/connection-url.js";
import {
  JOB_CLEANUP_QUEUE,
  type JobQueue,
  RECORD_SYNC_GAVE_UP_QUEUE,
  RECORD_SYNC_QUEUE,
  type RecordSyncMessage,
  SUPERVISION_SECONDS,
} from "./queue.js";
import { createFileStorage } from "../storage/create-file-storage.js";
import type { FileStorage } from "../storage/file-storage.js";
import type { ResolveHost } from "./feed-address.js";
import { fairTurns } from "./record-sync/fair-turns.js";
import { type RecordsChangedHook, runRecordSync } from "./record-sync/run-record-sync.js";

export type WorkerDependencies = {
  config: Config;
  database: Database;
  queue: JobQueue;
  logger: Logger;
  /** How many jobs at once; defaults to WORKER_CONCURRENCY. */
  concurrency?: number;
  /** Told of the records each committed page created or changed (response cache invalidation). */
  onRecordsChanged?: RecordsChangedHook;
  /** Job updates from every process: a job starting anywhere speeds supervision up at once. */
  events?: JobEvents;
  /** Resolves feed host names; tests inject one (default: the system resolver). */
  resolveHost?: ResolveHost;
  /** Attachment files (to delete those a sync removed); default: the one the configuration names. */
  storage?: FileStorage;
};

export type JobWorker = { stop(): Promise<void> };

const CLEANUP_SCHEDULE = "17 * * * *"; // hourly

export async function startJobWorker(deps: WorkerDependencies): Promise<JobWorker> {
  const { config, database, logger } = deps;
  const boss = await deps.queue.started();
  const prisma = database.prisma;
  let stopping = false;
  const concurrency = deps.concurrency ?? config.jobs.workerConcurrency;
  // Workers are woken by NOTIFY when a job is sent; the slow poll only covers a lost notification.
  const polling = {
    pollingIntervalSeconds: config.jobs.pollIntervalSeconds,
    notifyPollingIntervalSeconds: Math.max(config.jobs.pollIntervalSeconds, config.jobs.idlePollIntervalSeconds),
  };
  // One work() per slot: pg-boss wakes (notifyWorker) one worker id at a time.
  const workerIds: string[] = [];
  const supervision = startJobSupervision({
    boss,
    prisma,
    queueSchema: config.jobs.queueSchema,
    activeIntervalSeconds: SUPERVISION_SECONDS,
    idleIntervalSeconds: config.jobs.idleSuperviseIntervalSeconds,
    wakeWorkers: () => workerIds.forEach((id) => boss.notifyWorker(id)),
    logger,
  });
  const stopWatching = await deps.events?.watchAll((job) => {
    if (!isFinalStatus(job.status)) supervision.noteActivity();
  });
  const turns = fairTurns(boss, prisma, config);
  const storage = deps.storage ?? createFileStorage(config);

  const recordSyncHandler = async ([job]: JobWithMetadata<RecordSyncMessage>[]) => {
    await runRecordSync(
      {
        prisma,
        config,
        logger,
        onRecordsChanged: deps.onRecordsChanged,
        isStopping: () => stopping,
        turns,
        resolveHost: deps.resolveHost,
        storage,
      },
      {
        jobId: job!.data.jobId,
        attempt: job!.retryCount + 1,
        maxAttempts: job!.retryLimit + 1,
        signal: job!.signal,
        // A turn after yielding to another customer continues the attempt; its retries are new ones.
        countsAsAttempt: !(job!.data.nextTurn === true && job!.retryCount === 0),
      },
    );
  };
  for (let slot = 0; slot < concurrency; slot++) {
    const options = {
      ...polling,
      batchSize: 1,
      includeMetadata: true,
      // Refresh well inside the lease so one slow refresh does not lose the job.
      heartbeatRefreshSeconds: Math.max(1, Math.floor(config.jobs.leaseSeconds / 4)),
    } as const;
    workerIds.push(await boss.work(RECORD_SYNC_QUEUE, options, recordSyncHandler));
  }
  workerIds.push(
    await boss.work(
      RECORD_SYNC_GAVE_UP_QUEUE,
      { ...polling, includeMetadata: true } as const,
      async ([job]: JobWithMetadata<RecordSyncMessage>[]) =>
        markAbandonedJobFailed(prisma, job!.data.jobId, (job!.sourceRetryCount ?? 0) + 1),
    ),
  );
  workerIds.push(
    await boss.work(JOB_CLEANUP_QUEUE, polling, async () => {
      const removed = await removeFinishedJobs(prisma, config.jobs.retentionDays);
      if (removed > 0) logger.info({ removed }, "removed finished jobs past retention");
    }),
  );
  await boss.schedule(JOB_CLEANUP_QUEUE, CLEANUP_SCHEDULE);
  // Due sync schedules become jobs here, in every worker process (each due run once).
  const dispatcher = new ScheduleDispatcher({ prisma, boss: () => deps.queue.started(), config, logger });
  const scheduleNotices = createNotifications(database, postgresUrlOf(config, database));
  await dispatcher.start(scheduleNotices);
  logger.info({ concurrency }, "job worker started");

  return {
    async stop() {
      // No new scheduled runs from here on.
      await dispatcher.stop();
      await scheduleNotices.close();
      stopping = true;
      // wait: running handlers reach their page boundary and return first.
      await Promise.all(
        [RECORD_SYNC_QUEUE, RECORD_SYNC_GAVE_UP_QUEUE, JOB_CLEANUP_QUEUE].map((name) =>
          boss.offWork(name, { wait: true }),
        ),
      );
      stopWatching?.();
      await supervision.stop();
      logger.info("job worker stopped");
    },
  };
}
