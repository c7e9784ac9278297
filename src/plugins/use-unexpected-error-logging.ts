// Unexpected errors (bugs, database failures) are logged in full with the request id and
// reach the client masked: "Unexpected error." with code INTERNAL_SERVER_ERROR and the
// request id, which the client can quote so the log line can be found. Runs before Yoga's own
// masking (that comes after every user plugin), which then leaves these errors as they are.
import { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { maskedError, withExtensions } from "../errors.js";
import { requestIdOf, requestLogger } from "../request/request-id.js";

/** A client-caused error is a GraphQLError all the way down; anything else is unexpected. */
function isUnexpected(error: GraphQLError): boolean {
  let cause: unknown = error.originalError;
  while (cause instanceof GraphQLError) cause = cause.originalError;
  return cause != null;
}

export function useUnexpectedErrorLogging(baseLogger: Logger): Plugin<{ request: Request }> {
  return {
    // Errors Yoga masked itself (outside execution, e.g. while building the context): add the id.
    onResultProcess({ request, result, setResult }) {
      if (isAsyncIterable(result) || Array.isArray(result) || !result.errors) return;
      const requestId = requestIdOf(request);
      const isMaskedWithoutId = (error: GraphQLError) =>
        error.extensions?.["unexpected"] === true && error.extensions["requestId"] === undefined;
      if (!requestId || !result.errors.some(isMaskedWithoutId)) return;
      setResult({
        ...result,
        errors: result.errors.map((error) => (isMaskedWithoutId(error) ? withExtensions(error, { requestId }) : error)),
      });
    },
    onExecute({ args }) {
      const request = args.contextValue.request;
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result) || !result.errors?.some(isUnexpected)) return;
          const log = requestLogger(request, baseLogger);
          const requestId = requestIdOf(request);
          setResult({
            ...result,
            errors: result.errors.map((error) => {
              if (!isUnexpected(error)) return error;
              log.error({ err: error.originalError, path: error.path }, "unexpected error");
              return maskedError(error, requestId);
            }),
          });
        },
      };
    },
  };
}
