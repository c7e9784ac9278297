// Row-level security, mechanism 1: a driver adapter wrapper. A transaction begun for a
// tenant (currentTenant) enters the tenant's role and setting as its first statement, and a
// tenant query that escaped its transaction is refused (it would run as the owner).
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { currentTenant, ENTER_TENANT_SQL, RowLevelSecurityError } from "./tenant-role.js";

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
