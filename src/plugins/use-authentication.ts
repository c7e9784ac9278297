// Authenticates each GraphQL request once, in onRequest: ahead of the response cache, whose
// session (and whose If-None-Match shortcut) runs before any context exists. The result is
// kept per Request (src/request/authentication.ts); buildContext, the rate limit and the
// cache read it there instead of authenticating again. Whether the request may run at all is
// decided later, by the authentication gate.
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { type AccessTokens } from "../auth/access-tokens.js";
import { authenticate } from "../auth/authenticate.js";
import type { VerifiedUserCache } from "../auth/verified-user-cache.js";
import { errorResponse, serviceUnavailable } from "../errors.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { isGraphQLRequest } from "../http/routes.js";
import { setAuthentication } from "../request/authentication.js";
import { requestIdOf, requestLogger } from "../request/request-id.js";

export function useAuthentication(options: {
  tokens: AccessTokens;
  prisma: PrismaClient;
  users: VerifiedUserCache;
  logger: Logger;
}): Plugin {
  const { tokens, prisma, users, logger } = options;
  return {
    onRequest({ request, url, endResponse }) {
      if (!isGraphQLRequest(url)) return;
      return authenticate(request.headers.get("authorization"), tokens, prisma, users).then(
        (authentication) => {
          setAuthentication(request, authentication);
        },
        (error: unknown) => {
          // The user lookup failed (database down): the request cannot be judged, so it gets
          // no answer but this one, and the cause goes to the log only.
          requestLogger(request, logger).error({ err: error }, "authentication failed");
          endResponse(errorResponse(serviceUnavailable(requestIdOf(request))));
        },
      );
    },
  };
}
