// What makes a record's fields valid, wherever a record comes from: the createRecord and
// updateRecord mutations, and the feeds a sync job reads. One set of rules, so a synced
// record is always one a user could have typed in.
import { z } from "zod";

export const referenceNumberRule = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/, "may contain letters, digits, '.', '_', '/' and '-'");

export const categoryCodeRule = z
  .string()
  .trim()
  .regex(/^[A-Z0-9_-]{1,32}$/, "must be 1 to 32 upper-case letters, digits, '_' or '-' (e.g. CAT001)");

export const titleRule = z.string().trim().min(1, "must not be empty").max(500, "must be at most 500 characters");
