// syncRecords and cancelJob: their input and payload types, and resolvers that hand the input
// to the job service (src/jobs/job-service.ts), which checks it and writes. syncRecords only
// writes the job and its queue entry; the feed is read later by a worker.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { CollectionJob } from "../generated/prisma/client.js";
import { builder } from "./builder.js";
import { inputMutation } from "./input-mutation.js";
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

inputMutation("syncRecords", {
  input: SyncRecordsInput,
  payload: QueuedJobPayload,
  description: "Queues a sync of records from a feed and returns at once; follow it with jobUpdated.",
  resolve: async (input, ctx) => ({ job: await ctx.services.jobs.startRecordSync(ctx.viewer, input) }),
});

inputMutation("cancelJob", {
  input: CancelJobInput,
  payload: CancelJobPayload,
  description: "Cancels a job: a queued one at once, a running one at its next page. Ended jobs stay as they are.",
  resolve: async (input, ctx) => ({ job: await ctx.services.jobs.cancel(ctx.viewer, input) }),
});
