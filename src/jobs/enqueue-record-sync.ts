// A RECORD_SYNC job: its row and its queue entry, written in the caller's transaction, so a
// rolled-back insert never runs and a committed one always does. Used by syncRecords (through
// JobService) and by the schedule dispatcher.
import { fromPrisma, type PgBoss } from "pg-boss";
import type { Config } from "../config.js";
import type { CollectionJob, Prisma } from "../generated/prisma/client.js";
import { RECORD_SYNC_QUEUE, recordSyncSendOptions, type RecordSyncMessage } from "./queue.js";

export type RecordSyncJobData = {
  customerId: string;
  sourceUrl: string;
  idempotencyKey: string | null;
  /** The user who started it; null for a scheduled run. */
  createdById: string | null;
  /** Delete the customer's records the feed did not list, at the end (record-sync/mirror-feed.ts). */
  mirror?: boolean;
  /** A scheduled run: its schedule and due time (one job per pair). */
  scheduleId?: string;
  scheduledFor?: Date;
};

export async function enqueueRecordSync(
  tx: Prisma.TransactionClient,
  boss: PgBoss,
  config: Config,
  data: RecordSyncJobData,
): Promise<CollectionJob> {
  const job = await tx.collectionJob.create({ data: { ...data, kind: "RECORD_SYNC" } });
  const message: RecordSyncMessage = { jobId: job.id, customerId: job.customerId };
  // The queue entry shares the job's id, so cancel can find it; singletonKey = customer
  // keeps one sync per customer running at a time.
  await boss.send(RECORD_SYNC_QUEUE, message, {
    ...recordSyncSendOptions(config),
    id: job.id,
    singletonKey: job.customerId,
    db: fromPrisma(tx),
  });
  return job;
}
