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

export type PageTarget = { jobId: string; leaseToken: string; customerId: string };
export type CommittedPage = { next: SyncCheckpoint; changedRecordIds: string[] };

/** `afterOutage`: an earlier try of this commit failed on the database, maybe after committing. */
export async function commitPage(
  prisma: PrismaClient,
  target: PageTarget,
  state: SyncCheckpoint,
  page: FeedPage,
  costs: PageCosts,
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
    const next = advanceCheckpoint(state, page, changes, costs);
    await updateLeasedJob(tx, target.jobId, {
      checkpoint: next,
      ...jobProgress(next, finished),
      ...(finished ? { status: "SUCCEEDED", result: syncResult(next), finishedAt: new Date(), leaseToken: null } : {}),
    });
    return { next, changedRecordIds: changes.changedRecordIds };
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
  // superset, which is what cache invalidation needs.
  const records = page.records.length
    ? await prisma.record.findMany({
        where: { customerId: target.customerId, referenceNumber: { in: page.records.map((record) => record.referenceNumber) } },
        select: { id: true },
      })
    : [];
  return { next: saved, changedRecordIds: records.map((record) => record.id) };
}
