// Sync jobs change records outside any API request, often in another process (npm run
// worker). After each committed page the worker announces the change with NOTIFY, and
// every API instance listening on the database drops the affected cached responses.
// Job statuses change the same way, outside requests: the database itself announces changed
// job counts (record_stats_changed, sent by the statistics triggers of migration
// 20261201230000_record_stats), and the customer's cached statistics are dropped.
import type { Logger } from "pino";
import type { Database } from "../db/database.js";
import type { Notifications } from "../db/notifications.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import type { ResponseCache } from "./response-cache.js";

const CHANNEL = "records_changed";
const STATS_CHANNEL = "record_stats_changed";
// NOTIFY payloads stop at 8000 bytes; past this many ids the whole customer is dropped.
const MAX_IDS_PER_NOTICE = 100;

type Notice = { customerId: string; recordIds: string[] | null };

export async function announceRecordsChanged(
  prisma: PrismaClient,
  customerId: string,
  recordIds: string[],
): Promise<void> {
  const notice: Notice = { customerId, recordIds: recordIds.length <= MAX_IDS_PER_NOTICE ? recordIds : null };
  await prisma.$executeRaw`SELECT pg_notify(${CHANNEL}, ${JSON.stringify(notice)})`;
}

/**
 * Writers outside GraphQL mutations that change data in bulk (db:seed, migrations): every API
 * instance drops everything it cached for these customers ("all": every customer). One
 * statement, one notice per customer, delivered at commit.
 */
export async function announceCustomersChanged(prisma: PrismaClient, customerIds: readonly string[] | "all"): Promise<void> {
  if (customerIds === "all") {
    await prisma.$executeRaw`
      SELECT count(pg_notify(${CHANNEL}, json_build_object('customerId', id, 'recordIds', null)::text)) FROM "Customer"`;
    return;
  }
  if (customerIds.length === 0) return;
  await prisma.$executeRaw`
    SELECT count(pg_notify(${CHANNEL}, json_build_object('customerId', id, 'recordIds', null)::text))
    FROM "Customer" WHERE id = ANY(${[...customerIds]}::uuid[])`;
}

/** The worker's hook: announce through the same database the API instances listen on. */
export const recordChangeAnnouncer = (database: Database) => (customerId: string, recordIds: string[]) =>
  announceRecordsChanged(database.prisma, customerId, recordIds);

export async function followRecordChanges(
  notifications: Notifications,
  responseCache: ResponseCache,
  logger: Logger,
): Promise<() => Promise<void>> {
  const stopStats = await notifications.listen(STATS_CHANNEL, (customerId) => {
    responseCache
      .statsChanged(customerId)
      .catch((error: unknown) => logger.error({ err: error }, "could not evict changed statistics"));
  });
  const stopRecords = await notifications.listen(CHANNEL, (payload) => {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return logger.warn({ payload }, "ignoring a malformed records_changed notice");
    }
    const eviction = notice.recordIds
      ? responseCache.recordsChanged(notice.customerId, notice.recordIds)
      : responseCache.customerChanged(notice.customerId);
    eviction.catch((error: unknown) => logger.error({ err: error }, "could not evict changed records"));
  });
  return async () => {
    await stopRecords();
    await stopStats();
  };
}

export type RecordChangeFollower = { stop(): Promise<void> };

/** Listens while the response cache is on; a failure to listen is logged, and TTLs still bound staleness. */
export function startFollowingRecordChanges(options: {
  database: Database;
  url: string | undefined;
  responseCache: ResponseCache;
  logger: Logger;
  createNotifications: (database: Database, url?: string) => Notifications;
}): RecordChangeFollower {
  if (!options.responseCache.enabled) return { stop: async () => {} };
  const notifications = options.createNotifications(options.database, options.url);
  followRecordChanges(notifications, options.responseCache, options.logger).catch((error: unknown) =>
    options.logger.error({ err: error }, "cannot listen for record changes; cached lists expire by TTL only"),
  );
  return { stop: () => notifications.close() };
}
