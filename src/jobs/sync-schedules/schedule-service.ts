// What the API does with sync schedules: create (within the customer's limit), pause, resume and
// delete. Each call goes permission (ADMIN) → validation → the schedule's row → NOT_FOUND for a
// schedule that is not the caller's, as for a missing one; the mutations in
// src/schema/sync-schedule.ts only pass their arguments through. Every statement names the
// customer, and nothing here reads or changes another's schedules. Each change NOTIFYs the
// dispatchers (schedule-dispatcher.ts), so a new or resumed schedule is timed at once, in
// every worker process.
import { z } from "zod";
import { requireAdmin } from "../../auth/permissions.js";
import type { Viewer } from "../../auth/viewer.js";
import type { Config } from "../../config.js";
import type { Database } from "../../db/database.js";
import { badUserInput, notFound } from "../../errors.js";
import type { Prisma, SyncSchedule } from "../../generated/prisma/client.js";
import { storableText } from "../../records/record-field-rules.js";
import { nodeIdRule, validateInput } from "../../validation/validate-input.js";
import { feedUrlRule } from "../allowed-hosts.js";
import { JOB_TRANSACTION_OPTIONS } from "../job-lease.js";
import { cronSyntaxProblem, isTimeZone, nextOccurrence } from "./cron.js";

export const SCHEDULES_CHANGED_CHANNEL = "sync_schedules_changed";

/** createSyncSchedule's input as the client sent it. */
export type NewSyncSchedule = { sourceUrl: string; cron: string; timeZone: string };

const createSchema = (allowedHosts: readonly string[]) =>
  z.object({
    sourceUrl: feedUrlRule(allowedHosts),
    cron: storableText()
      .trim()
      .max(200, "must be at most 200 characters")
      .superRefine((cron, context) => {
        const problem = cronSyntaxProblem(cron);
        if (problem) context.addIssue({ code: "custom", message: problem });
      }),
    timeZone: storableText()
      .trim()
      .refine(isTimeZone, 'is not a known IANA time zone (e.g. "Europe/Paris", "UTC")'),
  });

const scheduleIdSchema = z.object({ id: nodeIdRule("SyncSchedule") });

type NotifyingClient = Pick<Prisma.TransactionClient, "$executeRaw">;

async function announceChange(tx: NotifyingClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${SCHEDULES_CHANGED_CHANNEL}, '')`;
}

export class SyncScheduleService {
  constructor(
    private readonly config: Config,
    private readonly database: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The new schedule, its first run timed from now; BAD_USER_INPUT past the customer's limit. */
  async create(viewer: Viewer | null, input: NewSyncSchedule): Promise<SyncSchedule> {
    const admin = requireAdmin(viewer);
    const fields = validateInput(createSchema(this.config.sync.allowedHosts), input);
    const customerId = admin.customer.id;
    const limit = this.config.sync.maxSchedulesPerCustomer;
    return this.database.prisma.$transaction(async (tx) => {
      // Creations of one customer take turns, so two at once cannot both pass the count.
      await tx.$queryRaw`SELECT id FROM "Customer" WHERE id = ${customerId}::uuid FOR UPDATE`;
      if ((await tx.syncSchedule.count({ where: { customerId } })) >= limit) {
        throw badUserInput(
          `A customer may have at most ${limit} sync schedules (SYNC_MAX_SCHEDULES_PER_CUSTOMER); delete one first.`,
        );
      }
      const schedule = await tx.syncSchedule.create({
        data: {
          customerId,
          createdById: admin.user.id,
          ...fields,
          nextRunAt: nextOccurrence(fields.cron, fields.timeZone, this.now()),
        },
      });
      await announceChange(tx);
      return schedule;
    }, JOB_TRANSACTION_OPTIONS);
  }

  /** Pausing a paused schedule changes nothing. */
  pause(viewer: Viewer | null, input: { id: string }): Promise<SyncSchedule> {
    return this.update(viewer, input, () => ({ paused: true, nextRunAt: null }));
  }

  /** The next run is timed from now (missed ones are not made up). */
  resume(viewer: Viewer | null, input: { id: string }): Promise<SyncSchedule> {
    return this.update(viewer, input, (schedule) =>
      schedule.paused ? { paused: false, nextRunAt: nextOccurrence(schedule.cron, schedule.timeZone, this.now()) } : {},
    );
  }

  /** The deleted schedule's database id. Its past runs stay in the jobs list. */
  async delete(viewer: Viewer | null, input: { id: string }): Promise<string> {
    const { customerId, id } = this.target(viewer, input);
    const deleted = await this.database.prisma.$transaction(async (tx) => {
      const { count } = await tx.syncSchedule.deleteMany({ where: { id, customerId } });
      if (count > 0) await announceChange(tx);
      return count > 0;
    }, JOB_TRANSACTION_OPTIONS);
    if (!deleted) throw notFound("Sync schedule");
    return id;
  }

  /** The schedule an input's id (a global id) names, for an ADMIN of its customer. */
  private target(viewer: Viewer | null, input: { id: string }): { customerId: string; id: string } {
    const admin = requireAdmin(viewer);
    return { customerId: admin.customer.id, id: validateInput(scheduleIdSchema, input).id };
  }

  private async update(
    viewer: Viewer | null,
    input: { id: string },
    change: (schedule: SyncSchedule) => Prisma.SyncScheduleUpdateInput,
  ): Promise<SyncSchedule> {
    const { customerId, id } = this.target(viewer, input);
    const updated = await this.database.prisma.$transaction(async (tx) => {
      // Locked, so a dispatcher starting a run of it waits for this change, or this for it.
      const locked = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "SyncSchedule" WHERE id = ${id}::uuid AND "customerId" = ${customerId}::uuid FOR UPDATE`;
      if (locked.length === 0) return null;
      const schedule = await tx.syncSchedule.findUniqueOrThrow({ where: { id } });
      const data = change(schedule);
      if (Object.keys(data).length === 0) return schedule;
      const changed = await tx.syncSchedule.update({ where: { id }, data });
      await announceChange(tx);
      return changed;
    }, JOB_TRANSACTION_OPTIONS);
    if (!updated) throw notFound("Sync schedule");
    return updated;
  }
}
