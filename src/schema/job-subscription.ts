// jobUpdated: the job as it is now, then every committed change of its status or progress,
// ending when the job ends. Changes come over LISTEN/NOTIFY (src/jobs/job-events.ts), so a
// worker in another process is followed too, and a subscription costs no SQL while its job is
// unchanged. A client that disconnects ends its subscription at once (job-update-stream.ts).
// Open subscriptions are capped per customer (JOB_SUBSCRIPTIONS_PER_CUSTOMER). Yoga's
// onExecute hooks do not run for subscriptions, so this resolver checks the viewer and the
// job's owner itself.
import { requireViewer } from "../auth/permissions.js";
import type { Context } from "../context.js";
import { notFound, tooManySubscriptions } from "../errors.js";
import { JobUpdateStream } from "../jobs/job-update-stream.js";
import { builder } from "./builder.js";
import { requireNodeId } from "../validation/global-id.js";
import { CollectionJobRef } from "./job.js";

builder.subscriptionType({});

/**
 * Starts following the job for the viewer's customer: listens first, then reads the job (no
 * SQL when this process already follows it), so no change falls in between. Another
 * customer's job is simply not found.
 */
async function followJob(ctx: Context, customerId: string, jobId: string): Promise<JobUpdateStream> {
  const slots = ctx.services.jobs.subscriptionSlots;
  const release = slots.take(customerId);
  if (!release) throw tooManySubscriptions(slots.perCustomer);
  let stream: JobUpdateStream | null = null;
  try {
    const { current, stop } = await ctx.services.jobs.events.follow(
      jobId,
      customerId,
      () => ctx.tenantDb.collectionJob.findUnique({ where: { id: jobId } }),
      (snapshot) => stream?.offer(snapshot),
    );
    if (!current) {
      stop();
      throw notFound("Job");
    }
    const signal = ctx.request.signal;
    // Also end when the request itself is aborted, should the stream never be iterated.
    const onAbort = () => void stream?.return();
    const end = () => {
      stop();
      release();
      signal?.removeEventListener("abort", onAbort);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    stream = new JobUpdateStream(current, end);
    if (signal?.aborted) onAbort();
    return stream;
  } catch (error) {
    release();
    throw error;
  }
}

builder.subscriptionField("jobUpdated", (t) =>
  t.field({
    type: CollectionJobRef,
    description: "The job now and at each change of status or progress; completes when the job ends.",
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: (_root, { jobId }, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const id = requireNodeId(jobId, "CollectionJob", "jobId");
      return followJob(ctx, viewer.customer.id, id);
    },
    resolve: (snapshot) => snapshot as never,
  }),
);
