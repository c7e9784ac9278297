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
import { AsyncLocalStorage } from "node:async_hooks";
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";
import { isReplicaSafe } from "./read-replicas.js";

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

/** Model operations that only read: within a read session they share its transaction. */
const readOperations = new Set([
  "findUnique",
  "findUniqueOrThrow",
  "findFirst",
  "findFirstOrThrow",
  "findMany",
  "count",
  "aggregate",
  "groupBy",
]);

// A request's reads may take this long in all; past it Prisma ends the transaction and the
// request's next read fails (as a statement timeout would), instead of holding a connection.
const READ_SESSION_TIMEOUT_MS = 60_000;

/** One tenant transaction held open for a request's reads, and how to end it. */
type HeldTransaction = { client: Promise<Prisma.TransactionClient>; end: () => Promise<void> };

function holdTenantTransaction(prisma: PrismaClient, tenant: TenantContext): HeldTransaction {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let handOver!: (tx: Prisma.TransactionClient) => void;
  const handedOver = new Promise<Prisma.TransactionClient>((resolve) => (handOver = resolve));
  // The adapter wrapper enters the tenant as the transaction begins (currentTenant).
  const finished = currentTenant.run(tenant, () =>
    prisma.$transaction(
      async (tx) => {
        handOver(tx);
        await released;
      },
      { timeout: READ_SESSION_TIMEOUT_MS },
    ),
  );
  // If it never begins (database down, pool exhausted) the reads waiting for it get that error.
  const client = Promise.race([handedOver, finished.then(() => handedOver)]);
  return {
    client,
    async end() {
      release();
      // Only reads ran in it, and they have their answers: a failed COMMIT loses nothing.
      await finished.catch(() => {});
    },
  };
}

/** A request's reads: one held transaction per tenant it reads as (in practice one). */
class ReadSession {
  private held = new Map<string, HeldTransaction>();
  private closed = false;

  get isOpen(): boolean {
    return !this.closed;
  }

  transactionFor(prisma: PrismaClient, tenant: TenantContext): Promise<Prisma.TransactionClient> {
    let held = this.held.get(tenant.customerId);
    if (!held) {
      held = holdTenantTransaction(prisma, tenant);
      this.held.set(tenant.customerId, held);
    }
    return held.client;
  }

  /** Commits what is held; later statements of the request get their own transactions. */
  async close(): Promise<void> {
    this.closed = true;
    await this.suspend();
  }

  /** Commits what is held but stays open: a write must not wait behind its own reads. */
  async suspend(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    await Promise.all(held.map((each) => each.end()));
  }
}

const readSessions = new AsyncLocalStorage<ReadSession>();

/**
 * Runs a GraphQL query's execution with one shared tenant transaction for its reads
 * (use-tenant-read-sessions.ts), committed when `work` settles.
 */
export async function runInReadSession<T>(work: () => Promise<T> | T): Promise<T> {
  const session = new ReadSession();
  return readSessions.run(session, async () => {
    try {
      return await work();
    } finally {
      await session.close();
    }
  });
}

function currentReadSession(): ReadSession | undefined {
  const session = readSessions.getStore();
  return session?.isOpen ? session : undefined;
}

async function suspendReadSession(): Promise<void> {
  await currentReadSession()?.suspend();
}

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
