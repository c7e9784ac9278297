// Response cache keys carry the session and what the operation reads beyond the entities it
// shows (record lists, statistics), in the clear, so that the store (tenant-tagged-cache.ts) can
// tag each cached response for invalidation without seeing the request, and so that an
// If-None-Match can be checked against the caller's own session. The key reaches the client
// only as the ETag of its own responses.
import { createHash } from "node:crypto";
import { Kind, type OperationDefinitionNode, parse } from "graphql";
import { ByteBoundedLru } from "./byte-bounded-lru.js";

export type CacheSession = { customerId: string; userId: string };

/**
 * Root fields whose answers change when any of the customer's records is created, changed or
 * deleted, beyond the entities they show: lists, counts, null lookups, and node lookups of a
 * deleted record's attachments (the delete knows the record's id only).
 */
const recordListFields = new Set(["records", "recordByReference", "node", "nodes"]);
/** Root fields that count the customer's records, attachments and jobs (no entity to evict by). */
const recordStatsFields = new Set(["recordStats"]);

/** What an operation reads beyond its entities, i.e. which customer-wide evictions must drop it. */
export type ReadsBeyondEntities = { recordLists: boolean; recordStats: boolean };

const LIST_TAG = "records";
const STATS_TAG = "stats";
const NO_TAG = "-";

export function sessionPrefix(session: CacheSession): string {
  return `${session.customerId}:${session.userId}:`;
}

export function buildResponseCacheKey(
  session: CacheSession,
  params: { documentString: string; operationName?: string | null; variableValues?: unknown },
): string {
  // Plain JSON of the variables: two orders of the same keys only make two entries, never a wrong hit.
  const hash = createHash("sha256")
    .update(params.documentString)
    .update("|")
    .update(params.operationName ?? "")
    .update("|")
    .update(JSON.stringify(params.variableValues ?? {}))
    .digest("base64url");
  const reads = readsBeyondEntities(params.documentString, params.operationName);
  const tags = [...(reads.recordLists ? [LIST_TAG] : []), ...(reads.recordStats ? [STATS_TAG] : [])];
  return `${sessionPrefix(session)}${tags.join("+") || NO_TAG}:${hash}`;
}

export type ParsedCacheKey = CacheSession & { reads: ReadsBeyondEntities };

export function parseResponseCacheKey(key: string): ParsedCacheKey | null {
  const [customerId, userId, tag, hash] = key.split(":");
  if (!customerId || !userId || !tag || !hash) return null;
  const tags = tag.split("+");
  return { customerId, userId, reads: { recordLists: tags.includes(LIST_TAG), recordStats: tags.includes(STATS_TAG) } };
}

// Documents repeat (clients send the same few operations): remember the answer per document,
// within a byte budget too: each entry's key is a whole document, and documents can be large.
const REMEMBERED_DOCUMENTS = { maxEntries: 1_000, maxBytes: 8 * 1024 * 1024 };
/** The key at two bytes a character, and the small map of answers. */
const weighAnalysis = (documentString: string) => documentString.length * 2 + 256;
export const rootFieldsByDocument = new ByteBoundedLru<Map<string | null, ReadsBeyondEntities>>(REMEMBERED_DOCUMENTS, weighAnalysis);

// Unknown operation or unparsable document: the request fails and nothing is cached, but answer
// "reads everything" so that a mistake here can only cost evictions, never staleness.
const READS_EVERYTHING: ReadsBeyondEntities = { recordLists: true, recordStats: true };

function readsBeyondEntities(documentString: string, operationName: string | null | undefined): ReadsBeyondEntities {
  let byOperation = rootFieldsByDocument.get(documentString);
  if (!byOperation) {
    byOperation = analyse(documentString);
    rootFieldsByDocument.set(documentString, byOperation);
  }
  return byOperation.get(operationName ?? null) ?? byOperation.get(null) ?? READS_EVERYTHING;
}

function analyse(documentString: string): Map<string | null, ReadsBeyondEntities> {
  const answers = new Map<string | null, ReadsBeyondEntities>();
  let document;
  try {
    document = parse(documentString);
  } catch {
    return answers;
  }
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  // Fragments at the root (`{ ...F }`) are not followed: count them as reading everything.
  for (const operation of operations) {
    const readsAny = (fields: Set<string>) =>
      operation.selectionSet.selections.some(
        (selection) => selection.kind !== Kind.FIELD || fields.has(selection.name.value),
      );
    const reads = { recordLists: readsAny(recordListFields), recordStats: readsAny(recordStatsFields) };
    answers.set(operation.name?.value ?? null, reads);
    if (operations.length === 1) answers.set(null, reads);
  }
  return answers;
}
