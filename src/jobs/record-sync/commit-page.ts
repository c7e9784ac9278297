// Commits one fetched feed page: its records and the advanced checkpoint (and, for the last
// page, the job's result) in one transaction under the attempt's lease.
//
// After the database was unreachable, the failed try may have committed after all: the
// connection can drop after COMMIT was sent and before its answer came back. Applying the page
// again would count its records a second time (as "unchanged"), so the job's checkpoint, which
// commits with the page, is read first and says whether it did.
import type { Logger } from "pino";
import type { PrismaClient } from "../../generated/prisma/client.js";
import { updateLeasedJob, withLease } from "../job-lease.js";
import { applyRecordPage } from "./apply-record-page.js";
import { markListed, type RemovedRecords, removeUnlisted } from "./mirror-feed.js";
import type { FeedPage } from "./feed-page.js";
import {
  advanceCheckpoint,
  isPageApplied,
  jobProgress,
  type PageCosts,
  readCheckpoint,
  type SyncCheckpoint,
  syncResult,
} from "./sync-checkpoint.js";

export type PageTarget = { jobId: string; leaseToken: string; customerId: string; mirror: boolean; startedAt: Date };
/** `removedStorageKeys`: files to delete now that the rows that pointed at them are gone. */
export type CommittedPage = { next: SyncCheckpoint; changedRecordIds: string[]; removedStorageKeys: string[] };

/** `afterOutage`: an earlier try of this commit failed on the database, maybe after committing. */
export async function commitPage(
  prisma: PrismaClient,
  target: PageTarget,
  state: SyncCheckpoint,
  page: FeedPage,
  costs: Omit<PageCosts, "recordsRemoved">,
  { afterOutage, log }: { afterOutage: boolean; log: Logger },
): Promise<CommittedPage> {
  if (afterOutage) {
    const earlier = await committedEarlier(prisma, target, state, page);
    if (earlier) {
      log.info({ pages: earlier.next.pages }, "page had committed before the database went away; not applied again");
      return earlier;
    }
  }
  const finished = page.nextCursor === null;
  return withLease(prisma, target.jobId, target.leaseToken, async (tx) => {
    const changes = await applyRecordPage(tx, target.customerId, page.records);
    let removed: RemovedRecords = { recordIds: [], storageKeys: [] };
    if (target.mirror) {
      const listed = [...page.records.map((record) => record.referenceNumber), ...page.rejected.flatMap((r) => r.referenceNumber ?? [])];
      await markListed(tx, target, listed);
      if (finished) removed = await removeUnlisted(tx, target);
    }
    const next = advanceCheckpoint(state, page, changes, { ...costs, recordsRemoved: removed.recordIds.length });
    await updateLeasedJob(tx, target.jobId, {
      checkpoint: next,
      ...jobProgress(next, finished),
      ...(finished ? { status: "SUCCEEDED", result: syncResult(next), finishedAt: new Date(), leaseToken: null } : {}),
    });
    return {
      next,
      changedRecordIds: [...changes.changedRecordIds, ...removed.recordIds],
      removedStorageKeys: [...changes.removedStorageKeys, ...removed.storageKeys],
    };
  });
}

/** The page's commit if it already happened; null if it did not (or the job is no longer ours: withLease says why). */
async function committedEarlier(
  prisma: PrismaClient,
  target: PageTarget,
  state: SyncCheckpoint,
  page: FeedPage,
): Promise<CommittedPage | null> {
  const job = await prisma.collectionJob.findUnique({
    where: { id: target.jobId },
    select: { status: true, leaseToken: true, checkpoint: true },
  });
  // Still ours and running, or finished by this (last) page, which clears the lease token.
  const ours = job?.status === "RUNNING" && job.leaseToken === target.leaseToken;
  const finishedHere = job?.status === "SUCCEEDED" && page.nextCursor === null;
  if (!job || !(ours || finishedHere)) return null;
  const saved = readCheckpoint(job.checkpoint);
  if (!isPageApplied(saved, state, page)) return null;
  // Which records that commit changed was lost with its answer; all of the page's records is a
  // superset, which is what cache invalidation needs. (Records a mirroring last page deleted, and
  // the files of what it removed, are not known any more: the cache's TTL and the orphan file
  // sweep take care of those.)
  const records = page.records.length
    ? await prisma.record.findMany({
        where: { customerId: target.customerId, referenceNumber: { in: page.records.map((record) => record.referenceNumber) } },
        select: { id: true },
      })
    : [];
  return { next: saved, changedRecordIds: records.map((record) => record.id), removedStorageKeys: [] };
}
