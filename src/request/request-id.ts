// Each request's id and the logger that stamps it on every line. useRequestId fills this in
// onRequest (the first plugin); everything after it reads it here.
import type { Logger } from "pino";

type RequestIdentity = { requestId: string; logger: Logger };

const identities = new WeakMap<Request, RequestIdentity>();

/** For useRequestId. */
export function setRequestIdentity(request: Request, identity: RequestIdentity): void {
  identities.set(request, identity);
}

/** The request's id; undefined for a request useRequestId never saw. */
export function requestIdOf(request: Request): string | undefined {
  return identities.get(request)?.requestId;
}

/** The request's logger, whose every line carries its id; `fallback` for a request useRequestId never saw. */
export function requestLogger(request: Request, fallback: Logger): Logger {
  return identities.get(request)?.logger ?? fallback;
}
