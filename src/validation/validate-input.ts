// Validates inputs with zod (mutation inputs in the write services, query filters in the
// schema) and reports every bad field at once, as one BAD_USER_INPUT error whose
// extensions.fields maps each field to its message (in words a form can show next to it), so
// a client fixes its input in one round trip.
import { z } from "zod";
import { invalidFields } from "../errors.js";
import { parseNodeId } from "./global-id.js";

export function validateInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const field = issue.path.map(String).join(".");
    // A field's first problem is the one to fix first (e.g. "must not be empty" before its format).
    fields[field] ??= issue.message;
  }
  throw invalidFields(fields);
}

/** A global id of `typename` in an input, validated with the rest of the input: its database id. */
export const nodeIdRule = (typename: string) =>
  z.string().transform((value, context) => {
    const parsed = parseNodeId(value);
    if (parsed && parsed.typename === typename) return parsed.id;
    context.addIssue({ code: "custom", message: `is not a valid ${typename} id` });
    return z.NEVER;
  });
