// Unexpected errors (bugs, database failures) are logged in full (message, stack) with the
// request id and reach the client masked: "Unexpected error." with code INTERNAL_SERVER_ERROR and the
// request id, which the client can quote so the log line can be found. Runs before Yoga's own
// masking (that comes after every user plugin), which then leaves these errors as they are.
// Errors Yoga masks itself (thrown outside execution: while parsing the request, in a plugin,
// while building the context) go through `maskUnexpectedError`, which remembers the original;
// their log line is written here too, once their result meets its request, and Yoga's own
// report of them (which knows no request) is dropped by `yogaLogging`.
import { type ExecutionResult, GraphQLError } from "graphql";
import {
  isAsyncIterable,
  type MaskError,
  mapAsyncIterator,
  maskError as yogaMaskError,
  type Plugin,
  type YogaServerOptions,
} from "graphql-yoga";
import type { Logger } from "pino";
import { maskedError, withExtensions } from "../errors.js";
import { requestIdOf, requestLogger } from "../request/request-id.js";

/** A client-caused error is a GraphQLError all the way down; anything else is unexpected. */
function isUnexpected(error: GraphQLError): boolean {
  let cause: unknown = error.originalError;
  while (cause instanceof GraphQLError) cause = cause.originalError;
  return cause != null;
}

/** Errors Yoga masked → what was thrown; read (and logged) when the result meets its request. */
const causes = new WeakMap<GraphQLError, unknown>();
const causesToLog = new WeakSet<object>();

/** For Yoga's maskedErrors.maskError: Yoga's masking, remembering the cause for the request's log. */
export const maskUnexpectedError: MaskError = (error, message) => {
  // Never "dev" masking, which hands the client the cause's message and stack: the log has them.
  const masked = yogaMaskError(error, message, false);
  if (masked !== error && masked instanceof GraphQLError) {
    causes.set(masked, error);
    if (typeof error === "object" && error !== null) causesToLog.add(error);
  }
  return masked;
};

/**
 * Yoga's logger. pino takes an object first: Yoga's `error(err)` arrived as `{"0":{}}` (an
 * Error in an array has no own enumerable fields), so every call is turned into a message and
 * an `err`. Masked errors are logged by useUnexpectedErrorLogging, with their request.
 */
export function yogaLogging(logger: Logger): NonNullable<YogaServerOptions<object, object>["logging"]> {
  const line = (level: "debug" | "info" | "warn" | "error") => (...args: unknown[]) => {
    if (level === "error" && args.length === 1 && causesToLog.has(args[0] as object)) return;
    const err = args.find((arg) => arg instanceof Error);
    const message = args.filter((arg) => typeof arg === "string").join(" ") || (err as Error | undefined)?.message || "yoga";
    const rest = args.filter((arg) => arg !== err && typeof arg !== "string");
    logger[level]({ ...(err ? { err } : {}), ...(rest.length > 0 ? { details: rest } : {}) }, message);
  };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

export function useUnexpectedErrorLogging(baseLogger: Logger): Plugin<{ request: Request }> {
  /** Logs the errors Yoga masked in `result` with the request's id, and gives them the id. */
  const reportMasked = (request: Request, result: ExecutionResult): ExecutionResult => {
    const isMaskedByYoga = (error: GraphQLError) => error.extensions?.["unexpected"] === true;
    if (!result.errors?.some(isMaskedByYoga)) return result;
    const requestId = requestIdOf(request);
    const log = requestLogger(request, baseLogger);
    return {
      ...result,
      errors: result.errors.map((error) => {
        if (!isMaskedByYoga(error)) return error;
        if (causes.has(error)) {
          log.error({ err: causes.get(error) }, "unexpected error");
          causes.delete(error);
        }
        return requestId && error.extensions["requestId"] === undefined ? withExtensions(error, { requestId }) : error;
      }),
    };
  };
  return {
    onResultProcess({ request, result, setResult }) {
      if (isAsyncIterable(result)) {
        // Events of a subscription stream: an error thrown mid-stream is masked by Yoga there.
        setResult(mapAsyncIterator(result, (event: ExecutionResult) => reportMasked(request, event)));
      } else if (Array.isArray(result)) {
        const reported = result.map((single) => reportMasked(request, single));
        if (reported.some((single, index) => single !== result[index])) setResult(reported);
      } else {
        const reported = reportMasked(request, result);
        if (reported !== result) setResult(reported);
      }
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
