// Sync schedules by id (node lookups, mutation payloads).
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { createByIdLoader, type LoaderOptions } from "./by-id-loader.js";

export function createSyncScheduleLoaders(db: TenantScopedClient, options: LoaderOptions) {
  return {
    syncScheduleById: createByIdLoader((ids) => db.syncSchedule.findMany({ where: { id: { in: ids } } }), options),
  };
}
