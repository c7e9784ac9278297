// The embedded database is ONE PostgreSQL session (PGlite), which the server's own code and
// the clients of its socket (CLI commands: db:seed, token, psql) share. Left alone, a socket
// client's transaction and the API's statements interleave in that session: an API write made
// while a client's transaction is open joins it (and is lost if the client rolls back), and an
// API statement that fails aborts the client's transaction. So the session is taken in turns
// (issue 12, point 10):
//
// - the socket's turn runs from a client's message until the session is idle again (its
//   ReadyForQuery says "idle" and no transaction block is open): a whole transaction, or a
//   whole extended-protocol exchange, at once. The socket server itself already keeps one
//   client's transaction from interleaving with another client's.
// - the API's turn is any of its calls on PGlite (a statement, a whole `transaction()`); many
//   at once (PGlite orders them), never during the socket's turn.
// - a client that keeps its turn idle longer than EMBEDDED_SOCKET_IDLE_TRANSACTION_MS is
//   disconnected and its transaction rolled back, so the API never waits on it for long.
// Waiters are served in order, so neither side starves the other.
import { AsyncLocalStorage } from "node:async_hooks";
import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import type { Logger } from "pino";

type Waiter = { side: "api" | "socket"; resolve: () => void };

class SessionTurns {
  private apiCalls = 0;
  private socketHolds = false;
  private readonly waiters: Waiter[] = [];

  get socketHasTurn(): boolean {
    return this.socketHolds;
  }

  acquire(side: "api" | "socket"): Promise<void> {
    if (this.waiters.length === 0 && this.free(side)) {
      this.take(side);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ side, resolve }));
  }

  release(side: "api" | "socket"): void {
    if (side === "api") this.apiCalls -= 1;
    else this.socketHolds = false;
    while (this.waiters.length > 0 && this.free(this.waiters[0]!.side)) {
      const next = this.waiters.shift()!;
      this.take(next.side);
      next.resolve();
    }
  }

  private free(side: "api" | "socket"): boolean {
    return side === "api" ? !this.socketHolds : !this.socketHolds && this.apiCalls === 0;
  }

  private take(side: "api" | "socket"): void {
    if (side === "api") this.apiCalls += 1;
    else this.socketHolds = true;
  }
}

// PGlite methods that use the session; the rest (closed, waitReady, isInTransaction…) do not.
const sessionMethods = new Set([
  "query",
  "exec",
  "sql",
  "transaction",
  "describeQuery",
  "execProtocol",
  "execProtocolRaw",
  "execProtocolRawStream",
  "listen",
  "unlisten",
  "runExclusive",
  "dumpDataDir",
]);

/** Calls of PGlite's own methods on the real instance (it keeps private # fields). */
function bound(target: PGlite, property: string | symbol): unknown {
  const value = Reflect.get(target, property, target) as unknown;
  return typeof value === "function" ? value.bind(target) : value;
}

// ReadyForQuery: 'Z', length 5, then the status ('I' idle, 'T' in a transaction, 'E' failed one).
const READY_FOR_QUERY_IDLE = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

export class EmbeddedSessionTurns {
  private readonly turns = new SessionTurns();
  private readonly insideApiCall = new AsyncLocalStorage<true>();
  private idleTimer: NodeJS.Timeout | undefined;
  private socketServer: PGLiteSocketServer | undefined;

  constructor(
    private readonly pglite: PGlite,
    private readonly idleTransactionMs: number,
    private readonly logger?: Logger,
  ) {}

  /** The PGlite the server's own code uses: each call waits while a socket client has its turn. */
  forApi(): PGlite {
    return new Proxy(this.pglite, {
      get: (target, property) => {
        const value = bound(target, property);
        if (typeof value !== "function" || !sessionMethods.has(String(property))) return value;
        return async (...args: unknown[]) => {
          // A call made inside another (a listener's query during a transaction) already has the turn.
          if (this.insideApiCall.getStore()) return (value as (...a: unknown[]) => unknown)(...args);
          await this.turns.acquire("api");
          try {
            return await this.insideApiCall.run(true, () => (value as (...a: unknown[]) => unknown)(...args));
          } finally {
            this.turns.release("api");
          }
        };
      },
    });
  }

  /** The PGlite the socket server uses (wrapping `db`, itself a view of the same PGlite). */
  forSocket(db: PGlite): PGlite {
    let lastBytes = Buffer.alloc(0);
    return new Proxy(db, {
      get: (target, property) => {
        const value = bound(target, property);
        if (property === "runExclusive") {
          // The socket server runs each client message as runExclusive(execProtocolRawStream).
          return async <T>(fn: () => Promise<T>) => {
            this.stopIdleTimer();
            if (!this.turns.socketHasTurn) await this.turns.acquire("socket");
            lastBytes = Buffer.alloc(0);
            try {
              return await (value as (f: () => Promise<T>) => Promise<T>)(fn);
            } finally {
              const idle = lastBytes.equals(READY_FOR_QUERY_IDLE) && !this.pglite.isInTransaction();
              if (idle) this.turns.release("socket");
              else this.startIdleTimer();
            }
          };
        }
        if (property === "execProtocolRawStream") {
          return (message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }) =>
            (value as (m: Uint8Array, o: object) => Promise<void>)(message, {
              ...options,
              onRawData: (data: Uint8Array) => {
                // Only the last 6 bytes matter: a response cycle ends with ReadyForQuery.
                lastBytes = Buffer.concat([lastBytes, data]).subarray(-READY_FOR_QUERY_IDLE.length);
                options.onRawData(data);
              },
            });
        }
        if (property === "exec") {
          // The socket server rolls back a disconnected client's transaction with exec("ROLLBACK").
          return async (...args: unknown[]) => {
            try {
              return await (value as (...a: unknown[]) => unknown)(...args);
            } finally {
              if (this.turns.socketHasTurn && !this.pglite.isInTransaction()) {
                this.stopIdleTimer();
                this.turns.release("socket");
              }
            }
          };
        }
        return value;
      },
    });
  }

  /** The server whose clients take the socket's turns (to disconnect one that stays idle). */
  attach(server: PGLiteSocketServer): void {
    this.socketServer = server;
  }

  private stopIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private startIdleTimer(): void {
    this.stopIdleTimer();
    this.idleTimer = setTimeout(() => void this.endIdleTurn(), this.idleTransactionMs);
    this.idleTimer.unref();
  }

  /** A client kept the session idle in its turn too long: disconnect it, roll back, release. */
  private async endIdleTurn(): Promise<void> {
    // Closed meanwhile (the timer is unref'd and may fire after close): nothing is left to roll back.
    if (!this.turns.socketHasTurn || this.pglite.closed) return;
    const internals = this.socketServer as unknown as
      | { handlers?: Set<{ handlerId: number; detach(close: boolean): Promise<unknown> }>; queryQueue?: { lastHandlerId: number | null } }
      | undefined;
    const owner = internals?.queryQueue?.lastHandlerId;
    const handler = [...(internals?.handlers ?? [])].find((each) => each.handlerId === owner);
    this.logger?.warn(
      { idleTransactionMs: this.idleTransactionMs },
      "embedded database: a socket client held its transaction idle too long; disconnected and rolled back",
    );
    try {
      // detach rolls the transaction back (through exec, which releases the turn) and closes it.
      if (handler) await handler.detach(true);
      if (this.pglite.isInTransaction()) await this.pglite.exec("ROLLBACK");
    } finally {
      if (this.turns.socketHasTurn) this.turns.release("socket");
    }
  }
}
