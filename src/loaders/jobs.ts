// Collection jobs by id (node lookups, mutation payloads).
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { createByIdLoader, type LoaderOptions } from "./by-id-loader.js";

export function createJobLoaders(db: TenantScopedClient, options: LoaderOptions) {
  return {
    jobById: createByIdLoader((ids) => db.collectionJob.findMany({ where: { id: { in: ids } } }), options),
  };
}
