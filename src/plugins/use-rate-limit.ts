// Answers HTTP 429 with Retry-After and a RATE_LIMITED error once a customer (or, without a
// valid token, a client address) has spent its requests for the minute. Runs in onRequest
// right after useAuthentication, whose verdict it reads (no SQL of its own), and before the
// response cache, so cache hits count too.
import type { Plugin } from "graphql-yoga";
import { rateLimitedResponse } from "../errors.js";
import { clientAddress } from "../http/client-address.js";
import { isGraphQLRequest } from "../http/routes.js";
import type { Metrics } from "../metrics.js";
import type { RateLimitSubject, RequestRateLimiter } from "../rate-limit/request-rate-limiter.js";
import { authenticationOf } from "../request/authentication.js";
import { requestIdOf } from "../request/request-id.js";

export function useRateLimit(options: {
  limiter: RequestRateLimiter;
  metrics: Metrics;
  trustProxy: boolean;
}): Plugin {
  const { limiter, metrics, trustProxy } = options;
  const subjectOf = (request: Request, serverContext: unknown): RateLimitSubject => {
    const viewer = authenticationOf(request)?.viewer;
    return viewer
      ? { kind: "customer", customerId: viewer.customer.id }
      : { kind: "address", address: clientAddress(request, serverContext, trustProxy) };
  };
  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      if (!isGraphQLRequest(url)) return;
      const subject = subjectOf(request, serverContext);
      const verdict = await limiter.consume(subject);
      if (!verdict) return;
      const variable = subject.kind === "customer" ? "RATE_LIMIT_PER_MINUTE" : "RATE_LIMIT_ANONYMOUS_PER_MINUTE";
      metrics.refusals.inc({ limit: "rate" });
      metrics.errors.inc({ code: "RATE_LIMITED" });
      endResponse(rateLimitedResponse(verdict.retryAfterSeconds, variable, requestIdOf(request)));
    },
  };
}
