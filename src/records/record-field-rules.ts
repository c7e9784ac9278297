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

// A record's date lies in years 0001 to 9999 of UTC, the range every part of the stack can
// hold and print: JavaScript's toISOString, the DateTime scalar and the pg drivers all
// read year 10000 (e.g. "9999-12-31T23:59:59-23:59") or a BC date back as an invalid date,
// which made every list holding such a row fail. Checked on the instant (i.e. in UTC), so
// the offset a client writes cannot move a date out of range. The database holds the same
// range as a CHECK constraint (migration 20261202023000_record_date_range).
export const EARLIEST_RECORD_DATE = new Date("0001-01-01T00:00:00.000Z");
export const LATEST_RECORD_DATE = new Date("9999-12-31T23:59:59.999Z");
export const RECORD_DATE_RANGE_TEXT = `from ${EARLIEST_RECORD_DATE.toISOString()} to ${LATEST_RECORD_DATE.toISOString()} (UTC)`;
const outOfRange = `must be ${RECORD_DATE_RANGE_TEXT}`;

export const recordDateRule = z.date("must be a date").min(EARLIEST_RECORD_DATE, outOfRange).max(LATEST_RECORD_DATE, outOfRange);
