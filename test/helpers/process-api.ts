// An API instance as its own process (`npm start`'s entry point) on a loopback port, and a
// client for it that speaks the same GraphQL-over-HTTP as the in-process test app.
import { createServer } from "node:net";
import { type GraphQLResponse, postGraphQL } from "./graphql-request.js";
import { type ChildApp, startChildApp } from "./process-child.js";
import { freePort } from "./free-port.js";

export { freePort };

export type ApiProcess = ChildApp & {
  url: string;
  gql<Data = any>(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<GraphQLResponse<Data>>;
};


export async function startApiProcess(environment: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const app = await startChildApp("src/main.ts", { HOST: "127.0.0.1", PORT: String(port), ...environment }, "serving");
  const url = `http://127.0.0.1:${port}/graphql`;
  return {
    ...app,
    url,
    gql: (query, options = {}) =>
      postGraphQL(fetch, url, query, { ...options, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) }),
  };
}
