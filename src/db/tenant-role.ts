// The tenant role and the tenant of the current async context, shared by the three
// mechanisms of row-level security (row-level-security.ts says how they fit together).
import { AsyncLocalStorage } from "node:async_hooks";

/** The role the policies restrict: NOLOGIN, owns nothing, not a superuser. */
export const TENANT_ROLE = "testapp_tenant";

export class RowLevelSecurityError extends Error {}

export type TenantContext = {
  /** '' when the request has no tenant: the policies then match nothing. */
  customerId: string;
  /** Set while an interactive transaction's callback runs (its queries are inside it). */
  inTransaction: boolean;
};

export const currentTenant = new AsyncLocalStorage<TenantContext>();

// set_config('role', …, true) is SET LOCAL ROLE in a form that fits one statement with the
// tenant; $1 is the customer id (bound, never spliced in).
export const ENTER_TENANT_SQL = `SELECT set_config('role', '${TENANT_ROLE}', true), set_config('app.customer_id', $1, true)`;
