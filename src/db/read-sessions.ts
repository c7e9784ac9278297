// Row-level security, mechanism 2: a GraphQL query's reads share ONE tenant transaction per
// request (opened at its first read, committed when execution ends), so the role costs one
// BEGIN/set/COMMIT per request rather than per statement.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Prisma, PrismaClient } from "../generated/prisma/client.js";
import { currentTenant, type TenantContext } from "./tenant-role.js";

/** Model operations that only read: within a read session they share its transaction. */
export const readOperations = new Set([
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

export function currentReadSession(): ReadSession | undefined {
  const session = readSessions.getStore();
  return session?.isOpen ? session : undefined;
}

export async function suspendReadSession(): Promise<void> {
  await currentReadSession()?.suspend();
}
