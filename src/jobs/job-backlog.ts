// The job backlog, for /metrics: per queue, the jobs ready to run that no worker has taken yet
// and how long the oldest of them has waited. The dispatcher is scaled out when it grows
// (README, alarms). One statement, answered from pg-boss's index of live jobs (job_i14).
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";

export type QueueBacklog = { queue: string; queued: number; oldestAgeSeconds: number };

/**
 * Ready jobs only: a job waiting out its retry delay (start_after ahead) or a flow parent is not
 * backlog a worker could take. Age counts from when the job became runnable (start_after, which
 * is the creation time of a job sent to run at once).
 */
export async function readJobBacklog(prisma: PrismaClient, queueSchema: string): Promise<QueueBacklog[]> {
  // queueSchema is checked by the configuration (lower-case letters, digits, _): safe as an identifier.
  const job = Prisma.raw(`"${queueSchema}".job`);
  const rows = await prisma.$queryRaw<Array<{ name: string; queued: number; oldest_age_seconds: number }>>`
    SELECT name, count(*)::int AS queued,
           EXTRACT(EPOCH FROM now() - min(start_after))::float8 AS oldest_age_seconds
      FROM ${job}
     WHERE state < 'active' AND NOT blocked AND start_after <= now()
     GROUP BY name`;
  return rows.map((row) => ({ queue: row.name, queued: row.queued, oldestAgeSeconds: Math.max(0, row.oldest_age_seconds) }));
}
