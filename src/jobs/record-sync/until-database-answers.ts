// While the database cannot be reached, a running sync waits for it instead of failing its
// attempt. A failed attempt could not even be recorded (settling it, and pg-boss's fail(), need
// that same database): the job would stay active in pg-boss until its heartbeat lapsed and then
// be retried as a new attempt, so every outage would cost the job one of its JOB_MAX_ATTEMPTS.
// Waiting costs nothing: pg-boss's heartbeat only reports a refresh that fails (it aborts
// nothing) and refreshes again once the database answers, and its supervisor (which fails jobs
// whose heartbeat lapsed) needs the database too. So the job stays this attempt's as long as
// the outage, plus up to one refresh interval (lease/4) on either side, is shorter than its
// lease (JOB_LEASE_SECONDS). Past the lease pg-boss retries the job anyway, so the attempt gives
// up then, as it did before; also when pg-boss aborts the attempt or the worker is stopping.
// Should the lease lapse a little earlier, the lease token still fences every write
// (job-lease.ts): the next attempt's claim makes this one step aside.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { isDatabaseUnavailable } from "../../db/database-faults.js";

export type DatabaseWait = {
  /** How long, from the first failure, one step may wait for the database: the job's lease. */
  maxWaitMs: number;
  /** The attempt's signal: aborted when its claim on the job is gone. */
  signal: AbortSignal;
  isStopping: () => boolean;
  log: Logger;
};

// Soon enough to notice a short blip, rare enough not to spin on a long one.
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 2_000;

/**
 * Runs `step` again and again while it fails because the database is unavailable, with a
 * bounded backoff; returns its result once it gets through. `step` is told whether an earlier
 * try failed that way, because that failure may have come after a COMMIT took effect (the
 * connection dropped before the answer arrived). Any other error is thrown at once; the last
 * "unavailable" error is thrown once waiting is over.
 */
export async function untilDatabaseAnswers<T>(wait: DatabaseWait, step: (afterOutage: boolean) => Promise<T>): Promise<T> {
  let pausedAt: number | null = null;
  let delayMs = FIRST_DELAY_MS;
  for (;;) {
    try {
      const result = await step(pausedAt !== null);
      if (pausedAt !== null) wait.log.info({ pausedMs: Date.now() - pausedAt }, "database answers again; record sync resumed");
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      if (pausedAt === null) {
        pausedAt = Date.now();
        wait.log.warn({ err: error, maxWaitMs: wait.maxWaitMs }, "database unavailable; record sync paused");
      }
      const leftMs = pausedAt + wait.maxWaitMs - Date.now();
      if (leftMs <= 0 || wait.signal.aborted || wait.isStopping()) throw givingUp(wait, pausedAt, error);
      // An abort ends the sleep early.
      await sleep(Math.min(delayMs, leftMs), undefined, { signal: wait.signal }).catch(() => {});
      if (wait.signal.aborted || wait.isStopping()) throw givingUp(wait, pausedAt, error);
      delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
    }
  }
}

function givingUp(wait: DatabaseWait, pausedAt: number, error: unknown): unknown {
  const reason = wait.signal.aborted ? "attempt aborted" : wait.isStopping() ? "worker stopping" : "lease would lapse";
  wait.log.warn({ pausedMs: Date.now() - pausedAt, reason }, "database still unavailable; record sync gives up this attempt");
  return error;
}
