// Counts the SQL statements Prisma sends through its driver adapter, raw queries
// included. Tests assert these counts per request (no N+1), and /metrics exports them.
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from "@prisma/driver-adapter-utils";

export class StatementCounter {
  total = 0;
  private listeners: Array<(sql: string) => void> = [];

  record(sql: string): void {
    this.total += 1;
    for (const listener of this.listeners) listener(sql);
  }

  /** `listener` hears each statement's SQL text (metrics count them; tests read them). */
  onStatement(listener: (sql: string) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((each) => each !== listener);
    };
  }

  /** Runs `work` and returns the SQL of the statements that ran meanwhile (one request at a time). */
  async capture<T>(work: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
    const sql: string[] = [];
    const stop = this.onStatement((text) => sql.push(text));
    try {
      return { result: await work(), sql };
    } finally {
      stop();
    }
  }

  /** Runs `work` and returns how many statements ran meanwhile (tests run one request at a time). */
  async measure<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
    const before = this.total;
    const result = await work();
    return { result, statements: this.total - before };
  }
}

function countQueries<T extends object>(target: T, counter: StatementCounter): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "queryRaw" || property === "executeRaw") {
        return (query: SqlQuery, ...rest: unknown[]) => {
          counter.record(query.sql);
          return value.apply(object, [query, ...rest]);
        };
      }
      if (property === "startTransaction") {
        return async (...args: unknown[]) =>
          countQueries((await value.apply(object, args)) as Transaction, counter);
      }
      return value.bind(object);
    },
  });
}

export function withStatementCounter<F extends SqlDriverAdapterFactory>(
  factory: F,
  counter: StatementCounter,
): F {
  return new Proxy(factory, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (property === "connect" && typeof value === "function") {
        return async () => countQueries((await value.apply(object)) as SqlDriverAdapter, counter);
      }
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}
