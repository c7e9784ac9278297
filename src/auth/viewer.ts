// Who is asking: an enabled user and the customer it belongs to. Its own module so that
// authentication and the cache of verified users both depend on it, not on each other.
import type { Customer, User } from "../generated/prisma/client.js";
import type { TenantScopedClient } from "../db/tenant-scope.js";

export type Viewer = { user: User; customer: Customer };

/**
 * What a write service needs of the request that calls it: who asks, and the client narrowed to
 * their customer (src/db/tenant-scope.ts). A request's context is one.
 */
export type Caller = { viewer: Viewer | null; tenantDb: TenantScopedClient };
