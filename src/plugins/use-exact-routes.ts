// The one place that decides which requests exist: a pathname that is not exactly one of the
// routes in src/http/routes.ts is 404 here, before any other plugin of ours runs, so every
// plugin that acts on the GraphQL endpoint (authentication, rate limit, cache, limits,
// introspection, CSRF) sees every request Yoga will serve as GraphQL. Yoga's own matching
// is looser: its GraphiQL, readiness and unhandled-route checks also accept URLs that merely
// end in the endpoint (`/x?y=/graphql`) or add a slash, and its liveness check answers any
// URL ending in /health. Liveness is served here, exactly.
import type { Plugin } from "graphql-yoga";
import { methodNotAllowedResponse, notFoundResponse } from "../errors.js";
import { type Route, routeOf } from "../http/routes.js";

/** Routes that only read (probes and metrics): anything but GET and HEAD is 405. */
const readOnlyRoutes = new Set<Route>(["health", "ready", "metrics"]);

export function useExactRoutes(): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      const route = routeOf(url);
      if (route === null) return endResponse(notFoundResponse());
      if (readOnlyRoutes.has(route) && request.method !== "GET" && request.method !== "HEAD") {
        return endResponse(methodNotAllowedResponse("GET, HEAD"));
      }
      if (route === "health") endResponse(new Response(null, { status: 200 }));
    },
  };
}
