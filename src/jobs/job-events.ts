// Job updates as PostgreSQL notifications. Every change of a job's status or progress is
// written in a transaction that also sends its snapshot with pg_notify, so followers learn
// of it only once it is committed, in commit order, in every process on the database
// (PGlite: in this process). The snapshot travels whole so no intermediate state is lost.
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { createNotifications, type Notifications } from "../db/notifications.js";
import type { CollectionJob, Prisma } from "../generated/prisma/client.js";
import { postgresUrlOf } from "../db/connection-url.js";

const CHANNEL = "job_updated";

/** What a follower sees of a job: the row without its worker-only columns. */
export type JobSnapshot = Omit<CollectionJob, "checkpoint" | "leaseToken" | "idempotencyKey" | "sourceUrl">;

type NotifyingClient = Pick<Prisma.TransactionClient, "$executeRaw">;

export async function publishJobUpdate(tx: NotifyingClient, job: CollectionJob): Promise<void> {
  const { checkpoint: _c, leaseToken: _l, idempotencyKey: _i, sourceUrl: _s, ...snapshot } = job;
  await tx.$executeRaw`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(snapshot)})`;
}

function parseSnapshot(payload: string): JobSnapshot | null {
  try {
    const raw = JSON.parse(payload) as Record<string, unknown>;
    const date = (value: unknown) => (typeof value === "string" ? new Date(value) : null);
    return {
      ...(raw as unknown as JobSnapshot),
      createdAt: date(raw.createdAt)!,
      updatedAt: date(raw.updatedAt)!,
      startedAt: date(raw.startedAt),
      finishedAt: date(raw.finishedAt),
      scheduledFor: date(raw.scheduledFor),
    };
  } catch {
    return null;
  }
}

const newer = (current: JobSnapshot | null, next: JobSnapshot) =>
  !current || next.updatedAt.getTime() >= current.updatedAt.getTime() ? next : current;

/** A job someone in this process follows: its latest snapshot, kept current by notifications. */
type FollowedJob = {
  latest: JobSnapshot | null;
  /** The first read of the row, shared by followers that arrive while it runs. */
  loading: Promise<JobSnapshot | null> | null;
  followers: Set<(snapshot: JobSnapshot) => void>;
};

export type Following = {
  /** The job now, or null when it is not the customer's (or does not exist). */
  current: JobSnapshot | null;
  stop: () => void;
};

/**
 * One LISTEN per process, fanned out to the followers of each job id. While a job has
 * followers its latest snapshot is held here, so another follower of it starts without SQL and
 * a follower costs nothing until the job changes: no polling. A notification lost while the
 * listening connection was down is made good by one re-read of the followed jobs on reconnect.
 */
export class JobEvents {
  private readonly jobs = new Map<string, FollowedJob>();
  private readonly watchers = new Set<(snapshot: JobSnapshot) => void>();
  private notifications: Notifications | null = null;
  private listening: Promise<unknown> | null = null;

  constructor(
    private readonly config: Config,
    private readonly database: Database,
  ) {}

  /**
   * Calls `onUpdate` for each committed change of the job from now on, and answers the job as
   * it is now: held here when the job is already followed, otherwise `read` (the caller's
   * tenant-scoped read of the row), which runs after listening started so no change falls in
   * between. A held snapshot is only answered to its own customer.
   */
  async follow(
    jobId: string,
    customerId: string,
    read: () => Promise<JobSnapshot | null>,
    onUpdate: (snapshot: JobSnapshot) => void,
  ): Promise<Following> {
    let job = this.jobs.get(jobId);
    if (!job) this.jobs.set(jobId, (job = { latest: null, loading: null, followers: new Set() }));
    const followed = job;
    followed.followers.add(onUpdate);
    const stop = () => {
      followed.followers.delete(onUpdate);
      if (followed.followers.size === 0 && this.jobs.get(jobId) === followed) this.jobs.delete(jobId);
    };
    try {
      await this.startListening();
      const held = followed.latest ?? (await followed.loading?.catch(() => null)) ?? null;
      if (held?.customerId === customerId) return { current: held, stop };
      // Not held, or read by another customer's request (which sees nothing of it): read it now.
      const loading = read().then((row) => (row ? (followed.latest = newer(followed.latest, row)) : null));
      followed.loading = loading;
      const current = await loading;
      return { current: current?.customerId === customerId ? current : null, stop };
    } catch (error) {
      stop();
      throw error;
    }
  }

  /** Jobs followed in this process (for tests and metrics). */
  get followedJobs(): number {
    return this.jobs.size;
  }

  /** Calls `onUpdate` for each committed change of any job (the worker's supervision pace). */
  async watchAll(onUpdate: (snapshot: JobSnapshot) => void): Promise<() => void> {
    this.watchers.add(onUpdate);
    await this.startListening();
    return () => this.watchers.delete(onUpdate);
  }

  private deliver(snapshot: JobSnapshot): void {
    for (const watcher of this.watchers) watcher(snapshot);
    const job = this.jobs.get(snapshot.id);
    if (!job) return;
    job.latest = newer(job.latest, snapshot);
    for (const follower of job.followers) follower(snapshot);
  }

  /** After the listening connection dropped: one statement for all followed jobs. */
  private async catchUp(): Promise<void> {
    const ids = [...this.jobs.keys()];
    if (ids.length === 0) return;
    const rows = await this.database.prisma.collectionJob.findMany({ where: { id: { in: ids } } });
    for (const row of rows) this.deliver(row);
  }

  private startListening(): Promise<unknown> {
    this.listening ??= (async () => {
      this.notifications = createNotifications(this.database, postgresUrlOf(this.config, this.database));
      this.notifications.onReconnect(() => {
        this.catchUp().catch(() => {
          // The database went away again; the next reconnect catches up.
        });
      });
      await this.notifications.listen(CHANNEL, (payload) => {
        const snapshot = parseSnapshot(payload);
        if (snapshot) this.deliver(snapshot);
      });
    })().catch((error: unknown) => {
      // Let the next follower try again rather than keep a failed listener forever.
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  async close(): Promise<void> {
    this.jobs.clear();
    this.watchers.clear();
    const notifications = this.notifications;
    this.notifications = null;
    this.listening = null;
    await notifications?.close();
  }
}
