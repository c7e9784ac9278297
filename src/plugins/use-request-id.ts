// Gives every request an id: the caller's `x-request-id` when it looks like one (a proxy or
// the client chose it, so logs can be joined across services), a new UUID otherwise. The id
// goes back in the response header and into a per-request logger (src/request/request-id.ts,
// where the rest of the code reads both), so every log line of the request carries it; one
// access line is logged per request (no query string: it can hold variables, i.e. personal data).
import { randomUUID } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { setRequestIdentity } from "../request/request-id.js";
import { operationNameOf } from "./operation-name.js";

export const REQUEST_ID_HEADER = "x-request-id";
// Bounded and log-safe: no spaces, quotes or control characters from the outside.
const acceptableRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

type RequestScope = { requestId: string; logger: Logger; startedAt: number; operationName?: string };
const scopes = new WeakMap<Request, RequestScope>();

function scopeOf(request: Request, baseLogger: Logger): RequestScope {
  let scope = scopes.get(request);
  if (!scope) {
    const sent = request.headers.get(REQUEST_ID_HEADER);
    const requestId = sent && acceptableRequestId.test(sent) ? sent : randomUUID();
    scope = { requestId, logger: baseLogger.child({ requestId }), startedAt: performance.now() };
    scopes.set(request, scope);
    setRequestIdentity(request, scope);
  }
  return scope;
}

export function useRequestId(baseLogger: Logger): Plugin {
  return {
    onRequest({ request }) {
      scopeOf(request, baseLogger);
    },
    onParams({ request, params }) {
      const scope = scopes.get(request);
      if (scope) scope.operationName = operationNameOf(params);
    },
    onResponse({ request, response }) {
      const scope = scopeOf(request, baseLogger);
      try {
        response.headers.set(REQUEST_ID_HEADER, scope.requestId);
      } catch {
        // A response with immutable headers (e.g. Response.error()): nothing to add it to.
      }
      const url = new URL(request.url);
      scope.logger.info(
        {
          method: request.method,
          path: url.pathname,
          operationName: scope.operationName,
          status: response.status,
          durationMs: Math.round((performance.now() - scope.startedAt) * 10) / 10,
        },
        "request",
      );
    },
  };
}
