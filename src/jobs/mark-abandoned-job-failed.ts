// When pg-boss gives up on a sync by itself (every attempt's worker died or went silent), the
// handler never got to record it: the dead-letter copy lands here and the job is marked
// FAILED, so no job stays RUNNING forever.
import type { PrismaClient } from "../generated/prisma/client.js";
import { JOB_TRANSACTION_OPTIONS } from "./job-lease.js";
import { publishJobUpdate } from "./job-events.js";

export async function markAbandonedJobFailed(prisma: PrismaClient, jobId: string, attempts: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "CollectionJob"
      WHERE id = ${jobId}::uuid AND status IN ('QUEUED', 'RUNNING') FOR UPDATE`;
    if (rows.length === 0) return;
    const job = await tx.collectionJob.update({
      where: { id: jobId },
      data: {
        status: "FAILED",
        leaseToken: null,
        finishedAt: new Date(),
        error: `The worker running this sync stopped responding ${attempts} times; gave up.`,
      },
    });
    await publishJobUpdate(tx, job);
  }, JOB_TRANSACTION_OPTIONS);
}
