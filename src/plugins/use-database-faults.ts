// The one place where database errors a client should hear about stop being masked bugs:
// "the database cannot be reached" becomes SERVICE_UNAVAILABLE (HTTP 503): the database is
// down, a connection broke, or no pooled connection came free within
// DATABASE_CONNECT_TIMEOUT_MS; the client learns to retry. A value PostgreSQL refuses as data
// becomes BAD_USER_INPUT. The cause goes to the log with the request id. Runs before useUnexpectedErrorLogging, which
// then leaves these (now client-facing) errors alone.
import { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { badUserInput, clientError } from "../errors.js";
import { requestIdOf, requestLogger } from "./use-request-id.js";

export const SERVICE_UNAVAILABLE_MESSAGE = "The service is unavailable; try again shortly.";

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
// pg-pool's and pg's own messages for a pool wait or connect that timed out, or a dropped socket.
const unavailableMessages =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Can't reach database|PGlite is closed|Client has encountered a connection error/i;

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

/**
 * True when PostgreSQL refused a value as data (SQLSTATE class 22: a NUL byte in text, a
 * number or date out of range): the input was bad, and the client should hear so.
 */
export function isInvalidInputValue(error: unknown): boolean {
  for (const fields of errorChain(error)) {
    if (stringOf(fields.kind) === "postgres" && /^22/.test(stringOf(fields.originalCode) ?? stringOf(fields.code) ?? "")) {
      return true;
    }
  }
  return false;
}

export function serviceUnavailable(requestId: string | undefined): GraphQLError {
  return clientError("SERVICE_UNAVAILABLE", SERVICE_UNAVAILABLE_MESSAGE, requestId ? { requestId } : {});
}

/** The client-facing error for a database error a client can be told about; null for bugs. */
function clientFacingError(error: unknown, requestId: string | undefined): GraphQLError | null {
  if (isDatabaseUnavailable(error)) return serviceUnavailable(requestId);
  if (isInvalidInputValue(error)) return badUserInput("A value in the input is not valid (e.g. a NUL character, or out of range).");
  return null;
}

export function useDatabaseFaults(baseLogger: Logger): Plugin<{ request: Request }> {
  return {
    onExecute({ args }) {
      const request = args.contextValue.request;
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || !result.errors) return;
          const requestId = requestIdOf(request);
          const replaced = result.errors.map((error) => {
            const facing = error.originalError ? clientFacingError(error.originalError, requestId) : null;
            if (!facing) return error;
            const code = facing.extensions["code"];
            const log = requestLogger(request, baseLogger);
            if (code === "SERVICE_UNAVAILABLE") log.error({ err: error.originalError, path: error.path }, "database unavailable");
            else log.info({ err: error.originalError, path: error.path }, "database refused an input value");
            return new GraphQLError(facing.message, { nodes: error.nodes, path: error.path, extensions: facing.extensions });
          });
          if (replaced.some((error, index) => error !== result.errors![index])) setResult({ ...result, errors: replaced });
        },
      };
    },
  };
}
