// Every error a client gets is built here: the errors a client can cause, each with the
// contract's extensions.code; the answers given before any GraphQL runs (429, 503); and the
// copies plugins make of graphql-js errors to add a code, cut a hint or mask a bug.
// Anything else thrown in a resolver is masked (useUnexpectedErrorLogging) and logged with
// the request id.
import type { ServerResponse } from "node:http";
import { type ASTNode, GraphQLError, type GraphQLErrorExtensions } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "BAD_USER_INPUT"
  | "NOT_FOUND"
  | "RATE_LIMITED"
  | "QUERY_TOO_COMPLEX"
  | "SERVICE_UNAVAILABLE";

const httpStatusByCode: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
};

/** `extensions.http.status` overrides the code's HTTP status; `nodes`: where in the document. */
export function clientError(
  code: ErrorCode,
  message: string,
  extensions: Record<string, unknown> = {},
  nodes?: readonly ASTNode[],
): GraphQLError {
  const status = httpStatusByCode[code];
  return new GraphQLError(message, {
    nodes,
    extensions: { code, ...(status ? { http: { status } } : {}), ...extensions },
  });
}

export const unauthenticated = (message = "Authentication required: send Authorization: Bearer <token>.") =>
  clientError("UNAUTHENTICATED", message);

export const forbidden = (message: string, nodes?: readonly ASTNode[]) =>
  clientError("FORBIDDEN", message, {}, nodes);

export const notFound = (what: string) => clientError("NOT_FOUND", `${what} not found.`);

/**
 * `field` names the input field at fault, so a form can show the message next to it; `fields`
 * maps it to the message, the same shape as an input with several bad fields (invalidFields).
 */
export const badUserInput = (message: string, field?: string) =>
  clientError("BAD_USER_INPUT", message, field ? { field, fields: { [field]: message } } : {});

/**
 * Every bad field of an input in one error: `extensions.fields` maps each field (a dotted
 * path, e.g. "filter.createdAfter") to its message, `extensions.field` names the first, and
 * the message lists them all ("referenceNumber: must not be empty; title: …").
 */
export function invalidFields(fields: Record<string, string>): GraphQLError {
  const entries = Object.entries(fields);
  const message = entries.map(([field, problem]) => (field ? `${field}: ${problem}` : problem)).join("; ");
  const first = entries[0]?.[0];
  return clientError("BAD_USER_INPUT", message, { ...(first ? { field: first } : {}), fields });
}

// ---- Hostile queries and clients -------------------------------------------------------

export type QueryLimit = "tokens" | "depth" | "aliases" | "directives" | "cost" | "batch" | "body_size" | "document_size";

/** The variable that sets each limit, named in the refusal so an operator knows what to raise. */
const limitVariable: Record<QueryLimit, string> = {
  tokens: "MAX_QUERY_TOKENS",
  depth: "MAX_QUERY_DEPTH",
  aliases: "MAX_QUERY_ALIASES",
  directives: "MAX_QUERY_DIRECTIVES",
  cost: "MAX_QUERY_COST",
  batch: "MAX_BATCH_OPERATIONS",
  body_size: "MAX_REQUEST_BODY_BYTES",
  document_size: "MAX_QUERY_BYTES",
};

export function queryTooComplex(limit: QueryLimit, message: string, httpStatus?: number): GraphQLError {
  return clientError("QUERY_TOO_COMPLEX", `${message} (limit: ${limitVariable[limit]})`, {
    limit,
    ...(httpStatus ? { http: { status: httpStatus } } : {}),
  });
}

function rateLimited(retryAfterSeconds: number, variable: string, requestId: string | undefined): GraphQLError {
  return clientError("RATE_LIMITED", `Too many requests: try again in ${retryAfterSeconds} s (limit: ${variable}).`, {
    retryAfterSeconds,
    requestId,
  });
}

/** Past JOB_SUBSCRIPTIONS_PER_CUSTOMER open jobUpdated subscriptions (HTTP 429). */
export const tooManySubscriptions = (perCustomer: number) =>
  clientError(
    "RATE_LIMITED",
    `Too many open jobUpdated subscriptions: your organisation may hold ${perCustomer} at once; close one first (limit: JOB_SUBSCRIPTIONS_PER_CUSTOMER).`,
    { limit: "JOB_SUBSCRIPTIONS_PER_CUSTOMER", max: perCustomer },
  );

// ---- Uploads ---------------------------------------------------------------------------

/** Too large, whether told by Content-Length or counted as the body streams (HTTP 413). */
export function uploadTooLarge(maxFileBytes: number) {
  const message = `The upload is larger than the limit of ${maxFileBytes} bytes (MAX_UPLOAD_BYTES).`;
  return clientError("BAD_USER_INPUT", message, { field: "file", fields: { file: message }, http: { status: 413 } });
}

/** The GraphQL parameters themselves are malformed (a query that is not a string, …): HTTP 400. */
export const malformedRequest = (problem: string) =>
  clientError("BAD_USER_INPUT", `Invalid GraphQL request: ${problem}`, { http: { status: 400 } });

export const malformedMultipartRequest = (problem: string) =>
  clientError("BAD_USER_INPUT", `Invalid multipart request: ${problem}`, { http: { status: 400 } });

