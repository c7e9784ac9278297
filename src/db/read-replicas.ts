// Read replicas (DATABASE_REPLICA_URLS), routed below Prisma at the driver adapter, so the
// tenant scope, row-level security and every other client extension work unchanged.
// @prisma/extension-read-replicas (0.5, Prisma 7: one PrismaClient per replica) routes at the
// client extension level instead: its replica clients would bypass extensions added to the
// primary (the tenant scope), and it has no notion of "this request already wrote".
//
// Rules: only API requests read from replicas (inside withReadYourWrites; workers, migrations
// and listeners always use the primary). Within a request, plain SELECTs outside transactions
// go to a replica until the request writes; from its first write, transaction or locking read
// on, everything goes to the primary, so a request reads its own writes.
import { AsyncLocalStorage } from "node:async_hooks";
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQuery } from "@prisma/driver-adapter-utils";

type RequestScope = { wrote: boolean };
const requestScope = new AsyncLocalStorage<RequestScope>();

/** Runs one request's work: its reads may use a replica until it writes. */
export function withReadYourWrites<T>(work: () => T): T {
  return requestScope.run({ wrote: false }, work);
}

const plainSelect = /^\s*select\b/i;
const lockingRead = /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i;

/** A statement a replica may answer: a SELECT that takes no row locks. */
export function isReplicaSafe(sql: string): boolean {
  return plainSelect.test(sql) && !lockingRead.test(sql);
}

/** Which connection the statement goes to; a statement that is not a plain read marks the request. */
function useReplica(sql: string | null): boolean {
  const scope = requestScope.getStore();
  if (!scope) return false;
  if (sql !== null && !scope.wrote && isReplicaSafe(sql)) return true;
  scope.wrote = true;
  return false;
}

/** The primary's adapter factory, with plain reads of requests spread over the replicas'. */
export function withReadReplicas(
  primary: SqlDriverAdapterFactory,
  replicas: SqlDriverAdapterFactory[],
): SqlDriverAdapterFactory {
  if (replicas.length === 0) return primary;
  return new Proxy(primary, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property === "connect" && typeof value === "function") {
        return async () => {
          const [primaryAdapter, ...replicaAdapters] = await Promise.all([
            value.apply(object) as Promise<SqlDriverAdapter>,
            ...replicas.map((replica) => replica.connect()),
          ]);
          return routingAdapter(primaryAdapter!, replicaAdapters);
        };
      }
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

function routingAdapter(primary: SqlDriverAdapter, replicas: SqlDriverAdapter[]): SqlDriverAdapter {
  let next = 0;
  const replica = () => replicas[next++ % replicas.length]!;
  return new Proxy(primary, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "queryRaw") {
        return (query: SqlQuery) => (useReplica(query.sql) ? replica().queryRaw(query) : primary.queryRaw(query));
      }
      if (property === "executeRaw" || property === "startTransaction" || property === "executeScript") {
        return (...args: unknown[]) => {
          useReplica(null);
          return value.apply(object, args);
        };
      }
      if (property === "dispose") {
        return async () => {
          await Promise.all([primary.dispose(), ...replicas.map((adapter) => adapter.dispose())]);
        };
      }
      return value.bind(object);
    },
  });
}
