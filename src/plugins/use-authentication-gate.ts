// Refuses every operation of an unauthenticated request with UNAUTHENTICATED (HTTP 401),
// before any resolver runs. The one exception: schema introspection outside production,
// so GraphiQL and code generators can read the schema without a token.
// Subscriptions pass through onSubscribe here too (Yoga's onExecute does not see them).
import type { Plugin } from "@envelop/core";
import { type DocumentNode, type OperationDefinitionNode, Kind } from "graphql";
import type { Viewer } from "../auth/authenticate.js";
import { unauthenticated } from "../errors.js";

/** What the gate reads of the context (buildContext puts it there). */
type AuthenticatedContext = { viewer: Viewer | null; authFailure: string | null };

function isIntrospectionOnly(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName
    ? operations.find((candidate) => candidate.name?.value === operationName)
    : operations[0];
  if (!operation || operation.operation !== "query") return false;
  return operation.selectionSet.selections.every(
    (selection) =>
      selection.kind === Kind.FIELD && ["__schema", "__type", "__typename"].includes(selection.name.value),
  );
}

export function useAuthenticationGate(options: { allowAnonymousIntrospection: boolean }): Plugin<AuthenticatedContext> {
  const refusal = (context: AuthenticatedContext) => unauthenticated(context.authFailure ?? undefined);
  const allowed = (context: AuthenticatedContext, document: DocumentNode, operationName?: string | null) =>
    context.viewer !== null ||
    (options.allowAnonymousIntrospection && isIntrospectionOnly(document, operationName));
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!allowed(args.contextValue, args.document, args.operationName)) {
        setResultAndStopExecution({ errors: [refusal(args.contextValue)] });
      }
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (!allowed(args.contextValue, args.document, args.operationName)) {
        setResultAndStopExecution({ errors: [refusal(args.contextValue)] });
      }
    },
  };
}
