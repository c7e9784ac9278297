// What the API tells strangers about its schema. In production (or with INTROSPECTION=off,
// FIELD_SUGGESTIONS=off) introspection is refused even with a token, and "Did you mean …?" hints,
// which spell out field, argument and enum names one guess at a time, are cut from errors.
import type { ASTVisitor, ExecutionResult, GraphQLError, ValidationContext } from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { forbidden, withMessage } from "../errors.js";
import { authenticationOf } from "../request/authentication.js";

const INTROSPECTION_FIELDS = new Set(["__schema", "__type"]);
const suggestion = / ?Did you mean .+\?$/;

function noIntrospection(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (!INTROSPECTION_FIELDS.has(node.name.value)) return;
      context.reportError(forbidden("Introspection is off on this server (INTROSPECTION).", [node]));
    },
  };
}

const withoutSuggestion = (error: GraphQLError) =>
  suggestion.test(error.message) ? withMessage(error, error.message.replace(suggestion, "")) : error;

export function useSchemaDisclosure(options: { introspection: boolean; fieldSuggestions: boolean }): Plugin {
  return {
    onValidate({ addValidationRule, context }) {
      // Without a viewer the authentication gate answers (UNAUTHENTICATED, as the contract
      // says). Yoga caches validation per set of rule names, so the two cases never mix.
      if (!options.introspection && authenticationOf(context.request)?.viewer) addValidationRule(noIntrospection);
    },
    // Validation and variable-coercion errors both suggest names, so every result is cleaned.
    onResultProcess({ result, setResult }) {
      if (options.fieldSuggestions || isAsyncIterable(result)) return;
      const clean = <Result extends ExecutionResult>(single: Result): Result =>
        single.errors?.some((error) => suggestion.test(error.message))
          ? { ...single, errors: single.errors.map(withoutSuggestion) }
          : single;
      setResult(Array.isArray(result) ? result.map(clean) : clean(result));
    },
  };
}
