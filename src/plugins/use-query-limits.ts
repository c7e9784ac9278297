// Refuses documents too big to run before any resolver does: tokens (while parsing), then
// depth, aliases and directives (GraphQL Armor's validation rules), and requests too big to
// parse: body size and batched operations. Cost needs the variables, so it is checked at the
// start of execution (Pothos complexity, src/schema/builder.ts) with the same error shape. Every refusal is
// QUERY_TOO_COMPLEX, names the limit (`extensions.limit`, the variable in the message) and is
// counted in testapp_graphql_refusals_total{limit}.
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { MaxTokensParserWLexer } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLArmorCallbackConfiguration } from "@escape.tech/graphql-armor-types";
import type { GraphQLError, ParseOptions, Source, ValidationContext } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import type { Config } from "../config.js";
import { type QueryLimit, queryTooComplex } from "../errors.js";
import type { Metrics } from "../metrics.js";

/** Armor's own errors say "Syntax Error: …" and carry no code: report ours instead. */
function armorRefusal(limit: QueryLimit): GraphQLArmorCallbackConfiguration {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => {
        const refusal = queryTooComplex(limit, error.message.replace(/^Syntax Error: /, ""));
        // The token count is checked while parsing, where there is no validation context.
        if (!context) throw refusal;
        context.reportError(refusal);
      },
    ],
  };
}

const isUpload = (request: Request) =>
  (request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");

/** Errors the body stream with a refusal once more than `maxBytes` have come (no Content-Length needed). */
function limitBody(request: Request, maxBytes: number): Request {
  if (!request.body) return request;
  let bytes = 0;
  const body = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        if (bytes > maxBytes) controller.error(bodyTooLarge(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Request(request.url, { method: request.method, headers: request.headers, signal: request.signal, body, duplex: "half" } as RequestInit);
}

const bodyTooLarge = (maxBytes: number) =>
  queryTooComplex("body_size", `The request body is larger than ${maxBytes} bytes.`, 413);

export function useQueryLimits(options: { limits: Config["limits"]; metrics: Metrics }): Plugin {
  const { limits, metrics } = options;
  const rules = [
    maxDepthRule({ n: limits.maxDepth, ...armorRefusal("depth") }),
    maxAliasesRule({ n: limits.maxAliases, ...armorRefusal("aliases") }),
    maxDirectivesRule({ n: limits.maxDirectives, ...armorRefusal("directives") }),
    // Cost is checked at execution, with the variables: src/schema/builder.ts (Pothos complexity).
  ];
  const parseWithTokenLimit = (source: string | Source, parseOptions?: ParseOptions) =>
    new MaxTokensParserWLexer(source, { ...parseOptions, n: limits.maxTokens, ...armorRefusal("tokens") }).parseDocument();
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      // Uploads have their own, larger limits (useStreamingUploads, MAX_UPLOAD_BYTES).
      if (request.method !== "POST" || isUpload(request)) return;
      const contentLength = request.headers.get("content-length");
      if (Number(contentLength ?? 0) > limits.maxRequestBodyBytes) throw bodyTooLarge(limits.maxRequestBodyBytes);
      // With a Content-Length the HTTP parser reads exactly that many bytes: checked above.
      // Only a body without one (chunked) is counted as it streams: the re-wrapped request
      // that takes (a new Request and TransformStream) made cache hits 2.7× slower.
      if (requestParser && contentLength === null) {
        setRequestParser((parsed) => requestParser(limitBody(parsed, limits.maxRequestBodyBytes)));
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          if (!Array.isArray(requestParserResult)) return;
          if (limits.maxBatchOperations === 0) {
            throw queryTooComplex("batch", "Batched operations (a JSON array of requests) are off.", 400);
          }
          if (requestParserResult.length > limits.maxBatchOperations) {
            throw queryTooComplex(
              "batch",
              `${requestParserResult.length} batched operations are more than the limit of ${limits.maxBatchOperations}.`,
              400,
            );
          }
        },
      };
    },
    onParse({ setParseFn }) {
      setParseFn(parseWithTokenLimit);
    },
    onValidate({ addValidationRule }) {
      for (const rule of rules) addValidationRule(rule);
    },
    // Counted here, once per refused request, whichever step refused it (the parse and
    // validation results of a document are cached, so the rules do not run every time).
    onResultProcess({ result }) {
      if (isAsyncIterable(result)) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of single.errors ?? []) {
          if (error.extensions?.["code"] !== "QUERY_TOO_COMPLEX") continue;
          metrics.refusals.inc({ limit: String(error.extensions["limit"]) });
        }
      }
    },
  };
}
