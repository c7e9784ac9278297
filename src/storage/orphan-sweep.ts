// Removes stored files that no Attachment row points at: uploads whose row was never
// written (crash, failed insert) and files whose delete failed after their row was removed.
// Runs with the system (unscoped) client: it is housekeeping across all customers.
import type { Logger } from "pino";
import type { PrismaClient } from "../generated/prisma/client.js";
import { type FileStorage, isStorageKey } from "./file-storage.js";

const BATCH = 500;

export type SweepResult = { examined: number; deleted: number };

export type SweepOptions = {
  storage: FileStorage;
  prisma: PrismaClient;
  /** Files modified within this many seconds are left alone: their upload may still be finishing. */
  graceSeconds: number;
  now?: Date;
};

async function unreferenced(prisma: PrismaClient, keys: string[]): Promise<string[]> {
  // Grouped by customer (the key's prefix), so each lookup stays inside that customer's rows.
  const byCustomer = new Map<string, string[]>();
  for (const key of keys) {
    const customerId = key.slice(0, key.indexOf("/"));
    byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), key]);
  }
  const orphans: string[] = [];
  for (const [customerId, customerKeys] of byCustomer) {
    const rows = await prisma.attachment.findMany({
      where: { customerId, storageKey: { in: customerKeys } },
      select: { storageKey: true },
    });
    const referenced = new Set(rows.map((row) => row.storageKey));
    orphans.push(...customerKeys.filter((key) => !referenced.has(key)));
  }
  return orphans;
}

export async function sweepOrphanFiles(options: SweepOptions): Promise<SweepResult> {
  const cutoff = (options.now ?? new Date()).getTime() - options.graceSeconds * 1000;
  let examined = 0;
  let deleted = 0;
  let batch: string[] = [];
  const flush = async () => {
    const orphans = await unreferenced(options.prisma, batch);
    if (orphans.length > 0) await options.storage.delete(orphans);
    deleted += orphans.length;
    batch = [];
  };
  for await (const file of options.storage.list()) {
    // Objects this API did not write (a shared bucket) are never touched.
    if (!isStorageKey(file.key) || file.lastModified.getTime() > cutoff) continue;
    examined += 1;
    batch.push(file.key);
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return { examined, deleted };
}

/** Sweeps every `intervalSeconds`, one sweep at a time; stop() waits for a running one. */
export function startOrphanSweep(options: Omit<SweepOptions, "now"> & { intervalSeconds: number; logger: Logger }) {
  let running: Promise<void> | undefined;
  const sweep = () => {
    if (running) return;
    running = sweepOrphanFiles(options)
      .then((result) => {
        if (result.deleted > 0) options.logger.info(result, "removed orphaned files");
      })
      .catch((error) => options.logger.warn({ err: error }, "orphan file sweep failed"))
      .finally(() => (running = undefined));
  };
  const timer = options.intervalSeconds > 0 ? setInterval(sweep, options.intervalSeconds * 1000) : undefined;
  timer?.unref();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
