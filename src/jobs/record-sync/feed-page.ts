// The feed's page format and its validation. A page that is not in the format fails the
// sync (the feed is broken); a record that is invalid is rejected, counted and reported,
// and the rest of the page goes on.
import { z } from "zod";
import { recordFieldRules, storableText, unstorableTextProblem } from "../../records/record-field-rules.js";
import { PermanentJobError } from "../job-errors.js";

// Record fields follow the same rules as createRecord (src/records/record-field-rules.ts).
const feedAttachmentSchema = z.object({
  filename: storableText().trim().min(1, "must not be empty").max(255, "must be at most 255 characters"),
  contentType: z
    .string()
    .trim()
    .regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a media type such as application/pdf"),
  sizeBytes: z.number().int("must be a whole number").min(0, "must not be negative").max(2_147_483_647),
});

const feedRecordSchema = z.object({
  ...recordFieldRules,
  createdDate: z.iso
    .datetime({ offset: true, message: "must be an ISO 8601 date-time" })
    .transform((value) => new Date(value))
    .pipe(recordFieldRules.createdDate),
  attachments: z
    .array(feedAttachmentSchema)
    .max(100, "at most 100 per record")
    .refine((list) => new Set(list.map((item) => item.filename)).size === list.length, "filenames must be unique")
    .optional(),
});

export type FeedRecord = z.output<typeof feedRecordSchema>;
export type Rejection = { referenceNumber: string | null; reason: string };
/** `total`: how many records the whole feed holds, when the page says (docs/record-feed.md). */
export type FeedPage = { records: FeedRecord[]; rejected: Rejection[]; nextCursor: string | null; total: number | null };

const feedPageSchema = z.object({
  records: z.array(z.unknown()),
  nextCursor: storableText().min(1).max(2_000).nullable(),
  total: z.number().int("must be a whole number").min(0, "must not be negative").max(2_147_483_647).nullish(),
});

// A rejection quotes the feed's referenceNumber, and the report is stored (jsonb): quote it so
// it can be stored, and briefly, whatever the feed sent.
const MAX_QUOTED_REFERENCE = 100;
function quotedReference(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const quoted = unstorableTextProblem(value) === null ? value : JSON.stringify(value).slice(1, -1);
  const codePoints = [...quoted]; // never cut a surrogate pair in two
  return codePoints.length > MAX_QUOTED_REFERENCE ? `${codePoints.slice(0, MAX_QUOTED_REFERENCE).join("")}…` : quoted;
}

export function parseFeedPage(body: unknown, maxPageRecords: number): FeedPage {
  const page = feedPageSchema.safeParse(body);
  if (!page.success) {
    const issue = page.error.issues[0]!;
    throw new PermanentJobError(
      `The feed's answer is not a record page (${issue.path.join(".") || "body"}: ${issue.message}).`,
    );
  }
  if (page.data.records.length > maxPageRecords) {
    throw new PermanentJobError(
      `A feed page holds ${page.data.records.length} records; the limit is ${maxPageRecords} per page.`,
    );
  }
  const records: FeedRecord[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  for (const raw of page.data.records) {
    const parsed = feedRecordSchema.safeParse(raw);
    const referenceNumber = quotedReference((raw as { referenceNumber?: unknown } | null)?.referenceNumber);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      rejected.push({ referenceNumber, reason: `${issue.path.join(".") || "record"}: ${issue.message}` });
    } else if (seen.has(parsed.data.referenceNumber)) {
      rejected.push({ referenceNumber, reason: "referenceNumber appears twice in one page" });
    } else {
      seen.add(parsed.data.referenceNumber);
      records.push(parsed.data);
    }
  }
  return { records, rejected, nextCursor: page.data.nextCursor, total: page.data.total ?? null };
}
