// What makes a record's fields valid, wherever a record comes from: the createRecord and
// updateRecord mutations (record-service.ts), and the feeds a sync job reads. One set of
// rules, so a synced record is always one a user could have typed in; the seeds write in SQL
// and test/seed.test.ts holds what they write to the same rules.
import { z } from "zod";

// Text PostgreSQL can store. It refuses U+0000 in text and in jsonb (where a sync's rows and
// a job's report travel), and an unpaired UTF-16 surrogate is no Unicode at all: jsonb refuses
// its escape, and a text column would silently get U+FFFD instead. Every other code point is
// storable in a UTF8 database. Every string a mutation or a feed stores starts from this.
const unpairedSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL would refuse `value` as text, or null when it can store it. */
export function unstorableTextProblem(value: string): string | null {
  if (value.includes("\u0000")) return "must not contain NUL characters (U+0000)";
  if (unpairedSurrogate.test(value)) return "must not contain unpaired UTF-16 surrogates (not valid Unicode)";
  return null;
}

/** A string that PostgreSQL can store (see above); add the field's own rules after it. */
export const storableText = () =>
  z.string().check((context) => {
    const problem = unstorableTextProblem(context.value);
    if (problem) context.issues.push({ code: "custom", message: problem, input: context.value, continue: false });
  });

export const referenceNumberRule = storableText()
  .trim()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._\/-]*$/, "may contain letters, digits, '.', '_', '/' and '-'");

export const categoryCodeRule = storableText()
  .trim()
  .regex(/^[A-Z0-9_-]{1,32}$/, "must be 1 to 32 upper-case letters, digits, '_' or '-' (e.g. CAT001)");

export const titleRule = storableText().trim().min(1, "must not be empty").max(500, "must be at most 500 characters");

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

/**
 * A record's fields, each with its rule: createRecord and updateRecord (record-service.ts), a
 * feed's records (feed-page.ts, which reads createdDate from text first), the seeds' test.
 */
export const recordFieldRules = {
  referenceNumber: referenceNumberRule,
  categoryCode: categoryCodeRule,
  title: titleRule,
  createdDate: recordDateRule,
};
