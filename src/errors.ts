// The errors a client can cause, each with the contract's extensions.code.
// Anything else thrown in a resolver is masked by Yoga and logged with the request id.
import { GraphQLError } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "QUERY_TOO_COMPLEX"
  | "SERVICE_UNAVAILABLE";

const httpStatusByCode: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

export function clientError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
): GraphQLError {
  const status = httpStatusByCode[code];
  return new GraphQLError(message, {
    extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) },
  });
}

export const unauthenticated = (message = "Authentication required: send Authorization: Bearer <token>.") =>
  clientError("UNAUTHENTICATED", message);

export const forbidden = (message: string) => clientError("FORBIDDEN", message);

export const notFound = (what: string) => clientError("NOT_FOUND", `${what} not found.`);

/** `field` names the input field at fault, so a form can show the message next to it. */
export const badUserInput = (message: string, field?: string) =>
  clientError("BAD_USER_INPUT", message, field ? { field } : {});
