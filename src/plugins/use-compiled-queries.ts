// Query operations run through graphql-jit's compiled executor once their document has been
// seen before: the same results as graphql-js's executor for a fraction of the CPU (issue 14).
// What stays with graphql-js: mutations and subscriptions, a document on its first use
// (compiling costs ~1 ms of CPU, which a stream of one-off documents must not buy), a document
// graphql-jit cannot compile, and requests whose variables do not coerce, so that their errors
// keep graphql-js's wording. Registered before the response cache: the cache hands its
// annotated document (with __typename and ids) to this executor, and a hit never reaches it.
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  getOperationAST,
  getVariableValues,
  type GraphQLSchema,
  locatedError,
  visit,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";

export type CompiledQueriesOptions = {
  /** Uses of a document before it is compiled (1: at once). */
  compileOnUse: number;
  /** Compiled documents kept; the least recently used beyond this are dropped. */
  maxCompiled: number;
  /** Told of each compilation: whether graphql-jit took the document. */
  onCompile?: (outcome: "compiled" | "not_compilable") => void;
};

/** NOT_COMPILABLE: graphql-jit refused the document; it keeps running on graphql-js. */
const NOT_COMPILABLE = Symbol("not compilable");
type Compiled = CompiledQuery | typeof NOT_COMPILABLE;

export function useCompiledQueries(options: CompiledQueriesOptions): Plugin {
  // Keyed by the parsed document: Yoga's parse cache and the response cache's annotation both
  // hand out one object per document text, so a repeated query finds its entry by identity.
  const uses = new WeakMap<DocumentNode, number>();
  const compiled = new Map<DocumentNode, Map<string, Compiled>>();

  function compiledFor(schema: GraphQLSchema, document: DocumentNode, operationName: string): Compiled | undefined {
    const byOperation = compiled.get(document);
    const found = byOperation?.get(operationName);
    if (found !== undefined) {
      // Most recently used last: Map keeps insertion order.
      compiled.delete(document);
      compiled.set(document, byOperation!);
      return found;
    }
    const seen = (uses.get(document) ?? 0) + 1;
    uses.set(document, seen);
    if (seen < options.compileOnUse) return undefined;
    const result = compileQuery(schema, document, operationName || undefined, { disablingCapturingStackErrors: true });
    const entry: Compiled = isCompiledQuery(result) ? result : NOT_COMPILABLE;
    options.onCompile?.(entry === NOT_COMPILABLE ? "not_compilable" : "compiled");
    compiled.set(document, (byOperation ?? new Map()).set(operationName, entry));
    while (compiled.size > options.maxCompiled) compiled.delete(compiled.keys().next().value!);
    return entry;
  }

  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args: ExecutionArgs) => {
        const operation = getOperationAST(args.document, args.operationName);
        if (operation?.operation !== "query") return executeFn(args);
        const query = compiledFor(args.schema, args.document, args.operationName ?? "");
        if (query === undefined || query === NOT_COMPILABLE) return executeFn(args);
        // graphql-js words variable errors as clients (and tests) know them: let it answer those.
        const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
        if (coerced.errors) return executeFn(args);
        const result = query.query(args.rootValue, args.contextValue, args.variableValues ?? {});
        return result instanceof Promise ? result.then((r) => asGraphQLJsResult(r, args.document)) : asGraphQLJsResult(result, args.document);
      });
    },
  };
}

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

