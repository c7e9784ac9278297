// Fairness between customers when worker slots are scarce. One sync per customer runs at a
// time (the queue's singleton key), but a long sync would still hold its worker slot while
// other customers' syncs wait behind it. So a sync that has run for SYNC_FAIR_SHARE_SECONDS
// looks, after each committed page, for a sync of another customer that is ready and could
// start (its customer has none running); if there is one, it yields: in one transaction the
// job goes back to QUEUED and its next turn is queued behind the waiting ones (pg-boss takes
// jobs oldest first), then the attempt ends. The next turn resumes from the checkpoint.
import { fromPrisma, type PgBoss } from "pg-boss";
import type { Config } from "../../config.js";
import { Prisma, type PrismaClient } from "../../generated/prisma/client.js";
import { updateLeasedJob, withLease } from "../job-lease.js";
import { RECORD_SYNC_QUEUE, type RecordSyncMessage, recordSyncSendOptions } from "../queue.js";

export type FairTurns = {
  fairShareMs: number;
  /** True when a sync of another customer is ready to run and only waits for a worker slot. */
  othersWaiting(customerId: string): Promise<boolean>;
  /** Puts the leased job back in the queue, behind the syncs that wait now. */
  yieldTurn(job: { jobId: string; leaseToken: string; customerId: string }): Promise<void>;
};

export function fairTurns(boss: PgBoss, prisma: PrismaClient, config: Config): FairTurns {
  // The schema name is checked by the configuration (lower-case letters, digits, _).
  const jobTable = Prisma.raw(`"${config.jobs.queueSchema}".job`);
  return {
    fairShareMs: config.sync.fairShareSeconds * 1000,
    async othersWaiting(customerId) {
      // The same conditions as pg-boss's own fetch of a singleton queue (ready, not blocked,
      // and no job of the same key active).
      const rows = await prisma.$queryRaw<Array<{ waiting: boolean }>>`
        SELECT EXISTS (
          SELECT 1 FROM ${jobTable} j
           WHERE j.name = ${RECORD_SYNC_QUEUE} AND j.state < 'active' AND NOT j.blocked
             AND j.start_after <= now() AND j.singleton_key IS DISTINCT FROM ${customerId}
             AND NOT EXISTS (
               SELECT 1 FROM ${jobTable} a
                WHERE a.name = j.name AND a.state = 'active' AND a.singleton_key = j.singleton_key)
        ) AS waiting`;
      return rows[0]?.waiting === true;
    },
    async yieldTurn({ jobId, leaseToken, customerId }) {
      await withLease(prisma, jobId, leaseToken, async (tx) => {
        await updateLeasedJob(tx, jobId, { status: "QUEUED", leaseToken: null });
        const message: RecordSyncMessage = { jobId, customerId, nextTurn: true };
        await boss.send(RECORD_SYNC_QUEUE, message, {
          ...recordSyncSendOptions(config),
          singletonKey: customerId,
          db: fromPrisma(tx),
        });
      });
    },
  };
}
