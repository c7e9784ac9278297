// What the API does with jobs: start a record sync (the row and its queue entry in one
// transaction, so a rolled-back insert never runs and a committed one always does), cancel
// one, and follow one. Starting and cancelling go permission → validation → the job's row
// (and queue entry) → NOT_FOUND for a job that is not the caller's; the syncRecords and
// cancelJob resolvers (src/schema/job-mutations.ts) only pass their arguments through. Every
// statement names the customer; nothing here reads another's jobs.
import type { Logger } from "pino";
import { z } from "zod";
import { requireWriter } from "../auth/permissions.js";
import type { Viewer } from "../auth/viewer.js";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { badUserInput, notFound } from "../errors.js";
import type { CollectionJob, JobStatus } from "../generated/prisma/client.js";
import { isUniqueViolation } from "../db/prisma-errors.js";
import { storableText } from "../records/record-field-rules.js";
import { requireNodeId } from "../validation/global-id.js";
import { validateInput } from "../validation/validate-input.js";
import { feedUrlRule } from "./allowed-hosts.js";
import { JobEvents, publishJobUpdate } from "./job-events.js";
import { JOB_TRANSACTION_OPTIONS } from "./job-lease.js";
import { JobSubscriptionSlots } from "./job-subscription-slots.js";
import { isFinalStatus } from "./job-status.js";
import { enqueueRecordSync } from "./enqueue-record-sync.js";
import { JobQueue, RECORD_SYNC_QUEUE } from "./queue.js";

/** syncRecords' input as the client sent it. */
export type SyncRecordsInput = {
  sourceUrl: string;
  idempotencyKey?: string | null;
  /** Delete the customer's records the feed did not list, at the end (default false). */
  mirror?: boolean | null;
};

type StartRecordSync = { customerId: string; userId: string; sourceUrl: string; idempotencyKey: string | null; mirror: boolean };

const syncRecordsSchema = (allowedHosts: readonly string[]) =>
  z.object({
    sourceUrl: feedUrlRule(allowedHosts),
    idempotencyKey: storableText()
      .trim()
      .min(1, "must not be empty")
      .max(200, "must be at most 200 characters")
      .nullish()
      .transform((value) => value ?? null),
    mirror: z.boolean().nullish().transform((value) => value ?? false),
  });

export class JobService {
  readonly queue: JobQueue;
  readonly events: JobEvents;
  /** Open jobUpdated subscriptions per customer in this process. */
  readonly subscriptionSlots: JobSubscriptionSlots;

  constructor(
    private readonly config: Config,
    private readonly database: Database,
    logger: Logger,
  ) {
    this.queue = new JobQueue(config, database, logger);
    this.events = new JobEvents(config, database);
    this.subscriptionSlots = new JobSubscriptionSlots(config.jobs.subscriptionsPerCustomer);
  }

  /** The queued job; the existing one when the viewer's customer already used `idempotencyKey`. */
  async startRecordSync(viewer: Viewer | null, input: SyncRecordsInput): Promise<CollectionJob> {
    const writer = requireWriter(viewer);
    const fields = validateInput(syncRecordsSchema(this.config.sync.allowedHosts), input);
    return this.enqueueRecordSync({ customerId: writer.customer.id, userId: writer.user.id, ...fields });
  }

  private async enqueueRecordSync(input: StartRecordSync): Promise<CollectionJob> {
    const existing = await this.findByIdempotencyKey(input);
    if (existing) return existing;
    const boss = await this.queue.started();
    try {
      return await this.database.prisma.$transaction(async (tx) => {
        return enqueueRecordSync(tx, boss, this.config, {
          customerId: input.customerId,
          sourceUrl: input.sourceUrl,
          idempotencyKey: input.idempotencyKey,
          mirror: input.mirror,
          createdById: input.userId,
        });
      }, JOB_TRANSACTION_OPTIONS);
    } catch (error) {
      // Two calls with one key at once: the second insert lost the race; answer with the first.
      const winner = isUniqueViolation(error) ? await this.findByIdempotencyKey(input) : null;
      if (winner) return winner;
      throw error;
    }
  }

  private async findByIdempotencyKey(input: StartRecordSync): Promise<CollectionJob | null> {
    if (!input.idempotencyKey) return null;
    const job = await this.database.prisma.collectionJob.findUnique({
      where: { customerId_idempotencyKey: { customerId: input.customerId, idempotencyKey: input.idempotencyKey } },
    });
    if (job && (job.sourceUrl !== input.sourceUrl || job.mirror !== input.mirror)) {
      throw badUserInput("idempotencyKey was already used for a different sourceUrl or mirror.", "idempotencyKey");
    }
    return job;
  }

  /**
   * Cancels the job (a global id) if it has not ended: at once for a queued one; a running one
   * stops at its next page boundary (its worker finds the job CANCELLED). NOT_FOUND when it is
   * not the viewer's customer's.
   */
  async cancel(viewer: Viewer | null, input: { id: string }): Promise<CollectionJob> {
    const writer = requireWriter(viewer);
    const job = await this.cancelJob(writer.customer.id, requireNodeId(input.id, "CollectionJob", "id"));
    if (!job) throw notFound("Job");
    return job;
  }

  private async cancelJob(customerId: string, jobId: string): Promise<CollectionJob | null> {
    const outcome = await this.database.prisma.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ status: JobStatus }>>`
        SELECT status FROM "CollectionJob" WHERE id = ${jobId}::uuid AND "customerId" = ${customerId}::uuid FOR UPDATE`;
      const status = locked[0]?.status;
      if (!status) return { job: null, wasQueued: false };
      if (isFinalStatus(status)) {
        return { job: await tx.collectionJob.findUniqueOrThrow({ where: { id: jobId } }), wasQueued: false };
      }
      const job = await tx.collectionJob.update({
        where: { id: jobId },
        data: { status: "CANCELLED", finishedAt: new Date(), leaseToken: null },
      });
      await publishJobUpdate(tx, job);
      return { job, wasQueued: status === "QUEUED" };
    }, JOB_TRANSACTION_OPTIONS);
    if (outcome.wasQueued) {
      // Not needed for correctness (a worker skips a cancelled job), but keeps the queue clean.
      const boss = await this.queue.started();
      await boss.cancel(RECORD_SYNC_QUEUE, jobId).catch(() => {});
    }
    return outcome.job;
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.stop();
  }
}
