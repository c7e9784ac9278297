// The one place where database errors a client should hear about stop being masked bugs:
// "the database cannot be reached" becomes SERVICE_UNAVAILABLE (HTTP 503): the database is
// down, a connection broke, or no pooled connection came free within
// DATABASE_CONNECT_TIMEOUT_MS; the client learns to retry. A value PostgreSQL refuses as data
// becomes BAD_USER_INPUT. The cause goes to the log with the request id. Runs before useUnexpectedErrorLogging, which
// then leaves these (now client-facing) errors alone.
import type { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { isDatabaseUnavailable, isInvalidInputValue } from "../db/database-faults.js";
import { asClientFacing, badUserInput, serviceUnavailable } from "../errors.js";
import { requestIdOf, requestLogger } from "../request/request-id.js";

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
            return asClientFacing(error, facing);
          });
          if (replaced.some((error, index) => error !== result.errors![index])) setResult({ ...result, errors: replaced });
        },
      };
    },
  };
}
