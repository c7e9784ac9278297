// Paces pg-boss's supervision pass (lapsed heartbeats, expired attempts, retention; the queue runs
// with supervise: false). A pass is ~11 statements: every SUPERVISION seconds, as the lease needs,
// only while some job is active; every JOB_IDLE_SUPERVISE_INTERVAL_SECONDS while none is. After
// each pass one indexed statement asks whether any job is active, and a job update heard from any
// process (job_updated notifications) brings the next pass forward at once. So a worker killed
// mid-job is noticed within the lease plus a few seconds by whichever worker process is alive,
// and an idle database is not asked the same questions every three seconds.
// The same statement finds the next job that becomes runnable by time alone (a retry after its
// delay, a job sent to start later): no notification announces those, so the workers of this
// process are woken when it is due (or at once for a ready job a lost notification left behind).
import type { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";

export type JobSupervision = {
  /** Some job may have become active (heard from another process, or sent here). */
  noteActivity(): void;
  stop(): Promise<void>;
};

export function startJobSupervision(options: {
  boss: PgBoss;
  prisma: PrismaClient;
  queueSchema: string;
  activeIntervalSeconds: number;
  idleIntervalSeconds: number;
  /** Makes this process's idle workers fetch now. */
  wakeWorkers: () => void;
  logger: Logger;
}): JobSupervision {
  const { boss, prisma, logger } = options;
  let timer: NodeJS.Timeout | null = null;
  let wakeTimer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let active = true; // until the first pass has looked
  let heardActivity = false;

  const schedule = (seconds: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void pass(), seconds * 1000);
    timer.unref();
  };

  async function pass(): Promise<void> {
    if (running || stopped) return;
    timer = null;
    heardActivity = false;
    running = (async () => {
      try {
        await boss.supervise();
        const state = await queueState(prisma, options.queueSchema);
        active = heardActivity || state.active;
        if (wakeTimer) clearTimeout(wakeTimer);
        wakeTimer = null;
        if (state.nextDueInSeconds !== null) {
          wakeTimer = setTimeout(options.wakeWorkers, Math.max(0, state.nextDueInSeconds * 1000));
          wakeTimer.unref();
        }
      } catch (error) {
        logger.error({ err: error }, "job supervision pass failed");
      }
    })();
    await running;
    running = null;
    schedule(active ? options.activeIntervalSeconds : options.idleIntervalSeconds);
  }

  schedule(options.activeIntervalSeconds);
  return {
    noteActivity() {
      heardActivity = true;
      if (active || running) return;
      active = true;
      schedule(options.activeIntervalSeconds);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (wakeTimer) clearTimeout(wakeTimer);
      await running;
    },
  };
}

/** Whether any job is active, and in how many seconds the next waiting one may run (≤ 0: now). */
async function queueState(
  prisma: PrismaClient,
  queueSchema: string,
): Promise<{ active: boolean; nextDueInSeconds: number | null }> {
  // queueSchema is checked by the configuration (lower-case letters, digits, _).
  const job = Prisma.raw(`"${queueSchema}".job`);
  const rows = await prisma.$queryRaw<Array<{ active: boolean; next_due_in_seconds: number | null }>>`
    SELECT bool_or(state = 'active') IS TRUE AS active,
           EXTRACT(EPOCH FROM min(start_after) FILTER (WHERE state < 'active' AND NOT blocked) - now())::float8
             AS next_due_in_seconds
      FROM ${job} WHERE state IN ('created', 'retry', 'active')`;
  return { active: rows[0]?.active ?? false, nextDueInSeconds: rows[0]?.next_due_in_seconds ?? null };
}
