// Scheduled record syncs: the SyncSchedule type, Query.syncSchedules and the mutations that
// create, pause, resume and delete them. A customer's ADMIN manages them; each mutation hands
// its input to the schedule service (src/jobs/sync-schedules/schedule-service.ts), which checks
// the role and the input and names the customer in every statement. Another customer's
// schedule id is NOT_FOUND, as a missing one is.
// Schedules change by themselves (each run moves nextRunAt, lastRun, skippedRuns), so like jobs
// they are never served from the response cache (use-tenant-response-cache.ts).
import { encodeGlobalID } from "@pothos/plugin-relay";
import { requireAdmin } from "../auth/permissions.js";
import type { SyncSchedule } from "../generated/prisma/client.js";
import { keysetConnection, keysetPageRequest } from "../pagination/keyset-page.js";
import { pageComplexity } from "../pagination/page-request.js";
import { fetchSyncSchedulePage } from "../queries/sync-schedules-page.js";
import { builder } from "./builder.js";
import { inputMutation } from "./input-mutation.js";
import { CollectionJobRef } from "./job.js";
import { selectsField } from "./selection.js";

export const SyncScheduleRef = builder.prismaNode("SyncSchedule", {
  id: { field: "id" },
  nullable: true,
  findUnique: (id) => ({ id }),
  description: "A record sync that runs on a cron schedule; each run is an ordinary CollectionJob.",
  fields: (t) => ({
    sourceUrl: t.exposeString("sourceUrl"),
    cron: t.exposeString("cron", { description: "5 fields (minute hour day month weekday), or 6 with seconds first." }),
    timeZone: t.exposeString("timeZone", { description: "The IANA time zone the cron expression is read in." }),
    paused: t.exposeBoolean("paused"),
    nextRunAt: t.expose("nextRunAt", { type: "DateTime", nullable: true, description: "Null while paused." }),
    lastRunAt: t.expose("lastRunAt", {
      type: "DateTime",
      nullable: true,
      description: "The due time of the last run that started a job.",
    }),
    lastRun: t.field({
      type: CollectionJobRef,
      nullable: true,
      description: "The job of the last run (null before the first, or once the job is past JOB_RETENTION_DAYS).",
      resolve: (schedule, _args, ctx) => (schedule.lastJobId ? ctx.loaders.jobById.load(schedule.lastJobId) : null),
    }),
    skippedRuns: t.exposeInt("skippedRuns", {
      description: "Due runs not started because the schedule's previous run was still queued or running.",
    }),
    lastSkippedAt: t.expose("lastSkippedAt", { type: "DateTime", nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

builder.queryField("syncSchedules", (t) =>
  t.connection(
    {
      type: SyncScheduleRef,
      complexity: pageComplexity,
      description: "The customer's sync schedules, newest first (ADMIN only).",
      resolve: async (_root, args, ctx, info) => {
        const viewer = requireAdmin(ctx.viewer);
        const list = { cursors: ctx.services.cursors, customerId: viewer.customer.id, kind: "syncSchedules" };
        const request = keysetPageRequest(list, args);
        const { rows, totalCount } = await fetchSyncSchedulePage(ctx.tenantDb, { request, withTotal: selectsField(info, "totalCount") });
        for (const row of rows) ctx.loaders.syncScheduleById.prime(row.id, row);
        return { ...keysetConnection(list, rows, request, (row) => row.createdAt.toISOString()), totalCount };
      },
    },
    {
      name: "SyncScheduleConnection",
      fields: (t) => ({
        totalCount: t.int({ resolve: (connection) => (connection as { totalCount: number | null }).totalCount ?? 0 }),
      }),
    },
    { name: "SyncScheduleEdge" },
  ),
);

const CreateSyncScheduleInput = builder.inputType("CreateSyncScheduleInput", {
  fields: (t) => ({
    sourceUrl: t.string({ required: true, description: "A record feed on a host in SYNC_ALLOWED_HOSTS." }),
    cron: t.string({ required: true, description: 'e.g. "0 6 * * *" (06:00 every day), or 6 fields with seconds first.' }),
    timeZone: t.string({ required: true, description: 'An IANA time zone, e.g. "Europe/Paris" or "UTC".' }),
  }),
});

const SyncScheduleIdInput = builder.inputType("SyncScheduleIdInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const SyncSchedulePayload = builder.objectRef<{ schedule: SyncSchedule }>("SyncSchedulePayload").implement({
  fields: (t) => ({ schedule: t.field({ type: SyncScheduleRef, resolve: ({ schedule }) => schedule }) }),
});

const DeleteSyncSchedulePayload = builder.objectRef<{ id: string }>("DeleteSyncSchedulePayload").implement({
  fields: (t) => ({ deletedScheduleId: t.id({ resolve: ({ id }) => encodeGlobalID("SyncSchedule", id) }) }),
});

inputMutation("createSyncSchedule", {
  input: CreateSyncScheduleInput,
  payload: SyncSchedulePayload,
  description: "Schedules a record sync; its first run is the cron expression's next due time.",
  resolve: async (input, ctx) => ({ schedule: await ctx.services.schedules.create(ctx.viewer, input) }),
});

// pause and resume: the changed schedule.
const scheduleChanges = [
  ["pauseSyncSchedule", "pause", "Stops a schedule's runs until it is resumed (a run already started goes on)."],
  [
    "resumeSyncSchedule",
    "resume",
    "Runs a paused schedule again from its next due time after now (runs missed while paused are not made up).",
  ],
] as const;
for (const [name, change, description] of scheduleChanges) {
  inputMutation(name, {
    input: SyncScheduleIdInput,
    payload: SyncSchedulePayload,
    description,
    resolve: async (input, ctx) => ({ schedule: await ctx.services.schedules[change](ctx.viewer, input) }),
  });
}

inputMutation("deleteSyncSchedule", {
  input: SyncScheduleIdInput,
  payload: DeleteSyncSchedulePayload,
  description: "Deletes a schedule; its past runs stay in the jobs list.",
  resolve: async (input, ctx) => ({ id: await ctx.services.schedules.delete(ctx.viewer, input) }),
});
