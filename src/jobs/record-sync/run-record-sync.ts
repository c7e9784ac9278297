// One attempt at a RECORD_SYNC job: claim the job, then page by page read the feed, validate,
// and commit the page's records together with the checkpoint, until the feed ends. Decides
// what a failure means: retry (transient, attempts left), fail for good, or step aside.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import type { PrismaClient } from "../../generated/prisma/client.js";
import {
  JobCancelledError,
  JobFailure,
  LeaseLostError,
  PermanentJobError,
  TransientJobError,
  WorkerStoppingError,
} from "../job-errors.js";
import { claimJob, settleJob, updateLeasedJob, withLease } from "../job-lease.js";
import { applyRecordPage } from "./apply-record-page.js";
import { feedPageUrl, fetchFeedJson, type FeedClientOptions } from "./feed-client.js";
import { type FeedPage, parseFeedPage } from "./feed-page.js";
import {
  advanceCheckpoint,
  progressAfter,
  readCheckpoint,
  type SyncCheckpoint,
  syncResult,
} from "./sync-checkpoint.js";

/** Told which records a sync created or changed, e.g. to drop them from a response cache. */
export type RecordsChangedHook = (customerId: string, recordIds: string[]) => void | Promise<void>;

export type RecordSyncDependencies = {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  onRecordsChanged?: RecordsChangedHook;
  /** True once the worker was asked to stop: the attempt ends at the next page boundary. */
  isStopping: () => boolean;
};

export type RecordSyncAttempt = {
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Aborted by pg-boss when this attempt's claim on the job is gone. */
  signal: AbortSignal;
};

export async function runRecordSync(deps: RecordSyncDependencies, attempt: RecordSyncAttempt): Promise<void> {
  const leaseToken = randomUUID();
  const job = await claimJob(deps.prisma, attempt.jobId, leaseToken);
  if (!job) return;
  const log = deps.logger.child({ jobId: job.id, attempt: attempt.attempt });
  try {
    await syncPages(deps, { ...attempt, leaseToken, customerId: job.customerId, sourceUrl: job.sourceUrl }, readCheckpoint(job.checkpoint));
    log.info("record sync finished");
  } catch (error) {
    await handleFailure(deps, attempt, leaseToken, error, log);
  }
}

type LeasedSync = RecordSyncAttempt & { leaseToken: string; customerId: string; sourceUrl: string };

async function syncPages(deps: RecordSyncDependencies, sync: LeasedSync, start: SyncCheckpoint): Promise<void> {
  const { config, prisma } = deps;
  const feed: FeedClientOptions = {
    allowedHosts: config.sync.allowedHosts,
    timeoutMs: config.sync.requestTimeoutMs,
    maxResponseBytes: config.sync.maxResponseBytes,
    userAgent: `testapp-record-sync (pid ${process.pid})`,
  };
  let state = start;
  for (;;) {
    if (deps.isStopping()) throw new WorkerStoppingError();
    await assertStillWanted(prisma, sync);
    const body = await fetchFeedJson(feedPageUrl(sync.sourceUrl, state.cursor), feed, sync.signal);
    const page = parseFeedPage(body, config.sync.maxPageRecords);
    checkPageLimits(state, page, config.sync.maxRecords);
    const finished = page.nextCursor === null;
    const { next, changedRecordIds } = await withLease(prisma, sync.jobId, sync.leaseToken, async (tx) => {
      const changes = await applyRecordPage(tx, sync.customerId, page.records);
      const next = advanceCheckpoint(state, page, changes);
      await updateLeasedJob(tx, sync.jobId, {
        checkpoint: next,
        progress: progressAfter(next, finished),
        ...(finished
          ? { status: "SUCCEEDED", result: syncResult(next), finishedAt: new Date(), leaseToken: null }
          : {}),
      });
      return { next, changedRecordIds: changes.changedRecordIds };
    });
    state = next;
    await reportChanges(deps, sync.customerId, changedRecordIds);
    if (finished) return;
  }
}

/** Cheap check before fetching, so a cancelled job does not read one more page. */
async function assertStillWanted(prisma: PrismaClient, sync: LeasedSync): Promise<void> {
  const job = await prisma.collectionJob.findUnique({
    where: { id: sync.jobId },
    select: { status: true, leaseToken: true },
  });
  if (job?.status === "CANCELLED") throw new JobCancelledError();
  if (!job || job.leaseToken !== sync.leaseToken) throw new LeaseLostError();
}

function checkPageLimits(state: SyncCheckpoint, page: FeedPage, maxRecords: number): void {
  const total = state.records + page.records.length + page.rejected.length;
  if (total > maxRecords) {
    throw new PermanentJobError(`The feed holds more than ${maxRecords} records, the most one sync may read.`);
  }
  if (page.nextCursor !== null && page.nextCursor === state.cursor) {
    throw new PermanentJobError("The feed returned the same cursor again; it would never end.");
  }
}

async function reportChanges(deps: RecordSyncDependencies, customerId: string, recordIds: string[]) {
  if (recordIds.length === 0 || !deps.onRecordsChanged) return;
  try {
    await deps.onRecordsChanged(customerId, recordIds);
  } catch (error) {
    // The records are committed; a failed notification must not fail or repeat the sync.
    deps.logger.error({ err: error, customerId }, "onRecordsChanged failed");
  }
}

async function handleFailure(
  deps: RecordSyncDependencies,
  attempt: RecordSyncAttempt,
  leaseToken: string,
  error: unknown,
  log: Logger,
): Promise<void> {
  if (error instanceof JobCancelledError || error instanceof LeaseLostError || attempt.signal.aborted) {
    log.info({ reason: (error as Error).name }, "record sync attempt stepped aside");
    return;
  }
  const settle = (data: Parameters<typeof settleJob>[3]) =>
    settleJob(deps.prisma, attempt.jobId, leaseToken, data).catch((settleError: unknown) => {
      if (!(settleError instanceof JobCancelledError || settleError instanceof LeaseLostError)) throw settleError;
    });
  if (error instanceof WorkerStoppingError) {
    // Back to the queue; pg-boss hands it out again, and it resumes from the checkpoint.
    await settle({ status: "QUEUED" });
    throw error;
  }
  const permanent = error instanceof PermanentJobError;
  const reason = error instanceof JobFailure ? error.message : "The sync stopped because of an internal error.";
  if (!(error instanceof JobFailure)) log.error({ err: error }, "record sync attempt failed unexpectedly");
  else log.warn({ reason }, "record sync attempt failed");
  if (!permanent && attempt.attempt < attempt.maxAttempts) {
    await settle({
      status: "QUEUED",
      error: `Attempt ${attempt.attempt} of ${attempt.maxAttempts} failed: ${reason} It will be retried.`,
    });
    throw error instanceof TransientJobError ? error : new TransientJobError(reason);
  }
  await settle({
    status: "FAILED",
    error: permanent ? reason : `${reason} Gave up after ${attempt.maxAttempts} attempts.`,
  });
}
