// Collection jobs: the type and the jobs list. Starting and following jobs come with the
// job worker.
import { requireViewer } from "../auth/permissions.js";
import { keysetConnection, keysetPageRequest } from "../pagination/keyset-page.js";
import { pageComplexity } from "../pagination/page-request.js";
import { fetchJobPage } from "../queries/jobs-page.js";
import { builder } from "./builder.js";
import { selectsField } from "./selection.js";

export const JobKindEnum = builder.enumType("JobKind", { values: ["RECORD_SYNC"] as const });
export const JobStatusEnum = builder.enumType("JobStatus", {
  values: ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const,
});

export const CollectionJobRef = builder.prismaNode("CollectionJob", {
  id: { field: "id" },
  nullable: true,
  findUnique: (id) => ({ id }),
  fields: (t) => ({
    kind: t.expose("kind", { type: JobKindEnum }),
    status: t.expose("status", { type: JobStatusEnum }),
    attempts: t.exposeInt("attempts"),
    progress: t.exposeFloat("progress", {
      nullable: true,
      description:
        "From 0 to 1: records done / recordsTotal. Null while the total is unknown (the feed's pages do not say it); 1 once the job succeeded.",
    }),
    recordsDone: t.exposeInt("recordsDone", { description: "Records read from the feed so far, rejected ones included." }),
    pagesDone: t.exposeInt("pagesDone", { description: "Feed pages read and committed so far." }),
    recordsTotal: t.exposeInt("recordsTotal", {
      nullable: true,
      description: "How many records the feed says it holds (its pages' optional `total`); null when it does not say.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    error: t.exposeString("error", { nullable: true, description: "Why the job failed, for people." }),
    result: t.expose("result", { type: "JSON", nullable: true }),
  }),
});

builder.queryField("jobs", (t) =>
  t.connection(
    {
      type: CollectionJobRef,
      complexity: pageComplexity,
      description: "The caller's collection jobs, newest first.",
      args: { status: t.arg({ type: JobStatusEnum, required: false }) },
      resolve: async (_root, args, ctx, info) => {
        const viewer = requireViewer(ctx.viewer);
        const list = { cursors: ctx.services.cursors, customerId: viewer.customer.id, kind: "jobs" };
        const request = keysetPageRequest(list, args);
        const { rows, totalCount } = await fetchJobPage(ctx.tenantDb, {
          status: args.status ?? null,
          request,
          withTotal: selectsField(info, "totalCount"),
        });
        for (const row of rows) ctx.loaders.jobById.prime(row.id, row);
        return {
          ...keysetConnection(list, rows, request, (row) => row.createdAt.toISOString()),
          totalCount,
        };
      },
    },
    {
      name: "CollectionJobConnection",
      fields: (t) => ({
        totalCount: t.int({
          resolve: (connection) => (connection as { totalCount: number | null }).totalCount ?? 0,
        }),
      }),
    },
    { name: "CollectionJobEdge" },
  ),
);
