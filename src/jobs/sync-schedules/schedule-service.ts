// What the API does with sync schedules: create (within the customer's limit), pause, resume and
// delete. Every call names the customer, and nothing here reads or changes another's schedules.
// Each change NOTIFYs the dispatchers (schedule-dispatcher.ts), so a new or resumed schedule is
// timed at once, in every worker process.
import type { Config } from "../../config.js";
import type { Database } from "../../db/database.js";
import type { Prisma, SyncSchedule } from "../../generated/prisma/client.js";
import { JOB_TRANSACTION_OPTIONS } from "../job-lease.js";
import { nextOccurrence } from "./cron.js";

export const SCHEDULES_CHANGED_CHANNEL = "sync_schedules_changed";

export type NewSyncSchedule = { sourceUrl: string; cron: string; timeZone: string };

export class ScheduleLimitReached extends Error {
  constructor(readonly limit: number) {
    super(`at most ${limit} schedules per customer`);
  }
}

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

  /** The new schedule, its first run timed from now; ScheduleLimitReached past the limit. */
  async create(customerId: string, userId: string, input: NewSyncSchedule): Promise<SyncSchedule> {
    const limit = this.config.sync.maxSchedulesPerCustomer;
    return this.database.prisma.$transaction(async (tx) => {
      // Creations of one customer take turns, so two at once cannot both pass the count.
      await tx.$queryRaw`SELECT id FROM "Customer" WHERE id = ${customerId}::uuid FOR UPDATE`;
      if ((await tx.syncSchedule.count({ where: { customerId } })) >= limit) throw new ScheduleLimitReached(limit);
      const schedule = await tx.syncSchedule.create({
        data: {
          customerId,
          createdById: userId,
          ...input,
          nextRunAt: nextOccurrence(input.cron, input.timeZone, this.now()),
        },
      });
      await announceChange(tx);
      return schedule;
    }, JOB_TRANSACTION_OPTIONS);
  }

  /** Null when the customer has no such schedule. Pausing a paused schedule changes nothing. */
  pause(customerId: string, id: string): Promise<SyncSchedule | null> {
    return this.update(customerId, id, () => ({ paused: true, nextRunAt: null }));
  }

  /** Null when the customer has no such schedule. The next run is timed from now (missed ones are not made up). */
  resume(customerId: string, id: string): Promise<SyncSchedule | null> {
    return this.update(customerId, id, (schedule) =>
      schedule.paused ? { paused: false, nextRunAt: nextOccurrence(schedule.cron, schedule.timeZone, this.now()) } : {},
    );
  }

  /** False when the customer has no such schedule. Its past runs stay in the jobs list. */
  async delete(customerId: string, id: string): Promise<boolean> {
    return this.database.prisma.$transaction(async (tx) => {
      const { count } = await tx.syncSchedule.deleteMany({ where: { id, customerId } });
      if (count > 0) await announceChange(tx);
      return count > 0;
    }, JOB_TRANSACTION_OPTIONS);
  }

  private update(
    customerId: string,
    id: string,
    change: (schedule: SyncSchedule) => Prisma.SyncScheduleUpdateInput,
  ): Promise<SyncSchedule | null> {
    return this.database.prisma.$transaction(async (tx) => {
      // Locked, so a dispatcher starting a run of it waits for this change, or this for it.
      const locked = await tx.$queryRaw<Array<{ id: string }>>`
        SELECT id FROM "SyncSchedule" WHERE id = ${id}::uuid AND "customerId" = ${customerId}::uuid FOR UPDATE`;
      if (locked.length === 0) return null;
      const schedule = await tx.syncSchedule.findUniqueOrThrow({ where: { id } });
      const data = change(schedule);
      if (Object.keys(data).length === 0) return schedule;
      const updated = await tx.syncSchedule.update({ where: { id }, data });
      await announceChange(tx);
      return updated;
    }, JOB_TRANSACTION_OPTIONS);
  }
}
