// GraphiQL's options: every asset is inlined by @graphql-yoga/render-graphiql (no CDN, works
// offline), and outside production the header editor starts with the demo user's dev token,
// so a newcomer can run a query at once. The token is signed once and renewed well before
// it expires.
import type { GraphiQLOptions } from "graphql-yoga";
import type { Logger } from "pino";

const RENEW_AFTER_MS = 60 * 60 * 1000; // the dev token lives 12 h

/** `devToken`: signs the demo user's token (src/auth/dev-token.ts); null when there is none. */
export function graphiqlOptions(devToken: () => Promise<string | null>, logger: Logger): () => Promise<GraphiQLOptions> {
  let token: { value: string | null; signedAt: number } | null = null;
  return async () => {
    if (!token || Date.now() - token.signedAt > RENEW_AFTER_MS || token.value === null) {
      const value = await devToken().catch((error: unknown) => {
        logger.warn({ err: error }, "no dev token for GraphiQL");
        return null;
      });
      token = { value, signedAt: Date.now() };
    }
    return {
      title: "TestApp API",
      ...(token.value ? { headers: JSON.stringify({ Authorization: `Bearer ${token.value}` }, null, 2) } : {}),
    };
  };
}
