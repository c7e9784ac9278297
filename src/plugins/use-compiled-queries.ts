// Query operations run through graphql-jit's compiled executor once their document has been
// seen before: the same results as graphql-js's executor for less CPU (issue 14).
// What stays with graphql-js: mutations and subscriptions, a document on its first use, a
// document graphql-jit cannot compile, and requests whose variables do not coerce, so that
// their errors keep graphql-js's wording. Registered before the response cache: the cache
// hands its annotated document (with __typename and ids) to this executor, and a hit never
// reaches it. A field without a resolver is read inline by compiled code, outside graphql-jit's
// error handling (a throw there leaves the request unanswered): such fields must be plain
// data, or getters that cannot throw (src/pagination/page-request.ts).
//
// Compiling costs CPU (measured ~10 µs a character of the document) and memory (50–90 bytes a
// character): documents are any authenticated client's to choose, so compiled ones are held in
// a byte-bounded cache, and at most COMPILES_PER_MINUTE compilations run, whatever is sent.
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  getOperationAST,
  getVariableValues,
  type GraphQLSchema,
  locatedError,
  type OperationDefinitionNode,
  visit,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { ByteBoundedLru } from "../cache/byte-bounded-lru.js";

export type CompiledQueriesOptions = {
  /** Uses of a document before it is compiled (1: at once). */
  compileOnUse: number;
  /** What the compiled documents may hold, by estimate, and how many. */
  cache: { maxBytes: number; maxEntries: number };
  /** Told of each compilation: whether graphql-jit took the document. */
  onCompile?: (outcome: "compiled" | "not_compilable") => void;
};

/** Compilations allowed per minute (the rest of the minute's documents run on graphql-js). */
const COMPILES_PER_MINUTE = 60;
/** Measured 52–92 bytes of heap per character of the document; counted high. */
const COMPILED_BYTES_PER_CHARACTER = 100;

/** NOT_COMPILABLE: graphql-jit refused the document; it keeps running on graphql-js. */
const NOT_COMPILABLE = Symbol("not compilable");
type Compiled = CompiledQuery | typeof NOT_COMPILABLE;
type CompiledOperations = Map<string, Compiled>;

export function useCompiledQueries(options: CompiledQueriesOptions): Plugin {
  // Keyed by the parsed document: Yoga's parse cache and the response cache's annotation both
  // hand out one object per document text, so a repeated query finds its entry by identity.
  const uses = new WeakMap<DocumentNode, number>();
  const compiled = new ByteBoundedLru<CompiledOperations, DocumentNode>(
    options.cache,
    (document, operations) => compiledBytes(document) * operations.size,
  );
  // The library the request rate limit uses (src/rate-limit/), in memory: one budget per process.
  const compileBudget = new RateLimiterMemory({ points: COMPILES_PER_MINUTE, duration: 60 });

  /** Counts a use of a document not compiled yet; true when it is now due to be compiled. */
  function dueForCompiling(document: DocumentNode): boolean {
    const seen = (uses.get(document) ?? 0) + 1;
    uses.set(document, seen);
    // A document whose compilation the cache could not keep would be compiled on every use.
    return seen >= options.compileOnUse && compiledBytes(document) <= options.cache.maxBytes;
  }

  function compile(schema: GraphQLSchema, document: DocumentNode, operationName: string): Compiled {
    const result = compileQuery(schema, document, operationName || undefined, { disablingCapturingStackErrors: true });
    const entry: Compiled = isCompiledQuery(result) ? result : NOT_COMPILABLE;
    options.onCompile?.(entry === NOT_COMPILABLE ? "not_compilable" : "compiled");
    compiled.set(document, new Map(compiled.get(document)).set(operationName, entry));
    return entry;
  }

  return {
    onExecute({ executeFn, setExecuteFn }) {
      const run = (query: Compiled, operation: OperationDefinitionNode, args: ExecutionArgs) => {
        if (query === NOT_COMPILABLE) return executeFn(args);
        // graphql-js words variable errors as clients (and tests) know them: let it answer those.
        const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
        if (coerced.errors) return executeFn(args);
        const result = query.query(args.rootValue, args.contextValue, args.variableValues ?? {});
        return result instanceof Promise ? result.then((r) => asGraphQLJsResult(r, args.document)) : asGraphQLJsResult(result, args.document);
      };
      setExecuteFn((args: ExecutionArgs) => {
        const operation = getOperationAST(args.document, args.operationName);
        if (operation?.operation !== "query") return executeFn(args);
        const operationName = args.operationName ?? "";
        // The hot path stays synchronous: a compiled document runs at once.
        const found = compiled.get(args.document)?.get(operationName);
        if (found !== undefined) return run(found, operation, args);
        if (!dueForCompiling(args.document)) return executeFn(args);
        return compileBudget.consume("compile").then(
          () => run(compile(args.schema, args.document, operationName), operation, args),
          () => executeFn(args), // over the minute's budget: graphql-js, and compiled on a later use
        );
      });
    },
  };
}

/** The estimated heap one compiled operation of `document` holds (a document without locations counts as 10,000 characters). */
const compiledBytes = (document: DocumentNode) => (document.loc?.source.body.length ?? 10_000) * COMPILED_BYTES_PER_CHARACTER;

/**
 * The result as graphql-js shapes it: `errors` before `data`, and each error a graphql-js
 * GraphQLError at its field nodes (graphql-jit's carry bare locations, which every error
 * rebuilt downstream — masking, codes — would lose), wrapping what the resolver threw.
 */
function asGraphQLJsResult(result: ExecutionResult, document: DocumentNode): ExecutionResult {
  if (!result.errors?.length) return result;
  const fieldsAt = fieldNodesByLocation(document);
  const errors = result.errors.map((error) => {
    const nodes = (error.locations ?? []).flatMap(({ line, column }) => fieldsAt.get(`${line}:${column}`) ?? []);
    return locatedError(error.originalError ?? new Error(error.message), nodes.length ? nodes : undefined, error.path);
  });
  const { errors: _, data, ...rest } = result;
  return { errors, data, ...rest };
}

const fieldNodesOf = new WeakMap<DocumentNode, Map<string, FieldNode>>();

/** The document's fields by their "line:column", as graphql-jit reports an error's place. */
function fieldNodesByLocation(document: DocumentNode): Map<string, FieldNode> {
  let byLocation = fieldNodesOf.get(document);
  if (byLocation) return byLocation;
  byLocation = new Map();
  const found = byLocation;
  visit(document, {
    Field(node) {
      if (node.loc) found.set(`${node.loc.startToken.line}:${node.loc.startToken.column}`, node);
    },
  });
  fieldNodesOf.set(document, byLocation);
  return byLocation;
}
