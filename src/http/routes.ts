// Every path the server answers, spelled once. A request is routed by its exact pathname:
// `/graphql/`, `//graphql`, `/x/graphql`, `/GraphQL` or `/x?y=/graphql` are not the endpoint
// (useExactRoutes answers them 404), so no plugin that looks for the endpoint can be walked
// around by another spelling of it.
import { FILES_PATH } from "../storage/download-links.js";

export const GRAPHQL_PATH = "/graphql";
export const HEALTH_PATH = "/health";
export const READY_PATH = "/ready";
export const METRICS_PATH = "/metrics";

export type Route = "graphql" | "health" | "ready" | "metrics" | "files";

const exactPaths = new Map<string, Route>([
  [GRAPHQL_PATH, "graphql"],
  [HEALTH_PATH, "health"],
  [READY_PATH, "ready"],
  [METRICS_PATH, "metrics"],
]);

/** The route `url` names, or null (404). `/files/<id>`: the download plugin checks the id. */
export function routeOf(url: URL): Route | null {
  return exactPaths.get(url.pathname) ?? (url.pathname.startsWith(FILES_PATH) ? "files" : null);
}

export const isGraphQLRequest = (url: URL) => routeOf(url) === "graphql";

/**
 * Yoga's own liveness check runs ahead of every plugin and answers any URL that ends with
 * its endpoint. No request URL can end with a line break (URL parsing drops it, HTTP refuses
 * it), so with this endpoint it never answers and useExactRoutes serves /health instead.
 */
export const UNREACHABLE_ENDPOINT = "\n";
