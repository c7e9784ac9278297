// Serves GET /metrics (Prometheus text format) and records each GraphQL request: count and
// duration per operation name, and the errors of its response by code. Placed early in the
// plugin list so the duration covers authentication and the response cache too.
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { ExecutionResult } from "graphql";
import { createHash, timingSafeEqual } from "node:crypto";
import { bearerToken } from "../auth/authenticate.js";
import { metricsUnauthorizedResponse } from "../errors.js";
import { routeOf } from "../http/routes.js";
import type { Metrics } from "../metrics.js";
import { operationNameOf } from "./operation-name.js";

type Timing = { startedAt: number; operationName?: string | null };

/** The bearer token sent, compared in constant time (hashes first: equal lengths). */
function carriesToken(request: Request, token: string): boolean {
  const sent = bearerToken(request.headers.get("authorization"));
  if (!sent) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(sent), digest(token));
}

/** `token` (METRICS_TOKEN): when set, /metrics answers only requests that carry it as a bearer token. */
export function useMetrics(options: { metrics: Metrics; token?: string }): Plugin {
  const { metrics, token } = options;
  const timings = new WeakMap<Request, Timing>();
  const countErrors = (result: ExecutionResult) => {
    for (const error of result.errors ?? []) {
      const code = error.extensions?.["code"];
      metrics.errors.inc({ code: typeof code === "string" ? code : "NONE" });
    }
  };
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (routeOf(url) === "metrics") {
        if (token !== undefined && !carriesToken(request, token)) return endResponse(metricsUnauthorizedResponse());
        return metrics.registry.metrics().then((text) =>
          endResponse(
            new fetchAPI.Response(text, { status: 200, headers: { "content-type": metrics.registry.contentType } }),
          ),
        );
      }
      if (routeOf(url) === "graphql") timings.set(request, { startedAt: performance.now() });
    },
    onParams({ request, params }) {
      const timing = timings.get(request);
      if (timing) timing.operationName = operationNameOf(params);
    },
    onResultProcess({ result }) {
      if (isAsyncIterable(result)) return;
      for (const single of Array.isArray(result) ? result : [result]) countErrors(single);
    },
    onResponse({ request, response }) {
      const timing = timings.get(request);
      if (!timing) return;
      // The GraphiQL page is a GET to the same path; it is not an operation.
      if ((response.headers.get("content-type") ?? "").startsWith("text/html")) return;
      const labels = { operation_name: metrics.operationLabel(timing.operationName) };
      metrics.requests.inc(labels);
      metrics.requestDuration.observe(labels, (performance.now() - timing.startedAt) / 1000);
    },
  };
}
