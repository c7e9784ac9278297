// The second wall of tenant isolation: PostgreSQL row-level security (the policies are in
// prisma/migrations/20261130040000_row_level_security). The first wall, tenant-scope.ts,
// narrows every query in the application; this one holds even when that filter is bypassed.
//
// Every tenant statement runs inside a transaction whose first statement is
//   SELECT set_config('role', 'testapp_tenant', true), set_config('app.customer_id', $1, true)
// i.e. SET LOCAL ROLE + a transaction-local setting: both end with the transaction, so a
// pooled connection never carries a tenant (or the role) to the next customer. Without a
// customer the setting is '' and the policies match no row. Which transaction:
// - a GraphQL query's reads share ONE per request (runInReadSession, opened at its first read,
//   committed when execution ends): BEGIN, the statement above and COMMIT once per request;
// - anything else (writes, subscriptions, code outside a request) gets its own batch
//   transaction per query (Prisma's RLS pattern), and interactive transactions get the
//   statement from the driver adapter wrapper below as they begin (the tenant travels there
//   in an AsyncLocalStorage).
// The shared transaction is a Prisma interactive transaction, not an adapter-level trick:
// Prisma batches concurrent findUnique calls of different requests into one statement unless
// they belong to a transaction, so only a transaction of its own keeps a request's reads apart.
//
// This file is mechanism 3, the client: every query of a tenant-scoped client runs as the
// tenant. The other two: tenant-transactions.ts (the driver adapter wrapper) and
// read-sessions.ts (one held read transaction per request); tenant-role.ts is what they share.
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { isReplicaSafe } from "./read-replicas.js";
import { currentReadSession, readOperations, suspendReadSession } from "./read-sessions.js";
import { currentTenant, ENTER_TENANT_SQL, RowLevelSecurityError, type TenantContext } from "./tenant-role.js";

export { RowLevelSecurityError };

function delegateOf(tx: Prisma.TransactionClient, model: string): Record<string, (args: unknown) => Promise<unknown>> {
  const property = model.charAt(0).toLowerCase() + model.slice(1);
  return (tx as unknown as Record<string, Record<string, (args: unknown) => Promise<unknown>>>)[property]!;
}

function sqlTextOf(query: TemplateStringsArray | Prisma.Sql): string {
  return query instanceof Prisma.Sql ? query.sql : query.join("?");
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
  /** A read joins the request's read session when there is one; anything else ends it first. */
  const queryRawAsTenant = async <T>(query: TemplateStringsArray | Prisma.Sql, values: unknown[]): Promise<T> => {
    const session = currentReadSession();
    if (session && isReplicaSafe(sqlTextOf(query))) {
      return (await session.transactionFor(prisma, tenant)).$queryRaw<T>(query, ...values);
    }
    await session?.suspend();
    return inTenantTransaction(prisma.$queryRaw<T>(query, ...values));
  };
  // Prisma's own $transaction, called on the extended client so that `tx` keeps its extensions.
  const nativeTransaction = prisma.$transaction as (...args: unknown[]) => Promise<unknown>;
  return prisma.$extends({
    name: "row-level-security",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          // Inside an interactive transaction the role was entered when it began.
          if (currentTenant.getStore()?.inTransaction) return query(args);
          const session = currentReadSession();
          if (!session) return inTenantTransaction(query(args) as Prisma.PrismaPromise<unknown>);
          if (readOperations.has(operation)) {
            // The scoped arguments go straight to the held transaction's (unextended) client.
            return session.transactionFor(prisma, tenant).then((tx) => delegateOf(tx, model)[operation]!(args));
          }
          return session.suspend().then(() => inTenantTransaction(query(args) as Prisma.PrismaPromise<unknown>));
        },
      },
    },
    client: {
      $queryRaw<T = unknown>(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<T> {
        refuseInsideInteractiveTransaction();
        return queryRawAsTenant<T>(query, values);
      },
      $executeRaw(query: TemplateStringsArray | Prisma.Sql, ...values: unknown[]): Promise<number> {
        refuseInsideInteractiveTransaction();
        return suspendReadSession().then(() => inTenantTransaction(prisma.$executeRaw(query, ...values)));
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
        // It needs a connection of its own: the request's held read transaction goes first.
        return suspendReadSession().then(() => currentTenant.run(tenant, () =>
          nativeTransaction.call(
            this,
            (tx: unknown) => currentTenant.run({ ...tenant, inTransaction: true }, () => work(tx)),
            options,
          ),
        ));
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
