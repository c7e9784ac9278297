// Runs multi-statement SQL scripts inside one transaction, on whichever connection the
// database has. Prisma's raw queries take one statement at a time, so migrations use this.
import type { Database } from "./database.js";

export type ScriptTransaction = {
  /** Runs one or more statements separated by semicolons (no parameters). */
  exec(sql: string): Promise<void>;
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
};

export async function inScriptTransaction<T>(
  db: Database,
  work: (tx: ScriptTransaction) => Promise<T>,
): Promise<T> {
  if (db.pglite) {
    return db.pglite.transaction(async (tx) =>
      work({
        exec: async (sql) => void (await tx.exec(sql)),
        query: async <R>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params)).rows,
      }),
    );
  }
  if (!db.pool) throw new Error("database has neither an embedded instance nor a pool");
  const client = await db.pool.connect();
  try {
    await client.query("BEGIN");
    const result = await work({
      exec: async (sql) => void (await client.query(sql)),
      query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
    });
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
