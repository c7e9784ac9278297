// Which database errors are faults of the database rather than bugs: "it cannot be reached
// right now" (down, connection broken, no pooled connection in time) and "it refused a value as
// data". Shared by the API (use-database-faults.ts turns them into client errors) and the job
// worker (a running sync pauses while the database is unreachable), so both agree on what
// "the database is down" looks like.

// Prisma: can't reach, timed out, server closed the connection, pool timeout.
const prismaUnavailableCodes = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
// Driver adapter error kinds (@prisma/driver-adapter-utils) that mean "no usable connection".
const adapterUnavailableKinds = new Set([
  "DatabaseNotReachable",
  "DatabaseDoesNotExist",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TransactionStartTimeout",
]);
// Node socket errors, and PostgreSQL SQLSTATEs: class 08 (connection exception), shutdown,
// cannot connect now, too many connections.
const systemUnavailableCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"]);
const postgresUnavailableStates = /^(08...|57P01|57P02|57P03|53300)$/;
// pg-pool's and pg's own messages for a pool wait or connect that timed out, or a dropped socket;
// Prisma's for an interactive transaction that found no connection within its maxWait (P2028,
// a code it also uses for bugs such as a closed transaction, so the message decides).
const unavailableMessages =
  /timeout exceeded when trying to connect|Unable to start a transaction in the given time|Connection terminated|connection timeout|Can't reach database|PGlite is closed|Client has encountered a connection error/i;

type ErrorFields = {
  code?: unknown;
  kind?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
  originalCode?: unknown;
  meta?: { driverAdapterError?: unknown };
};

/** `error` and everything it wraps: causes, GraphQL originals, Prisma's driver adapter error. */
function* errorChain(error: unknown, depth = 0): Generator<ErrorFields> {
  if (!error || typeof error !== "object" || depth > 8) return;
  const fields = error as ErrorFields;
  yield fields;
  if (error instanceof AggregateError) for (const inner of error.errors) yield* errorChain(inner, depth + 1);
  yield* errorChain(fields.cause, depth + 1);
  yield* errorChain(fields.originalError, depth + 1);
  yield* errorChain(fields.meta?.driverAdapterError, depth + 1);
}

const stringOf = (value: unknown) => (typeof value === "string" ? value : undefined);

/** True when `error` (or anything it wraps) says the database cannot be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const fields of errorChain(error)) {
    const code = stringOf(fields.code);
    const state = stringOf(fields.originalCode) ?? code;
    if (code && (prismaUnavailableCodes.has(code) || systemUnavailableCodes.has(code))) return true;
    if (state && postgresUnavailableStates.test(state)) return true;
    if (adapterUnavailableKinds.has(stringOf(fields.kind) ?? "")) return true;
    if (unavailableMessages.test(stringOf(fields.message) ?? "")) return true;
  }
  return false;
}

// adapter-pg gives some class-22 states a kind of their own instead of "postgres".
const adapterInvalidValueKinds = new Set(["LengthMismatch", "ValueOutOfRange", "InvalidInputValue"]);

/**
 * True when PostgreSQL refused a value as data (SQLSTATE class 22: a NUL byte in text, a
 * number or date out of range; or 23514, a CHECK constraint such as the record date range):
 * the input was bad, and the client should hear so.
 */
export function isInvalidInputValue(error: unknown): boolean {
  for (const fields of errorChain(error)) {
    const kind = stringOf(fields.kind);
    if (kind && adapterInvalidValueKinds.has(kind)) return true;
    const state = stringOf(fields.originalCode) ?? stringOf(fields.code) ?? "";
    if (kind === "postgres" && (/^22/.test(state) || state === "23514")) return true;
  }
  return false;
}
