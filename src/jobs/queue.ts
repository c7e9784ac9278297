// The durable queue: pg-boss in the application's own database (PostgreSQL, or the embedded
// PGlite through pg-boss's pglite backend). Started lazily, once per process, by whoever needs
// it first: the API to enqueue and cancel, the worker to take jobs.
import { fromPglite, PgBoss, type ConstructorOptions, type SendOptions } from "pg-boss";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { postgresUrlOf } from "../db/connection-url.js";

export const RECORD_SYNC_QUEUE = "record-sync";
/** pg-boss moves a sync here when it gives up by itself (its workers kept dying). */
export const RECORD_SYNC_GAVE_UP_QUEUE = "record-sync-gave-up";
export const JOB_CLEANUP_QUEUE = "job-cleanup";
/** Every queue this application uses (the backlog metrics report each, 0 when empty). */
export const JOB_QUEUES = [RECORD_SYNC_QUEUE, RECORD_SYNC_GAVE_UP_QUEUE, JOB_CLEANUP_QUEUE] as const;

export type RecordSyncMessage = {
  jobId: string;
  customerId: string;
  /** A sync that yielded its worker slot to another customer's (record-sync/fair-turns.ts); not a new attempt. */
  nextTurn?: boolean;
};

// A lost worker is noticed within a few seconds of its heartbeat lapsing, not a minute later.
export const SUPERVISION_SECONDS = 3;
/** How often pg-boss's housekeeping that has nothing to do with running jobs runs. */
const IDLE_HOUSEKEEPING_SECONDS = 300;
// An attempt's total run time is not the lease (the heartbeat is); this only stops a runaway.
const ATTEMPT_LIMIT_SECONDS = 6 * 3600;

/** Retry and lease settings, copied onto each job when it is sent (pg-boss does the same). */
export function recordSyncSendOptions(config: Config): SendOptions {
  const { maxAttempts, retryDelaySeconds, leaseSeconds, retentionDays } = config.jobs;
  return {
    retryLimit: maxAttempts - 1,
    retryDelay: retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 300,
    heartbeatSeconds: leaseSeconds,
    expireInSeconds: ATTEMPT_LIMIT_SECONDS,
    deleteAfterSeconds: retentionDays * 86_400,
    deadLetter: RECORD_SYNC_GAVE_UP_QUEUE,
  };
}

export class JobQueue {
  private starting: Promise<PgBoss> | null = null;

  constructor(
    private readonly config: Config,
    private readonly database: Database,
    private readonly logger: Logger,
  ) {}

  started(): Promise<PgBoss> {
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = null;
      throw error;
    });
    return this.starting;
  }

  private connection(): ConstructorOptions {
    if (this.database.pglite) return { db: fromPglite(this.database.pglite), backend: "pglite" };
    const connectionString = postgresUrlOf(this.config, this.database);
    if (!connectionString) throw new Error("the job queue needs a PostgreSQL URL or an embedded database");
    return { connectionString, max: 4, application_name: "testapp-jobs" };
  }

  private async start(): Promise<PgBoss> {
    const boss = new PgBoss({
      ...this.connection(),
      schema: this.config.jobs.queueSchema,
      // Sending a job to a queue below NOTIFYs its workers (in the sending transaction, so only once
      // it commits), and they fetch at once; their polling is only a slow fallback
      // (JOB_IDLE_POLL_INTERVAL_SECONDS), or JOB_POLL_INTERVAL_SECONDS while the listener is down.
      useListenNotify: true,
      notifyHeartbeatIntervalMs: IDLE_HOUSEKEEPING_SECONDS * 1000,
      // Supervision (lapsed heartbeats, expiry, retention) is paced by the worker itself
      // (job-supervision.ts): every few seconds while jobs are active, rarely while none are.
      supervise: false,
      superviseIntervalSeconds: SUPERVISION_SECONDS,
      monitorIntervalSeconds: SUPERVISION_SECONDS,
      // The rest of pg-boss's idle housekeeping, as rarely as it allows: this application uses no
      // flows, and its queue settings change only when a process starts.
      queueCacheIntervalSeconds: IDLE_HOUSEKEEPING_SECONDS,
      flowIntervalSeconds: IDLE_HOUSEKEEPING_SECONDS,
      bamIntervalSeconds: IDLE_HOUSEKEEPING_SECONDS,
      instanceHeartbeatSeconds: IDLE_HOUSEKEEPING_SECONDS,
      // The hourly cleanup is a pg-boss schedule; its cron pass runs at the slowest rate allowed.
      cronWorkerIntervalSeconds: 45,
      cronMonitorIntervalSeconds: 45,
    });
    boss.on("error", (error) => this.logger.error({ err: error }, "job queue error"));
    await boss.start();
    const { heartbeatSeconds, deadLetter, ...settings } = recordSyncSendOptions(this.config);
    await boss.createQueue(RECORD_SYNC_GAVE_UP_QUEUE, { notify: true });
    await boss.createQueue(JOB_CLEANUP_QUEUE, { notify: true });
    // singleton + singletonKey = customer id: at most one active sync per customer.
    const recordSync = { heartbeatSeconds, deadLetter, notify: true, ...settings };
    await boss.createQueue(RECORD_SYNC_QUEUE, { policy: "singleton", ...recordSync });
    // createQueue leaves an existing queue as it was; bring its settings up to date.
    await boss.updateQueue(RECORD_SYNC_QUEUE, recordSync);
    await boss.updateQueue(RECORD_SYNC_GAVE_UP_QUEUE, { notify: true });
    await boss.updateQueue(JOB_CLEANUP_QUEUE, { notify: true });
    return boss;
  }

  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = null;
    const boss = await starting?.catch(() => null);
    await boss?.stop({ graceful: true, timeout: 30_000 });
  }
}
