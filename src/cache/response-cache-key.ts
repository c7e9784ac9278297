// Response cache keys carry the session and the lists the operation reads, in the clear, so
// that the store (tenant-tagged-cache.ts) can tag each cached response for invalidation
// without seeing the request, and so that an If-None-Match can be checked against the
// caller's own session. The key reaches the client only as the ETag of its own responses.
import { createHash } from "node:crypto";
import { Kind, type OperationDefinitionNode, parse } from "graphql";

export type CacheSession = { customerId: string; userId: string };

/**
 * Root fields whose answers change when any of the customer's records is created, changed or
 * deleted, beyond the entities they show: lists, counts, null lookups, and node lookups of a
 * deleted record's attachments (the delete knows the record's id only).
 */
const recordListFields = new Set(["records", "recordByReference", "node", "nodes"]);

const LIST_TAG = "records";
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
  const tag = readsRecordLists(params.documentString, params.operationName) ? LIST_TAG : NO_TAG;
  return `${sessionPrefix(session)}${tag}:${hash}`;
}

export type ParsedCacheKey = CacheSession & { readsRecordLists: boolean };

export function parseResponseCacheKey(key: string): ParsedCacheKey | null {
  const [customerId, userId, tag, hash] = key.split(":");
  if (!customerId || !userId || !tag || !hash) return null;
  return { customerId, userId, readsRecordLists: tag === LIST_TAG };
}

// Documents repeat (clients send the same few operations): remember the answer per document.
const MAX_REMEMBERED_DOCUMENTS = 1_000;
const rootFieldsByDocument = new Map<string, Map<string | null, boolean>>();

function readsRecordLists(documentString: string, operationName: string | null | undefined): boolean {
  let byOperation = rootFieldsByDocument.get(documentString);
  if (!byOperation) {
    byOperation = analyse(documentString);
    if (rootFieldsByDocument.size >= MAX_REMEMBERED_DOCUMENTS) {
      rootFieldsByDocument.delete(rootFieldsByDocument.keys().next().value!);
    }
    rootFieldsByDocument.set(documentString, byOperation);
  }
  const answer = byOperation.get(operationName ?? null) ?? byOperation.get(null);
  // Unknown operation or unparsable document: the request fails and nothing is cached, but
  // answer "reads lists" so that a mistake here can only cost evictions, never staleness.
  return answer ?? true;
}

function analyse(documentString: string): Map<string | null, boolean> {
  const answers = new Map<string | null, boolean>();
  let document;
  try {
    document = parse(documentString);
  } catch {
    return answers;
  }
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  // Fragments at the root (`{ ...F }`) are not followed: count them as reading lists.
  for (const operation of operations) {
    const reads = operation.selectionSet.selections.some(
      (selection) => selection.kind !== Kind.FIELD || recordListFields.has(selection.name.value),
    );
    answers.set(operation.name?.value ?? null, reads);
    if (operations.length === 1) answers.set(null, reads);
  }
  return answers;
}
