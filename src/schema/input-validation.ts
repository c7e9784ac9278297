// Validates mutation inputs with zod and reports the first problem as BAD_USER_INPUT
// naming the field, in words a form can show.
import type { z } from "zod";
import { badUserInput } from "../errors.js";

export function validateInput<Schema extends z.ZodType>(schema: Schema, input: unknown): z.output<Schema> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".");
  throw badUserInput(field ? `${field}: ${issue.message}` : issue.message, field || undefined);
}
