// GraphiQL's options: every asset is inlined by @graphql-yoga/render-graphiql (no CDN, works
// offline), and outside production the header editor starts with the demo user's dev token,
// so a newcomer can run a query at once, but only for a browser on this machine: the token is
// an ADMIN's, and anyone who can reach the port would get it (HOST=0.0.0.0, a proxy). The
// token is signed once and renewed well before it expires. Yoga renders it for any URL that ends in the endpoint (`/x?y=/graphql`): it is
// refused (false: the request goes on to useExactRoutes, a 404) unless the path is exact.
import type { GraphiQLOptions } from "graphql-yoga";
import type { Logger } from "pino";
import { isFromLoopback } from "./http/client-address.js";
import { isGraphQLRequest } from "./http/routes.js";

const RENEW_AFTER_MS = 60 * 60 * 1000; // the dev token lives 12 h

/**
 * `devToken`: signs the demo user's token (src/auth/dev-token.ts); null when there is none.
 * `welcome`: lines for the editor's opening text while the database has no users (how to seed
 * it and get a token), else null.
 */
export function graphiqlOptions(
  devToken: () => Promise<string | null>,
  welcome: () => Promise<string[] | null>,
  logger: Logger,
): (request: Request, serverContext: unknown) => Promise<GraphiQLOptions | false> {
  let token: { value: string | null; signedAt: number } | null = null;
  return async (request, serverContext) => {
    if (!isGraphQLRequest(new URL(request.url))) return false;
    const hint = await welcome().catch(() => null);
    const page: GraphiQLOptions = {
      title: "TestApp API",
      ...(hint ? { defaultQuery: `${hint.map((line) => `# ${line}`).join("\n")}\n\n{ __typename }\n` } : {}),
    };
    if (!isFromLoopback(request, serverContext)) return page;
    if (!token || Date.now() - token.signedAt > RENEW_AFTER_MS || token.value === null) {
      const value = await devToken().catch((error: unknown) => {
        logger.warn({ err: error }, "no dev token for GraphiQL");
        return null;
      });
      token = { value, signedAt: Date.now() };
    }
    return token.value ? { ...page, headers: JSON.stringify({ Authorization: `Bearer ${token.value}` }, null, 2) } : page;
  };
}
