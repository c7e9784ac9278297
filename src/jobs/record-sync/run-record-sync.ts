// One attempt at a RECORD_SYNC job: claim the job, then page by page read the feed, validate,
// and commit the page's records together with the checkpoint, until the feed ends. Decides
// what a failure means: retry (transient, attempts left), fail for good, or step aside. A
// database outage shorter than the job's lease is no failure: the attempt waits it out
// (until-database-answers.ts) and carries on with the page it holds.
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
import { claimJob, settleJob } from "../job-lease.js";
import { commitPage } from "./commit-page.js";
import { feedPageUrl, fetchFeedJson, type FeedClientOptions } from "./feed-client.js";
import { parseFeedPage } from "./feed-page.js";
import type { FileStorage } from "../../storage/file-storage.js";
import { deleteStoredFiles } from "../../storage/stored-file-cleanup.js";
import type { ResolveHost } from "../feed-address.js";
import type { FairTurns } from "./fair-turns.js";
import { readCheckpoint, type SyncCheckpoint } from "./sync-checkpoint.js";
import { checkPageBounds, checkTimeLeft, probeCursor } from "./sync-bounds.js";
import { type DatabaseWait, untilDatabaseAnswers } from "./until-database-answers.js";

/** Told which records a sync created or changed, e.g. to drop them from a response cache. */
export type RecordsChangedHook = (customerId: string, recordIds: string[]) => void | Promise<void>;

export type RecordSyncDependencies = {
  prisma: PrismaClient;
  config: Config;
  logger: Logger;
  onRecordsChanged?: RecordsChangedHook;
  /** True once the worker was asked to stop: the attempt ends at the next page boundary. */
  isStopping: () => boolean;
  /** Yielding the worker slot to other customers' syncs (fair-turns.ts); none: never yields. */
  turns?: FairTurns;
  /** Resolves feed host names (feed-address.ts); tests inject one. Default: the system's. */
  resolveHost?: ResolveHost;
  /** Where attachment files live, to delete the files of attachments a sync removed. */
  storage?: FileStorage;
};

export type RecordSyncAttempt = {
  jobId: string;
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
  /** Aborted by pg-boss when this attempt's claim on the job is gone. */
  signal: AbortSignal;
  /** False for the next turn of a sync that yielded its slot (it continues the same attempt). */
  countsAsAttempt?: boolean;
};

export async function runRecordSync(deps: RecordSyncDependencies, attempt: RecordSyncAttempt): Promise<void> {
  const leaseToken = randomUUID();
  const log = deps.logger.child({ jobId: attempt.jobId, attempt: attempt.attempt });
  const databaseWait = databaseWaitFor(deps, attempt, log);
  // Claiming again after a lost answer is safe: a claim with this lease token counts once.
  const job = await untilDatabaseAnswers(databaseWait, () =>
    claimJob(deps.prisma, attempt.jobId, leaseToken, { countsAsAttempt: attempt.countsAsAttempt }),
  );
  if (!job) return;
  try {
    const sync = {
      ...attempt,
      leaseToken,
      customerId: job.customerId,
      sourceUrl: job.sourceUrl,
      mirror: job.mirror,
      startedAt: job.startedAt ?? new Date(),
    };
    const outcome = await syncPages(deps, sync, readCheckpoint(job.checkpoint), databaseWait, log);
    log.info(outcome === "finished" ? "record sync finished" : "record sync yielded its turn to another customer's");
  } catch (error) {
    await handleFailure(deps, attempt, leaseToken, error, log);
  }
}

type LeasedSync = RecordSyncAttempt & {
  leaseToken: string;
  customerId: string;
  sourceUrl: string;
  mirror: boolean;
  /** When the job first started: a mirroring sync keeps records changed since. */
  startedAt: Date;
};

/** How long and until what the attempt's database steps wait out an outage: the job's lease. */
function databaseWaitFor(deps: RecordSyncDependencies, attempt: RecordSyncAttempt, log: Logger): DatabaseWait {
  return {
    maxWaitMs: deps.config.jobs.leaseSeconds * 1000,
    signal: attempt.signal,
    isStopping: deps.isStopping,
    log,
  };
}

async function syncPages(
  deps: RecordSyncDependencies,
  sync: LeasedSync,
  start: SyncCheckpoint,
  databaseWait: DatabaseWait,
  log: Logger,
): Promise<"finished" | "yielded"> {
  const { config, prisma, turns } = deps;
  const feed: FeedClientOptions = {
    allowedHosts: config.sync.allowedHosts,
    timeoutMs: config.sync.requestTimeoutMs,
    maxResponseBytes: config.sync.maxResponseBytes,
    userAgent: `testapp-record-sync (pid ${process.pid})`,
    resolveHost: deps.resolveHost,
  };
  // Time spent running, over all attempts: what earlier ones saved plus this one's.
  const turnStarted = Date.now();
  const elapsedMs = () => start.elapsedMs + (Date.now() - turnStarted);
  // Only the database steps wait out an outage; the feed has its own transient/permanent
  // handling, and a page already fetched is kept and committed once the database is back.
  let state = start;
  for (;;) {
    if (deps.isStopping()) throw new WorkerStoppingError();
    checkTimeLeft(elapsedMs(), config.sync);
    await untilDatabaseAnswers(databaseWait, () => assertStillWanted(prisma, sync));
    const { body, bytes } = await fetchFeedJson(feedPageUrl(sync.sourceUrl, state.cursor), feed, sync.signal);
    const page = parseFeedPage(body, config.sync.maxPageRecords);
    checkPageBounds(state, { recordCount: page.records.length + page.rejected.length, bytes }, config.sync);
    const cycle = probeCursor(state.cycle, page.nextCursor);
    const from = state;
    const { next, changedRecordIds, removedStorageKeys } = await untilDatabaseAnswers(databaseWait, (afterOutage) =>
      commitPage(prisma, sync, from, page, { bytes, elapsedMs: elapsedMs(), cycle }, { afterOutage, log }),
    );
    state = next;
    // The rows are gone (committed): now their files. A failure is left to the orphan sweep.
    if (deps.storage) await deleteStoredFiles(deps.storage, log, removedStorageKeys);
    await reportChanges(deps, sync.customerId, changedRecordIds);
    if (page.nextCursor === null) return "finished";
    if (turns && Date.now() - turnStarted >= turns.fairShareMs) {
      const waiting = await untilDatabaseAnswers(databaseWait, () => turns.othersWaiting(sync.customerId));
      if (waiting) {
        await untilDatabaseAnswers(databaseWait, () => turns.yieldTurn(sync));
        return "yielded";
      }
    }
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
