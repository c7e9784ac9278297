// Removes finished jobs older than the retention period (JOB_RETENTION_DAYS). Run on a
// schedule by the worker; pg-boss prunes its own copies of them by the same period.
import type { PrismaClient } from "../generated/prisma/client.js";

export async function removeFinishedJobs(prisma: PrismaClient, retentionDays: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const { count } = await prisma.collectionJob.deleteMany({
    where: { status: { in: ["SUCCEEDED", "FAILED", "CANCELLED"] }, finishedAt: { lt: cutoff } },
  });
  return count;
}
