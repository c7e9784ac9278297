// Checks the shape of a request's GraphQL parameters before anything reads them. Our onParams
// hooks (log and metrics labels, persisted operations, the response cache key) run ahead of
// Yoga's own check, which comes after every plugin and does not look at operationName: a
// `{"query":5}` with a token reached the cache key as a number and was a 500. The same checks
// for every client, token or not; each refusal is BAD_USER_INPUT (HTTP 400) naming the parameter.
// Variables and extensions are JSON, which a client can nest thousands of levels deep: deeper
// than MAX_VARIABLES_DEPTH is refused before anything walks them recursively (JSON.stringify
// overflowed the stack on the cache key).
import type { Plugin } from "graphql-yoga";
import { malformedRequest, queryTooComplex } from "../errors.js";

const kindOf = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`);

/** Deeper than `limit` levels of objects and arrays? Walked without recursion. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** Why `params` is not a GraphQL request, or null. Absent and null parameters are Yoga's to judge. */
function problemOf(params: unknown, maxDepth: number): string | null {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    return `expected a JSON object of parameters, got ${kindOf(params)}.`;
  }
  const given = params as Record<string, unknown>;
  for (const name of ["query", "operationName", "documentId"]) {
    if (given[name] != null && typeof given[name] !== "string") return `"${name}" must be a string, got ${kindOf(given[name])}.`;
  }
  for (const name of ["variables", "extensions"]) {
    const value = given[name];
    if (value == null) continue;
    if (typeof value !== "object" || Array.isArray(value)) return `"${name}" must be an object, got ${kindOf(value)}.`;
    if (nestedDeeperThan(value, maxDepth)) return `"${name}" is nested deeper than ${maxDepth} levels (MAX_VARIABLES_DEPTH).`;
  }
  return null;
}

const carriesJsonText = (request: Request) =>
  request.method === "GET" ||
  (request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded");

/** A document over `maxBytes` bytes: refused before the parser, its caches or the response cache key see it. */
function checkDocumentSize(params: unknown, maxBytes: number): void {
  const query = (params as { query?: unknown }).query;
  if (typeof query !== "string" || query.length * 3 <= maxBytes) return; // UTF-8: at most 3 bytes a UTF-16 unit
  const bytes = query.length > maxBytes ? query.length : Buffer.byteLength(query);
  if (bytes > maxBytes) throw queryTooComplex("document_size", `The document is ${bytes} bytes or more, over ${maxBytes}.`, 413);
}

export function useRequestParamsCheck(options: { maxVariablesDepth: number; maxQueryBytes: number }): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser || !carriesJsonText(request)) return;
      // GET and form posts carry variables and extensions as JSON text, which Yoga parses
      // without a catch: bad JSON there was a 500.
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (error instanceof SyntaxError) throw malformedRequest(`"variables" or "extensions" is not valid JSON (${error.message}).`);
          throw error;
        }
      });
    },
    onParams({ params }) {
      const problem = problemOf(params, options.maxVariablesDepth);
      if (problem) throw malformedRequest(problem);
      checkDocumentSize(params, options.maxQueryBytes);
    },
  };
}
