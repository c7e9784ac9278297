// Trusted documents: with PERSISTED_OPERATIONS=only the server runs only the operations of
// an allow-list file that the frontends' build produced; clients send an id instead of a
// document (`documentId`, or Apollo's `extensions.persistedQuery.sha256Hash`). `allow` also
// runs documents sent in full. The file is read and every document validated against the
// schema at start, so a broken or stale list stops the process instead of failing requests.
import fs from "node:fs";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { type GraphQLError, type GraphQLSchema, parse, validate } from "graphql";
import type { GraphQLParams, Plugin } from "graphql-yoga";
import { type Config, ConfigError } from "../config.js";
import { noPersistedOperation, onlyPersistedOperations, unknownPersistedOperation } from "../errors.js";
import type { Metrics } from "../metrics.js";

/** The id → document map; the file is either that object or an Apollo persisted-query manifest. */
export function loadPersistedOperations(file: string, schema: GraphQLSchema): Map<string, string> {
  const fail = (problem: string) => new ConfigError(`PERSISTED_OPERATIONS_FILE (${file}): ${problem}`);
  let content: unknown;
  try {
    content = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw fail(`expected a readable JSON file (${(error as Error).message})`);
  }
  const entries = isApolloManifest(content)
    ? content.operations.map((operation) => [operation.id, operation.body] as const)
    : content !== null && typeof content === "object" && !Array.isArray(content)
      ? Object.entries(content)
      : null;
  if (!entries) throw fail('expected a JSON object { "<id>": "<document>" } or an Apollo persisted-query manifest');
  const operations = new Map<string, string>();
  for (const [id, document] of entries) {
    if (typeof id !== "string" || typeof document !== "string") throw fail(`the entry ${JSON.stringify(id)} is not a string document`);
    let errors;
    try {
      errors = validate(schema, parse(document));
    } catch (error) {
      throw fail(`the document ${id} does not parse: ${(error as Error).message}`);
    }
    if (errors.length > 0) throw fail(`the document ${id} does not fit the schema: ${errors[0]!.message}`);
    operations.set(id, document);
  }
  return operations;
}

type ApolloManifest = { format: "apollo-persisted-query-manifest"; operations: Array<{ id: unknown; body: unknown }> };
const isApolloManifest = (content: unknown): content is ApolloManifest =>
  (content as ApolloManifest | null)?.format === "apollo-persisted-query-manifest" &&
  Array.isArray((content as ApolloManifest).operations);

function persistedOperationId(params: GraphQLParams & { documentId?: unknown }): string | null {
  if (typeof params.documentId === "string") return params.documentId;
  const persistedQuery = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof persistedQuery?.sha256Hash === "string" ? persistedQuery.sha256Hash : null;
}

export function usePersistedOperationsAllowList(options: {
  settings: Config["persistedOperations"];
  schema: GraphQLSchema;
  metrics: Metrics;
}): Plugin {
  const { settings, schema, metrics } = options;
  if (settings.mode === "off" || !settings.file) return {};
  const operations = loadPersistedOperations(settings.file, schema);
  const refusal = (error: () => GraphQLError) => () => {
    metrics.refusals.inc({ limit: "persisted_operations" });
    return error();
  };
  return usePersistedOperations({
    allowArbitraryOperations: settings.mode === "allow",
    extractPersistedOperationId: persistedOperationId,
    getPersistedOperation: (id) => operations.get(id) ?? null,
    customErrors: {
      persistedQueryOnly: refusal(onlyPersistedOperations),
      notFound: refusal(unknownPersistedOperation),
      keyNotFound: refusal(noPersistedOperation),
    },
  }) as Plugin;
}
