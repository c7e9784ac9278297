// Authenticates each GraphQL request once, in onRequest: ahead of the response cache, whose
// session (and whose If-None-Match shortcut) runs before any context exists. The result is
// kept per Request; buildContext reuses it instead of authenticating again. Whether the
// request may run at all is decided later, by the authentication gate.
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { type AccessTokens } from "../auth/access-tokens.js";
import { type Authentication, authenticate } from "../auth/authenticate.js";
import type { VerifiedUserCache } from "../auth/user-cache.js";
import type { PrismaClient } from "../generated/prisma/client.js";
import { requestIdOf, requestLogger } from "./use-request-id.js";

const authentications = new WeakMap<Request, Authentication>();

/** What useAuthentication found for this request; undefined if it did not run for it. */
export function authenticationOf(request: Request): Authentication | undefined {
  return authentications.get(request);
}

export function useAuthentication(options: {
  graphqlEndpoint: string;
  tokens: AccessTokens;
  prisma: PrismaClient;
  users: VerifiedUserCache;
  logger: Logger;
}): Plugin {
  const { graphqlEndpoint, tokens, prisma, users, logger } = options;
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint) return;
      return authenticate(request.headers.get("authorization"), tokens, prisma, users).then(
        (authentication) => {
          authentications.set(request, authentication);
        },
        (error: unknown) => {
          // The user lookup failed (database down): the request cannot be judged, so it gets
          // no answer but this one, and the cause goes to the log only.
          requestLogger(request, logger).error({ err: error }, "authentication failed");
          const body = {
            errors: [
              {
                message: "The service is unavailable; try again shortly.",
                extensions: { code: "SERVICE_UNAVAILABLE", requestId: requestIdOf(request) },
              },
            ],
          };
          endResponse(
            new fetchAPI.Response(JSON.stringify(body), {
              status: 503,
              headers: { "content-type": "application/json; charset=utf-8" },
            }),
          );
        },
      );
    },
  };
}
