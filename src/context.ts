// What every resolver gets: the viewer, a database client that can only reach the viewer's
// customer, and fresh DataLoaders. Built once per request, after authentication.
import type { YogaInitialContext } from "graphql-yoga";
import type { Logger } from "pino";
import type { AccessTokens } from "./auth/access-tokens.js";
import { authenticate, type Viewer } from "./auth/authenticate.js";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import type { TenantScopedClient } from "./db/tenant-scope.js";
import type { LoaderOptions } from "./loaders/by-id-loader.js";
import { createLoaders, type Loaders } from "./loaders/index.js";
import type { CursorCodec } from "./pagination/cursor-codec.js";

/** Long-lived collaborators, made once at start and shared by all requests. */
export type AppServices = {
  config: Config;
  database: Database;
  tokens: AccessTokens;
  cursors: CursorCodec;
  tenantClient: (customerId: string | undefined) => TenantScopedClient;
  loaderOptions: LoaderOptions;
  logger: Logger;
};

/** What buildContext adds to Yoga's own context. */
export type RequestContext = {
  services: AppServices;
  viewer: Viewer | null;
  /** Why the sent token was refused; null when it was accepted or none was sent. */
  authFailure: string | null;
  db: TenantScopedClient;
  loaders: Loaders;
};

export type Context = YogaInitialContext & RequestContext;

export async function buildContext(
  services: AppServices,
  request: Request,
): Promise<RequestContext> {
  const { viewer, failure } = await authenticate(
    request.headers.get("authorization"),
    services.tokens,
    services.database.prisma,
  );
  const db = services.tenantClient(viewer?.customer.id);
  const loaders = createLoaders(db, services.loaderOptions);
  if (viewer) {
    loaders.customerById.prime(viewer.customer.id, viewer.customer);
    loaders.userById.prime(viewer.user.id, viewer.user);
  }
  return { services, viewer, authFailure: failure, db, loaders };
}