/** A POST (multipart, form or text/plain) without the header that proves a script sent it (HTTP 403). */
export const csrfHeaderMissing = (header: string) =>
  clientError(
    "FORBIDDEN",
    `This request needs the ${header} header (any value): uploads and form posts without it are refused (CSRF prevention).`,
    { http: { status: 403 } },
  );

// ---- Trusted documents (PERSISTED_OPERATIONS) ------------------------------------------

/** PERSISTED_OPERATIONS=only and a full document was sent (HTTP 403). */
export const onlyPersistedOperations = () =>
  clientError(
    "FORBIDDEN",
    "Only allow-listed operations run here: send its documentId, not a document (PERSISTED_OPERATIONS=only).",
    { http: { status: 403 } },
  );

/** An operation id the allow-list does not have (HTTP 400). */
export const unknownPersistedOperation = () =>
  clientError("BAD_USER_INPUT", "No allow-listed operation has this id (PERSISTED_OPERATIONS_FILE).", { http: { status: 400 } });

/** Neither a document id nor a document (HTTP 400). */
export const noPersistedOperation = () =>
  clientError("BAD_USER_INPUT", "Send a documentId or a query.", { http: { status: 400 } });

// ---- Faults that are not the client's --------------------------------------------------

export const SERVICE_UNAVAILABLE_MESSAGE = "The service is unavailable; try again shortly.";

/** The database (or the identity provider's keys) cannot be reached: retry later (HTTP 503). */
export const serviceUnavailable = (requestId: string | undefined) =>
  clientError("SERVICE_UNAVAILABLE", SERVICE_UNAVAILABLE_MESSAGE, requestId ? { requestId } : {});

export const UNEXPECTED_ERROR_MESSAGE = "Unexpected error.";

/** What the client sees of a bug: where it happened and the request id to quote, nothing more. */
export const maskedError = (error: GraphQLError, requestId: string | undefined) =>
  asClientFacing(error, new GraphQLError(UNEXPECTED_ERROR_MESSAGE, { extensions: { code: "INTERNAL_SERVER_ERROR", requestId } }));

// ---- Copies of graphql-js errors -------------------------------------------------------

function rebuilt(
  error: GraphQLError,
  changes: { message: string; extensions: GraphQLErrorExtensions; originalError: Error | undefined },
): GraphQLError {
  return new GraphQLError(changes.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: changes.originalError,
    extensions: changes.extensions,
  });
}

/** The same error with more extensions (e.g. the code graphql-js did not give it). */
export const withExtensions = (error: GraphQLError, extensions: GraphQLErrorExtensions) =>
  rebuilt(error, { message: error.message, extensions: { ...error.extensions, ...extensions }, originalError: error.originalError });

/** The same error, reworded (e.g. without a hint that gives the schema away). */
export const withMessage = (error: GraphQLError, message: string) =>
  rebuilt(error, { message, extensions: error.extensions, originalError: error.originalError });

/**
 * `facing`'s message and extensions at `error`'s place in the document. The original error is
 * left behind: it may hold SQL or a stack, and without it later plugins see a client error.
 */
export const asClientFacing = (error: GraphQLError, facing: GraphQLError) =>
  rebuilt(error, { message: facing.message, extensions: facing.extensions, originalError: undefined });

// ---- Answers given before GraphQL runs -------------------------------------------------

/**
 * An HTTP response carrying `error` the way Yoga would send it: `{ errors: [...] }`, with the
 * status from its extensions.http (which, as in Yoga's own answers, is not sent).
 */
export function errorResponse(error: GraphQLError, headers: Record<string, string> = {}): Response {
  const { http, ...extensions } = error.extensions as { http?: { status?: number } };
  return new Response(JSON.stringify({ errors: [{ message: error.message, extensions }] }), {
    status: http?.status ?? 500,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The 429 answer of the rate limit, with Retry-After: before any GraphQL runs. */
export const rateLimitedResponse = (retryAfterSeconds: number, variable: string, requestId: string | undefined) =>
  errorResponse(rateLimited(retryAfterSeconds, variable, requestId), { "retry-after": String(retryAfterSeconds) });

/** A path the server does not serve (src/http/routes.ts), or a download link that is not valid. */
export const notFoundResponse = () =>
  new Response("Not found.\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

/** /metrics without the METRICS_TOKEN it is protected by. */
export const metricsUnauthorizedResponse = () =>
  new Response("Send Authorization: Bearer <METRICS_TOKEN>.\n", {
    status: 401,
    headers: { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="metrics"' },
  });

export const methodNotAllowedResponse = (allow: string) =>
  new Response(null, { status: 405, headers: { allow } });

/**
 * A request target that is not origin-form (`GET http://host/path`): the URL the adapter
 * builds from Host + target would not parse. Written on node:http's response, before Yoga.
 */
export function answerBadRequestTarget(response: ServerResponse): void {
  response.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("Bad request target.\n");
}

/** /ready's answer while the database does not answer (HTTP 503): a probe's body, not GraphQL. */
export function notReadyResponse(reason: string): Response {
  return new Response(JSON.stringify({ ready: false, reason }), {
    status: 503,
    headers: { "content-type": "application/json" },
  });
}

/** /ready while the service answers without a helper (e.g. Redis): HTTP 200, naming what is degraded. */
export function degradedResponse(degraded: string[]): Response {
  return new Response(JSON.stringify({ ready: true, degraded }), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
}
