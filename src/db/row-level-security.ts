// The second wall of tenant isolation: PostgreSQL row-level security (the policies are in
// prisma/migrations/20261130040000_row_level_security). The first wall, tenant-scope.ts,
// narrows every query in the application; this one holds even when that filter is bypassed.
//
// How a query reaches the database with it on: the client made by withRowLevelSecurity runs
// every model operation and raw query in its own batch transaction (Prisma's RLS pattern)
// whose first statement is
//   SELECT set_config('role', 'testapp_tenant', true), set_config('app.customer_id', $1, true)
// i.e. SET LOCAL ROLE + a transaction-local setting: both end with the transaction, so a
// pooled connection never carries a tenant (or the role) to the next customer. Without a
// customer the setting is '' and the policies match no row. Interactive transactions get the
// same statement from the driver adapter wrapper below as they begin (the tenant travels
// there in an AsyncLocalStorage). Cost: one more statement, BEGIN and COMMIT per query.
import { AsyncLocalStorage } from "node:async_hooks";
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from "@prisma/driver-adapter-utils";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";

/** The role the policies restrict: NOLOGIN, owns nothing, not a superuser. */
export const TENANT_ROLE = "testapp_tenant";

export class RowLevelSecurityError extends Error {}

type TenantContext = {
  /** '' when the request has no tenant: the policies then match nothing. */
  customerId: string;
  /** Set while an interactive transaction's callback runs (its queries are inside it). */
  inTransaction: boolean;
};

const currentTenant = new AsyncLocalStorage<TenantContext>();

// set_config('role', …, true) is SET LOCAL ROLE in a form that fits one statement with the
// tenant; $1 is the customer id (bound, never spliced in).
const ENTER_TENANT_SQL = `SELECT set_config('role', '${TENANT_ROLE}', true), set_config('app.customer_id', $1, true)`;

function enterTenantStatement(customerId: string): SqlQuery {
  return { sql: ENTER_TENANT_SQL, args: [customerId], argTypes: [{ scalarType: "string", arity: "scalar" }] };
}

function tenantAwareAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return new Proxy(adapter, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "startTransaction") {
        return async (...args: unknown[]) => {
          const tenant = currentTenant.getStore();
          const tx = (await value.apply(object, args)) as Transaction;
          if (!tenant) return tx;
          try {
            await tx.executeRaw(enterTenantStatement(tenant.customerId));
          } catch (error) {
            await tx.rollback().catch(() => {});
            throw error;
          }
          return tx;
        };
      }
      if (property === "queryRaw" || property === "executeRaw") {
        // Fail closed: a tenant query that escaped its transaction would run as the owner.
        return (...args: unknown[]) => {
          if (currentTenant.getStore()) {
            return Promise.reject(new RowLevelSecurityError("a tenant query ran outside its transaction"));
          }
          return value.apply(object, args);
        };
      }
      return value.bind(object);
    },
  });
}

/** Wraps a Prisma driver adapter so that transactions begun for a tenant enter its role first. */
export function withTenantTransactions<F extends SqlDriverAdapterFactory>(factory: F): F {
  return new Proxy(factory, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property === "connect" && typeof value === "function") {
        return async () => tenantAwareAdapter((await value.apply(object)) as SqlDriverAdapter);
      }
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

/**
 * A client whose every query runs under the row-level security policies of `customerId`
 * (undefined: of no customer, so it sees nothing). It does not narrow queries itself: on
 * its own it is the wall the test proves holds alone; tenant-scope.ts stacks its filter on it.
 */
export function withRowLevelSecurity(prisma: PrismaClient, customerId: string | undefined) {
  const tenant: TenantContext = { customerId: customerId ?? "", inTransaction: false };
  const enter = () => prisma.$executeRawUnsafe(ENTER_TENANT_SQL, tenant.customerId);
  /** One query in a batch transaction led by the statement that enters the tenant's role. */
  const inTenantTransaction = async <T>(query: Prisma.PrismaPromise<T>): Promise<T> =>
    (await prisma.$transaction([enter(), query]))[1] as T;
  // Prisma's own $transaction, called on the extended client so that `tx` keeps its extensions.
  const nativeTransaction = prisma.$transaction as (...args: unknown[]) => Promise<unknown>;
  return prisma.$extends({
    name: "row-level-security",
    query: {
      $allModels: {
        $allOperations({ args, query }) {
          // Inside an interactive transaction the role was entered when it began.
          if (currentTenant.getStore()?.inTransaction) return query(args);
          return inTenantTransaction(query(args) as Prisma.PrismaPromise<unknown>);
        },
      },
    },
    client: {
      $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T> {
        refuseInsideInteractiveTransaction();
        return inTenantTransaction(prisma.$queryRaw<T>(query, ...values));
      },
      $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number> {
        refuseInsideInteractiveTransaction();
        return inTenantTransaction(prisma.$executeRaw(query, ...values));
      },
      $queryRawUnsafe: refuseUnsafe,
      $executeRawUnsafe: refuseUnsafe,
      /**
       * Interactive transactions: the adapter wrapper enters the role as the transaction begins
       * (a statement Prisma's callback API leaves no room for), and the callback's queries,
       * marked as inside it, run there as they are.
       */
      $transaction: function (this: unknown, ...args: unknown[]) {
        if (Array.isArray(args[0])) {
          return nativeTransaction.call(this, [enter(), ...args[0]], ...args.slice(1)).then((results) =>
            (results as unknown[]).slice(1),
          );
        }
        const [work, options] = args as [(tx: unknown) => Promise<unknown>, unknown];
        return currentTenant.run(tenant, () =>
          nativeTransaction.call(
            this,
            (tx: unknown) => currentTenant.run({ ...tenant, inTransaction: true }, () => work(tx)),
            options,
          ),
        );
      } as PrismaClient["$transaction"],
    },
  });
}

/** Raw SQL here would run outside the transaction (and wait on its connection): refuse it. */
function refuseInsideInteractiveTransaction(): void {
  if (currentTenant.getStore()?.inTransaction) {
    throw new RowLevelSecurityError("raw SQL inside an interactive transaction is not supported under row-level security");
  }
}

function refuseUnsafe(..._args: unknown[]): never {
  throw new RowLevelSecurityError("unsafe raw SQL is not allowed under row-level security");
}

export type RowLevelSecurityClient = ReturnType<typeof withRowLevelSecurity>;
