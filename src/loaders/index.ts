// Fresh loaders for each request: their caches live exactly as long as the request and
// are keyed within one tenant (they read through the request's tenant-scoped client).
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { createAccountLoaders } from "./accounts.js";
import { createAttachmentLoaders } from "./attachments.js";
import type { LoaderOptions } from "./by-id-loader.js";
import { createJobLoaders } from "./jobs.js";
import { createRecordLoaders } from "./records.js";
import { createSyncScheduleLoaders } from "./sync-schedules.js";

export function createLoaders(db: TenantScopedClient, options: LoaderOptions) {
  return {
    ...createAccountLoaders(db, options),
    ...createRecordLoaders(db, options),
    ...createAttachmentLoaders(db, options),
    ...createJobLoaders(db, options),
    ...createSyncScheduleLoaders(db, options),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
