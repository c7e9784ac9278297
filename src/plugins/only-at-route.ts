// Library plugins (Yoga's readiness check) match their path loosely, by its ending; wrapped
// here, one acts only on requests whose exact route (src/http/routes.ts) is its own.
import type { Plugin } from "graphql-yoga";
import { type Route, routeOf } from "../http/routes.js";

/** `plugin` (a library's, matching paths loosely) only for requests to `route`. */
export function onlyAt(route: Route, plugin: Plugin): Plugin {
  const onRequest = plugin.onRequest;
  return {
    ...plugin,
    ...(onRequest && {
      onRequest: (payload) => (routeOf(payload.url) === route ? onRequest(payload) : undefined),
    }),
  };
}
