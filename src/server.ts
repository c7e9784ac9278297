// Assembles the API: services, the Yoga handler with its plugins (in the order written
// below, deliberately), and the HTTP server.
import { createServer, type Server } from "node:http";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createYoga, useReadinessCheck, type YogaServerInstance } from "graphql-yoga";
import { AccessTokens } from "./auth/access-tokens.js";
import { resolveJwtSecret } from "./auth/jwt-secret.js";
import type { Config } from "./config.js";
import { type AppServices, buildContext, type RequestContext } from "./context.js";
import type { Database } from "./db/database.js";
import { createTenantClientCache } from "./db/tenant-scope.js";
import { createLogger } from "./logger.js";
import { CursorCodec } from "./pagination/cursor-codec.js";
import { useAuthenticationGate } from "./plugins/use-authentication-gate.js";
import { schema } from "./schema/index.js";

export function createServices(
  config: Config,
  database: Database,
  overrides: Partial<Pick<AppServices, "logger" | "loaderOptions">> = {},
): AppServices {
  const secret = resolveJwtSecret(config);
  return {
    config,
    database,
    tokens: new AccessTokens(secret, { issuer: config.jwt.issuer, audience: config.jwt.audience }),
    cursors: new CursorCodec(secret),
    tenantClient: createTenantClientCache(database.prisma),
    loaderOptions: overrides.loaderOptions ?? { batch: true },
    logger: overrides.logger ?? createLogger(config.logLevel),
  };
}

export type App = YogaServerInstance<Record<string, never>, RequestContext>;

export function createApp(services: AppServices): App {
  const { config, database, logger } = services;
  return createYoga<Record<string, never>, RequestContext>({
    schema,
    graphqlEndpoint: "/graphql",
    context: ({ request }) => buildContext(services, request),
    logging: {
      debug: (...args) => logger.debug(args),
      info: (...args) => logger.info(args),
      warn: (...args) => logger.warn(args),
      error: (...args) => logger.error(args),
    },
    // Errors that are not GraphQLErrors become "Unexpected error." for the client.
    maskedErrors: true,
    graphiql: config.isProduction ? false : { title: "TestApp API" },
    renderGraphiQL,
    landingPage: false,
    plugins: [
      useReadinessCheck({
        endpoint: "/ready",
        check: async () => {
          try {
            await database.ping(2_000);
          } catch (error) {
            return new Response(JSON.stringify({ ready: false, reason: (error as Error).message }), {
              status: 503,
              headers: { "content-type": "application/json" },
            });
          }
        },
      }),
      useAuthenticationGate({ allowAnonymousIntrospection: !config.isProduction }),
    ],
  });
}

export function createHttpServer(app: App): Server {
  return createServer(app);
}
