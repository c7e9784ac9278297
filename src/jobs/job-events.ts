// Job updates as PostgreSQL notifications. Every change of a job's status or progress is
// written in a transaction that also sends its snapshot with pg_notify, so followers learn
// of it only once it is committed, in commit order, in every process on the database
// (PGlite: in this process). The snapshot travels whole so no intermediate state is lost.
import type { Config } from "../config.js";
import type { Database } from "../db/database.js";
import { createNotifications, type Notifications } from "../db/notifications.js";
import type { CollectionJob, Prisma } from "../generated/prisma/client.js";
import { postgresUrlOf } from "./database-url.js";

const CHANNEL = "job_updated";

/** What a follower sees of a job: the row without its worker-only columns. */
export type JobSnapshot = Omit<CollectionJob, "checkpoint" | "leaseToken" | "idempotencyKey" | "sourceUrl">;

type Transaction = Pick<Prisma.TransactionClient, "$executeRaw">;

export async function publishJobUpdate(tx: Transaction, job: CollectionJob): Promise<void> {
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
    };
  } catch {
    return null;
  }
}

/** One LISTEN per process, fanned out to the followers of each job id. */
export class JobEvents {
  private readonly followers = new Map<string, Set<(snapshot: JobSnapshot) => void>>();
  private readonly watchers = new Set<(snapshot: JobSnapshot) => void>();
  private notifications: Notifications | null = null;
  private listening: Promise<unknown> | null = null;

  constructor(
    private readonly config: Config,
    private readonly database: Database,
  ) {}

  /** Calls `onUpdate` for each committed change of the job; the returned function stops it. */
  async follow(jobId: string, onUpdate: (snapshot: JobSnapshot) => void): Promise<() => void> {
    let set = this.followers.get(jobId);
    if (!set) this.followers.set(jobId, (set = new Set()));
    set.add(onUpdate);
    await this.startListening();
    return () => {
      set.delete(onUpdate);
      if (set.size === 0) this.followers.delete(jobId);
    };
  }

  /** Calls `onUpdate` for each committed change of any job (the worker's supervision pace). */
  async watchAll(onUpdate: (snapshot: JobSnapshot) => void): Promise<() => void> {
    this.watchers.add(onUpdate);
    await this.startListening();
    return () => this.watchers.delete(onUpdate);
  }

  private startListening(): Promise<unknown> {
    this.listening ??= (async () => {
      this.notifications = createNotifications(this.database, postgresUrlOf(this.config, this.database));
      await this.notifications.listen(CHANNEL, (payload) => {
        const snapshot = parseSnapshot(payload);
        if (!snapshot) return;
        for (const follower of this.followers.get(snapshot.id) ?? []) follower(snapshot);
        for (const watcher of this.watchers) watcher(snapshot);
      });
    })().catch((error: unknown) => {
      // Let the next follower try again rather than keep a failed listener forever.
      this.listening = null;
      throw error;
    });
    return this.listening;
  }

  async close(): Promise<void> {
    this.followers.clear();
    this.watchers.clear();
    const notifications = this.notifications;
    this.notifications = null;
    this.listening = null;
    await notifications?.close();
  }
}
