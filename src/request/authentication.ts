// Who sent each GraphQL request. useAuthentication fills this in onRequest, ahead of the
// response cache, the rate limit and the context; they all read it here.
import type { Authentication } from "../auth/authenticate.js";

const authentications = new WeakMap<Request, Authentication>();

/** For useAuthentication. */
export function setAuthentication(request: Request, authentication: Authentication): void {
  authentications.set(request, authentication);
}

/** What useAuthentication found for this request; undefined if it did not run for it. */
export function authenticationOf(request: Request): Authentication | undefined {
  return authentications.get(request);
}
