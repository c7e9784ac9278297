// Records by id (node lookups, Attachment.record). Pages prime it, so a record already
// on the page costs nothing more.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { createByIdLoader, type LoaderOptions } from "./by-id-loader.js";

export function createRecordLoaders(db: TenantScopedClient, options: LoaderOptions) {
  return {
    recordById: createByIdLoader((ids) => db.record.findMany({ where: { id: { in: ids } } }), options),
  };
}
