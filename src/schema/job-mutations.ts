// syncRecords and cancelJob. Each: permission → validation → the job service. syncRecords
// only writes the job and its queue entry; the feed is read later by a worker.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { requireWriter } from "../auth/permissions.js";
import { badUserInput, notFound } from "../errors.js";
import { checkFeedUrl } from "../jobs/allowed-hosts.js";
import { IdempotencyConflict } from "../jobs/job-service.js";
import { storableText } from "../records/record-field-rules.js";
import type { CollectionJob } from "../generated/prisma/client.js";
import { builder } from "./builder.js";
import { requireNodeId } from "../validation/global-id.js";
import { validateInput } from "../validation/validate-input.js";
import { CollectionJobRef, JobStatusEnum } from "./job.js";

const SyncRecordsInput = builder.inputType("SyncRecordsInput", {
  fields: (t) => ({
    sourceUrl: t.string({ required: true, description: "A record feed on a host in SYNC_ALLOWED_HOSTS." }),
    idempotencyKey: t.string({
      required: false,
      description: "The same key from the same customer returns the same job instead of starting another.",
    }),
    mirror: t.boolean({
      required: false,
      defaultValue: false,
      description:
        "true: once the whole feed was read, delete this customer's records the feed did not list (records changed since the sync started are kept). Default false: such records are left alone. Attachments a listed record no longer lists are removed either way.",
    }),
  }),
});

const CancelJobInput = builder.inputType("CancelJobInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

/** A record feed's URL, on a host in `allowedHosts` (SYNC_ALLOWED_HOSTS): syncRecords, createSyncSchedule. */
export const feedUrlRule = (allowedHosts: readonly string[]) =>
  storableText()
    .trim()
    .min(1, "must not be empty")
    .max(2_000, "must be at most 2000 characters")
    .transform((value, context) => {
      const check = checkFeedUrl(value, allowedHosts);
      if (check.allowed) return check.url.toString();
      context.addIssue({ code: "custom", message: check.reason });
      return z.NEVER;
    });

/** syncRecords' input. */
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

const QueuedJobPayload = builder.objectRef<{ job: CollectionJob }>("QueuedJobPayload").implement({
  fields: (t) => ({
    jobId: t.id({ resolve: ({ job }) => encodeGlobalID("CollectionJob", job.id) }),
    status: t.field({ type: JobStatusEnum, resolve: ({ job }) => job.status }),
    job: t.field({ type: CollectionJobRef, resolve: ({ job }) => job }),
  }),
});

const CancelJobPayload = builder.objectRef<{ job: CollectionJob }>("CancelJobPayload").implement({
  fields: (t) => ({ job: t.field({ type: CollectionJobRef, resolve: ({ job }) => job }) }),
});

builder.mutationField("syncRecords", (t) =>
  t.field({
    type: QueuedJobPayload,
    description: "Queues a sync of records from a feed and returns at once; follow it with jobUpdated.",
    args: { input: t.arg({ type: SyncRecordsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireWriter(ctx.viewer);
      const { sourceUrl, idempotencyKey, mirror } = validateInput(syncRecordsSchema(ctx.services.config.sync.allowedHosts), input);
      try {
        const job = await ctx.services.jobs.startRecordSync({
          customerId: viewer.customer.id,
          userId: viewer.user.id,
          sourceUrl,
          idempotencyKey,
          mirror,
        });
        return { job };
      } catch (error) {
        if (error instanceof IdempotencyConflict) {
          throw badUserInput("idempotencyKey was already used for a different sourceUrl or mirror.", "idempotencyKey");
        }
        throw error;
      }
    },
  }),
);

builder.mutationField("cancelJob", (t) =>
  t.field({
    type: CancelJobPayload,
    description: "Cancels a job: a queued one at once, a running one at its next page. Ended jobs stay as they are.",
    args: { input: t.arg({ type: CancelJobInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireWriter(ctx.viewer);
      const id = requireNodeId(input.id, "CollectionJob", "id");
      const job = await ctx.services.jobs.cancel(viewer.customer.id, id);
      if (!job) throw notFound("Job");
      return { job };
    },
  }),
);
