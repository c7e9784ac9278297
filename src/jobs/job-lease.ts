// Fencing for job attempts. pg-boss only fences its own completion calls: a worker that was
// presumed dead (its heartbeat lapsed) may still be running and writing. So each attempt
// claims the CollectionJob row with a fresh lease token, and every later write locks the row
// and checks that token first, in the same transaction as the write.
import type { CollectionJob, JobStatus, Prisma, PrismaClient } from "../generated/prisma/client.js";
import { JobCancelledError, LeaseLostError } from "./job-errors.js";
import { publishJobUpdate } from "./job-events.js";
import { isFinalStatus } from "./job-status.js";

export type JobTransaction = Prisma.TransactionClient;

// Page transactions do real work; Prisma's 5 s default is too tight on a busy database.
export const JOB_TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 60_000 };

async function lockJob(tx: JobTransaction, jobId: string) {
  const rows = await tx.$queryRaw<Array<{ status: JobStatus; leaseToken: string | null }>>`
    SELECT status, "leaseToken" FROM "CollectionJob" WHERE id = ${jobId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

/**
 * Takes the job for this attempt; null when it no longer needs running (cancelled, finished,
 * gone). Idempotent per lease token: when an earlier try's commit went through but its answer
 * was lost (the database went away), claiming again returns the job without a second attempt.
 */
export async function claimJob(
  prisma: PrismaClient,
  jobId: string,
  leaseToken: string,
  { countsAsAttempt = true }: { countsAsAttempt?: boolean } = {},
): Promise<CollectionJob | null> {
  return prisma.$transaction(async (tx) => {
    const current = await lockJob(tx, jobId);
    if (!current || isFinalStatus(current.status)) return null;
    if (current.leaseToken === leaseToken) return tx.collectionJob.findUniqueOrThrow({ where: { id: jobId } });
    const previous = await tx.collectionJob.findUniqueOrThrow({ where: { id: jobId } });
    const job = await tx.collectionJob.update({
      where: { id: jobId },
      data: {
        status: "RUNNING",
        attempts: { increment: countsAsAttempt ? 1 : 0 },
        leaseToken,
        startedAt: previous.startedAt ?? new Date(),
        error: null,
      },
    });
    await publishJobUpdate(tx, job);
    return job;
  }, JOB_TRANSACTION_OPTIONS);
}

/**
 * Runs `work` in a transaction that holds the job row, if this attempt still holds the lease
 * and the job was not cancelled; throws LeaseLostError or JobCancelledError otherwise.
 */
export async function withLease<T>(
  prisma: PrismaClient,
  jobId: string,
  leaseToken: string,
  work: (tx: JobTransaction) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(async (tx) => {
    const current = await lockJob(tx, jobId);
    if (current?.status === "CANCELLED") throw new JobCancelledError();
    if (!current || current.leaseToken !== leaseToken || current.status !== "RUNNING") throw new LeaseLostError();
    return work(tx);
  }, JOB_TRANSACTION_OPTIONS);
}

/** Writes a change of the leased job and tells its followers. */
export async function updateLeasedJob(
  tx: JobTransaction,
  jobId: string,
  data: Prisma.CollectionJobUpdateInput,
): Promise<CollectionJob> {
  const job = await tx.collectionJob.update({ where: { id: jobId }, data });
  await publishJobUpdate(tx, job);
  return job;
}

/** Ends the attempt: the job goes back to QUEUED (to be retried) or to a final state. */
export async function settleJob(
  prisma: PrismaClient,
  jobId: string,
  leaseToken: string,
  data: { status: JobStatus; error?: string | null; result?: Prisma.InputJsonValue },
): Promise<void> {
  await withLease(prisma, jobId, leaseToken, (tx) =>
    updateLeasedJob(tx, jobId, {
      ...data,
      leaseToken: null,
      ...(isFinalStatus(data.status) ? { finishedAt: new Date() } : {}),
    }),
  );
}
