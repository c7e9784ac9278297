// Users and customers by id. The viewer's own user and customer come primed from
// authentication, so `viewer { … }` costs no statement.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { createByIdLoader, type LoaderOptions } from "./by-id-loader.js";

export function createAccountLoaders(db: TenantScopedClient, options: LoaderOptions) {
  return {
    userById: createByIdLoader((ids) => db.user.findMany({ where: { id: { in: ids } } }), options),
    customerById: createByIdLoader(
      (ids) => db.customer.findMany({ where: { id: { in: ids } } }),
      options,
    ),
  };
}
