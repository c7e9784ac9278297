// Whether a field is selected directly under the current field (fragments included),
// for work worth doing only when asked for (a connection's totalCount).
import type { FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from "graphql";

function selects(
  selectionSet: SelectionSetNode | undefined,
  name: string,
  fragments: Record<string, FragmentDefinitionNode>,
): boolean {
  if (!selectionSet) return false;
  return selectionSet.selections.some((selection) => {
    if (selection.kind === "Field") return selection.name.value === name;
    if (selection.kind === "InlineFragment") return selects(selection.selectionSet, name, fragments);
    const fragment = fragments[selection.name.value];
    return fragment ? selects(fragment.selectionSet, name, fragments) : false;
  });
}

export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  return info.fieldNodes.some((node) => selects(node.selectionSet, name, info.fragments));
}
