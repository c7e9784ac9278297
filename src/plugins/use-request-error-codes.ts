// The contract gives every error a client can cause an extensions.code. Syntax and
// validation errors come with GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED, but
// graphql-js reports bad variable values (a wrong enum, a malformed DateTime, a missing
// required variable) without one: the client's input is wrong, so they get BAD_USER_INPUT.
// (Unexpected errors carry INTERNAL_SERVER_ERROR; every error this API raises has its own.)
import type { GraphQLError } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { withExtensions } from "../errors.js";

const withCode = (error: GraphQLError) =>
  error.extensions?.["code"] !== undefined ? error : withExtensions(error, { code: "BAD_USER_INPUT" });

export function useRequestErrorCodes(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (isAsyncIterable(result)) return;
      const results = Array.isArray(result) ? result : [result];
      if (!results.some((one) => one.errors?.some((error) => error.extensions?.["code"] === undefined))) return;
      const coded = results.map((one) => (one.errors ? { ...one, errors: one.errors.map(withCode) } : one));
      setResult(Array.isArray(result) ? coded : coded[0]!);
    },
  };
}
