// Turns due sync schedules into jobs. Runs in every worker process; any number may run at once.
// Each due schedule is taken in its own transaction with its row locked (FOR UPDATE SKIP LOCKED:
// another dispatcher takes the next one instead of waiting), and the job it starts is unique per
// (schedule, due time) in the database, so a due run starts once however many dispatchers see it.
// If the schedule's previous run is still queued or running, the due run is skipped and counted
// instead of queueing a second sync behind the first. Runs missed while no dispatcher ran are
// not made up one by one: the latest due time starts one run, and the next is timed from now.
//
// Between runs the dispatcher sleeps until the earliest due time (or IDLE_RECHECK_MS at most),
// and a schedule created, resumed or paused anywhere wakes it at once (NOTIFY
// sync_schedules_changed), so it costs no statements while nothing is due.
import type { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import type { Config } from "../../config.js";
import type { Notifications } from "../../db/notifications.js";
import type { CollectionJob, JobStatus, PrismaClient } from "../../generated/prisma/client.js";
import { enqueueRecordSync } from "../enqueue-record-sync.js";
import { JOB_TRANSACTION_OPTIONS } from "../job-lease.js";
import { isFinalStatus } from "../job-status.js";
import { nextOccurrence } from "./cron.js";
import { SCHEDULES_CHANGED_CHANNEL } from "./schedule-service.js";

/** The longest the dispatcher sleeps without looking (a lost notification costs at most this). */
const IDLE_RECHECK_MS = 60_000;
/** Due schedules handled in one go before the timer is set again. */
const MAX_RUNS_PER_PASS = 100;

export type ScheduledRun =
  | { scheduleId: string; dueAt: Date; outcome: "started"; job: CollectionJob }
  | { scheduleId: string; dueAt: Date; outcome: "skipped"; previousJobId: string };

type DueSchedule = {
  id: string;
  customerId: string;
  sourceUrl: string;
  cron: string;
  timeZone: string;
  nextRunAt: Date;
  lastJobId: string | null;
};

export class ScheduleDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private passing: Promise<unknown> | null = null;
  private again = false;
  private stopped = false;
  private stopListening: (() => Promise<void>) | null = null;

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      boss: () => Promise<PgBoss>;
      config: Config;
      logger: Logger;
      /** The clock due times are compared with (tests move it). */
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Starts every schedule due by now; what each due schedule became. */
  async runDue(): Promise<ScheduledRun[]> {
    const runs: ScheduledRun[] = [];
    for (let i = 0; i < MAX_RUNS_PER_PASS; i++) {
      const run = await this.runOneDue(this.now());
      if (!run) break;
      runs.push(run);
    }
    return runs;
  }

  private async runOneDue(now: Date): Promise<ScheduledRun | null> {
    const boss = await this.deps.boss();
    return this.deps.prisma.$transaction(async (tx) => {
      const [schedule] = await tx.$queryRaw<DueSchedule[]>`
        SELECT id, "customerId", "sourceUrl", cron, "timeZone", "nextRunAt", "lastJobId"
          FROM "SyncSchedule"
         WHERE NOT paused AND "nextRunAt" <= ${now}
         ORDER BY "nextRunAt"
         LIMIT 1
           FOR UPDATE SKIP LOCKED`;
      if (!schedule) return null;
      const dueAt = schedule.nextRunAt;
      const later = dueAt > now ? dueAt : now;
      const nextRunAt = nextOccurrence(schedule.cron, schedule.timeZone, later);
      const previous = schedule.lastJobId
        ? await tx.collectionJob.findUnique({ where: { id: schedule.lastJobId }, select: { status: true } })
        : null;
      if (previous && isStillGoing(previous.status)) {
        await tx.syncSchedule.update({
          where: { id: schedule.id },
          data: { nextRunAt, skippedRuns: { increment: 1 }, lastSkippedAt: dueAt },
        });
        return { scheduleId: schedule.id, dueAt, outcome: "skipped" as const, previousJobId: schedule.lastJobId! };
      }
      const job = await enqueueRecordSync(tx, boss, this.deps.config, {
        customerId: schedule.customerId,
        sourceUrl: schedule.sourceUrl,
        idempotencyKey: null,
        createdById: null,
        scheduleId: schedule.id,
        scheduledFor: dueAt,
      });
      await tx.syncSchedule.update({ where: { id: schedule.id }, data: { nextRunAt, lastRunAt: dueAt, lastJobId: job.id } });
      return { scheduleId: schedule.id, dueAt, outcome: "started" as const, job };
    }, JOB_TRANSACTION_OPTIONS);
  }

  /** Runs due schedules now and then at each due time, until stop(). */
  async start(notifications: Notifications): Promise<void> {
    this.stopListening = await notifications.listen(SCHEDULES_CHANGED_CHANNEL, () => this.wake());
    this.wake();
  }

  /** Looks again at once (a schedule changed); a pass already running looks again after it. */
  wake(): void {
    if (this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.passing = this.pass().finally(() => {
      this.passing = null;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async pass(): Promise<void> {
    let delayMs = IDLE_RECHECK_MS;
    try {
      // One statement while nothing is due; the transactions only when something is.
      let nextRunAt = await this.earliestDueTime();
      if (nextRunAt && nextRunAt <= this.now()) {
        const runs = await this.runDue();
        for (const run of runs) this.deps.logger.info({ scheduleId: run.scheduleId, dueAt: run.dueAt, outcome: run.outcome }, "scheduled sync");
        nextRunAt = await this.earliestDueTime();
      }
      if (nextRunAt) delayMs = Math.min(IDLE_RECHECK_MS, Math.max(0, nextRunAt.getTime() - this.now().getTime()));
    } catch (error) {
      this.deps.logger.error({ err: error }, "schedule dispatch failed; trying again later");
      delayMs = 5_000;
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => this.wake(), delayMs);
    this.timer.unref();
  }

  private async earliestDueTime(): Promise<Date | null> {
    const next = await this.deps.prisma.syncSchedule.aggregate({ where: { paused: false }, _min: { nextRunAt: true } });
    return next._min.nextRunAt;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.passing?.catch(() => {});
    await this.stopListening?.();
  }
}

function isStillGoing(status: JobStatus): boolean {
  return !isFinalStatus(status);
}
