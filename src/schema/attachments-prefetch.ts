// Which first page of attachments a records page will ask for, read from the query before
// the page is fetched, so that the page's statement can carry those attachments too (one
// statement instead of two). Only the plain case is prefetched: every `attachments` field
// under `edges.node` asks for the same `first` and no cursor. Anything else (aliases with
// different sizes, `after`, `last`, bad arguments) is left to the attachments resolver,
// which answers it (and its errors) as before.
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLResolveInfo,
  getArgumentValues,
  isObjectType,
  type SelectionSetNode,
} from "graphql";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../pagination/page-request.js";

/** The fields called `name` in a selection set, fragments included (directives are not evaluated). */
function fieldsNamed(
  selectionSet: SelectionSetNode | undefined,
  name: string,
  fragments: Record<string, FragmentDefinitionNode>,
): FieldNode[] {
  if (!selectionSet) return [];
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === "Field") return selection.name.value === name ? [selection] : [];
    if (selection.kind === "InlineFragment") return fieldsNamed(selection.selectionSet, name, fragments);
    const fragment = fragments[selection.name.value];
    return fragment ? fieldsNamed(fragment.selectionSet, name, fragments) : [];
  });
}

/** The `first` of the attachments pages a records connection will ask for, or null. */
export function firstAttachmentsPageSize(info: GraphQLResolveInfo): number | null {
  const recordType = info.schema.getType("Record");
  if (!isObjectType(recordType)) return null;
  const attachmentsField = recordType.getFields().attachments as GraphQLField<unknown, unknown> | undefined;
  if (!attachmentsField) return null;

  const fields = info.fieldNodes
    .flatMap((connection) => fieldsNamed(connection.selectionSet, "edges", info.fragments))
    .flatMap((edges) => fieldsNamed(edges.selectionSet, "node", info.fragments))
    .flatMap((node) => fieldsNamed(node.selectionSet, "attachments", info.fragments));
  if (fields.length === 0) return null;

  const sizes = new Set<number>();
  for (const field of fields) {
    // Directives (@include/@skip) could drop a field: leave such queries to the resolver.
    if (field.directives?.length) return null;
    let args: { first?: unknown; after?: unknown; last?: unknown; before?: unknown };
    try {
      args = getArgumentValues(attachmentsField, field, info.variableValues);
    } catch {
      return null;
    }
    if (args.after != null || args.last != null || args.before != null) return null;
    const first = args.first ?? DEFAULT_PAGE_SIZE;
    if (typeof first !== "number" || !Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) return null;
    sizes.add(first);
  }
  return sizes.size === 1 ? [...sizes][0]! : null;
}
