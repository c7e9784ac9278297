// THE place where tenant isolation is enforced. Request code only ever gets a client made
// here: every read and write of a tenant-owned model is narrowed to one customer, and any
// query without a tenant throws instead of running (fail closed). Raw SQL is refused on the
// scoped client except through $queryTenant, which must bind the tenant id.
//
// The database adds a second wall: composite foreign keys (customerId, id) make it
// impossible for one customer's row to reference another's.
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { withRowLevelSecurity } from "./row-level-security.js";
import { BoundedMap } from "../bounded-map.js";
import { isUuid } from "../uuid.js";

/** Models whose rows belong to one customer through their customerId column. */
const tenantOwnedModels = new Set<string>([
  "User",
  "Record",
  "Attachment",
  "CollectionJob",
  "SyncSchedule",
  // The dashboard statistics' rollups (written by database triggers, read by recordStats).
  "RecordStatsByCategory",
  "RecordStatsByMonth",
  "AttachmentStats",
  "JobStatsByMonth",
]);

const operationsWithWhere = new Set([
  "findUnique",
  "findUniqueOrThrow",
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "update",
  "updateMany",
  "updateManyAndReturn",
  "upsert",
  "delete",
  "deleteMany",
  "count",
  "aggregate",
  "groupBy",
]);
const operationsWithCreateData = new Set(["create", "createMany", "createManyAndReturn"]);
const operationsWithUpdateData = new Set(["update", "updateMany", "updateManyAndReturn"]);

export class TenantScopeError extends Error {}


type Args = { where?: Record<string, unknown>; data?: unknown; create?: unknown; update?: unknown };

function narrowWhere(where: Record<string, unknown> | undefined, filter: Record<string, unknown>) {
  // Spreading keeps a unique selector at the top level (findUnique, update, delete).
  const and = where?.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
  return { ...where, AND: [...and, filter] };
}

function stampCustomer(data: unknown, customerId: string, model: string): unknown {
  if (Array.isArray(data)) return data.map((item) => stampCustomer(item, customerId, model));
  const row = data as Record<string, unknown>;
  if (row.customerId !== undefined && row.customerId !== customerId) {
    throw new TenantScopeError(`${model}: refusing to write a row of another customer`);
  }
  return { ...row, customerId };
}

function refuseCustomerChange(data: unknown, customerId: string, model: string): void {
  const row = data as Record<string, unknown> | undefined;
  if (row?.customerId !== undefined && row.customerId !== customerId) {
    throw new TenantScopeError(`${model}: refusing to move a row to another customer`);
  }
}

/** Applies the tenant to one model operation's arguments. Exported for its tests. */
export function scopeArguments(model: string, operation: string, args: Args, customerId: string): Args {
  if (model === "Customer") {
    if (!operationsWithWhere.has(operation) || operation === "upsert") {
      throw new TenantScopeError(`Customer.${operation} is not allowed on a tenant-scoped client`);
    }
    return { ...args, where: narrowWhere(args.where, { id: customerId }) };
  }
  if (!tenantOwnedModels.has(model)) {
    throw new TenantScopeError(`${model} is not known to the tenant scope; add it to tenant-scope.ts`);
  }
  const scoped: Args = { ...args };
  if (operationsWithWhere.has(operation)) scoped.where = narrowWhere(args.where, { customerId });
  if (operationsWithCreateData.has(operation)) scoped.data = stampCustomer(args.data, customerId, model);
  if (operationsWithUpdateData.has(operation)) refuseCustomerChange(args.data, customerId, model);
  if (operation === "upsert") {
    scoped.create = stampCustomer(args.create, customerId, model);
    refuseCustomerChange(args.update, customerId, model);
  }
  return scoped;
}

function refuseRawSql(..._args: unknown[]): never {
  throw new TenantScopeError("raw SQL is not allowed on a tenant-scoped client; use $queryTenant");
}

/**
 * A Prisma client that can only see and change the rows of `customerId`.
 * `customerId` undefined gives a client whose every query throws (unauthenticated requests).
 */
export function createTenantScopedClient(
  unscoped: PrismaClient,
  customerId: string | undefined,
  /** rowLevelSecurity: every query also runs under the database's policies (ROW_LEVEL_SECURITY). */
  options: { rowLevelSecurity?: boolean } = {},
) {
  // Two walls: this filter, stacked on row-level security when it is on (row-level-security.ts).
  const prisma = options.rowLevelSecurity
    ? (withRowLevelSecurity(unscoped, customerId) as unknown as PrismaClient)
    : unscoped;
  const requireTenant = (): string => {
    if (!isUuid(customerId)) {
      throw new TenantScopeError("a tenant query ran without a tenant");
    }
    return customerId;
  };
  return prisma.$extends({
    name: "tenant-scope",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          const tenant = requireTenant();
          return query(scopeArguments(model, operation, (args ?? {}) as Args, tenant) as typeof args);
        },
      },
    },
    client: {
      $queryRaw: refuseRawSql,
      $executeRaw: refuseRawSql,
      $queryRawUnsafe: refuseRawSql,
      $executeRawUnsafe: refuseRawSql,
      /**
       * Raw SQL for the few statements the ORM cannot express in one round trip.
       * `build` receives the tenant id and must bind it; SQL that does not is refused.
       */
      async $queryTenant<Row>(build: (customerId: string) => Prisma.Sql): Promise<Row[]> {
        const tenant = requireTenant();
        const sql = build(tenant);
        if (!sql.values.includes(tenant)) {
          throw new TenantScopeError("tenant SQL must bind the tenant id");
        }
        return prisma.$queryRaw<Row[]>(sql);
      },
    },
  });
}

export type TenantScopedClient = ReturnType<typeof createTenantScopedClient>;

/**
 * Scoped clients are built once per customer and reused: `$extends` is cheap but not free,
 * and the hot path runs it on every request otherwise. Bounded, oldest dropped first.
 */
export function createTenantClientCache(
  prisma: PrismaClient,
  options: { rowLevelSecurity?: boolean } = {},
  maxCustomers = 1000,
) {
  const clients = new BoundedMap<string, TenantScopedClient>(maxCustomers);
  const unauthenticated = createTenantScopedClient(prisma, undefined, options);
  return (customerId: string | undefined): TenantScopedClient => {
    if (!customerId) return unauthenticated;
    let client = clients.get(customerId);
    if (!client) {
      client = createTenantScopedClient(prisma, customerId, options);
      clients.set(customerId, client);
    }
    return client;
  };
}
