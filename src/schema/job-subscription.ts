// jobUpdated: the job as it is now, then every committed change of its status or progress,
// ending when the job ends. Changes come over LISTEN/NOTIFY, so a worker in another process
// is followed too. Yoga's onExecute hooks do not run for subscriptions, so this resolver
// checks the viewer and the job's owner itself.
import { requireViewer } from "../auth/permissions.js";
import type { Context } from "../context.js";
import { notFound } from "../errors.js";
import type { JobSnapshot } from "../jobs/job-events.js";
import { isFinalStatus } from "../jobs/job-status.js";
import { builder } from "./builder.js";
import { requireNodeId } from "./global-id.js";
import { CollectionJobRef } from "./job.js";

builder.subscriptionType({});

/** A notification missed while LISTEN reconnects is caught up by re-reading the row this often. */
const RECHECK_MS = 5_000;

const sameState = (a: JobSnapshot, b: JobSnapshot) =>
  a.updatedAt.getTime() === b.updatedAt.getTime() && a.status === b.status && a.progress === b.progress;

/**
 * Starts following the job: listens first, then reads the row through the tenant-scoped
 * client (another customer's job is simply not found), so no change falls in between.
 */
async function followJob(ctx: Context, jobId: string): Promise<AsyncGenerator<JobSnapshot>> {
  const pending: JobSnapshot[] = [];
  let wake: (() => void) | null = null;
  const stop = await ctx.services.jobs.events.follow(jobId, (snapshot) => {
    pending.push(snapshot);
    wake?.();
  });
  const first = await ctx.db.collectionJob.findUnique({ where: { id: jobId } }).catch((error: unknown) => {
    stop();
    throw error;
  });
  if (!first) {
    stop();
    throw notFound("Job");
  }
  const reread = () => ctx.db.collectionJob.findUnique({ where: { id: jobId } });
  return (async function* () {
    try {
      let last: JobSnapshot = first;
      yield first;
      while (!isFinalStatus(last.status)) {
        if (pending.length === 0) {
          const woken = new Promise<void>((resolve) => (wake = resolve));
          const timer = setTimeout(() => wake?.(), RECHECK_MS);
          await woken;
          clearTimeout(timer);
          wake = null;
        }
        const next = pending.shift() ?? (await reread());
        if (!next || next.updatedAt.getTime() < last.updatedAt.getTime()) continue;
        if (sameState(next, last)) continue;
        last = next;
        yield next;
      }
    } finally {
      stop();
    }
  })();
}

builder.subscriptionField("jobUpdated", (t) =>
  t.field({
    type: CollectionJobRef,
    description: "The job now and at each change of status or progress; completes when the job ends.",
    args: { jobId: t.arg.id({ required: true }) },
    subscribe: (_root, { jobId }, ctx) => {
      requireViewer(ctx.viewer);
      const id = requireNodeId(jobId, "CollectionJob", "jobId");
      return followJob(ctx, id);
    },
    resolve: (snapshot) => snapshot as never,
  }),
);
