// One page of attachments per record, for many records in ONE statement: each record's
// rows come from the (customerId, recordId, createdAt, id) index with their own LIMIT.
// The records page embeds the same subquery (firstAttachmentsOf) so that a page and the
// first attachments of its records can be one statement; both share the order and limit here.
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { type Attachment, Prisma } from "../generated/prisma/client.js";
import type { Keyset } from "../pagination/keyset-sql.js";

/** The attachments of the record whose id is `recordId` (SQL), after `after`, limit + 1 rows, in page order. */
function attachmentsOfRecord(customerId: string, recordId: Prisma.Sql, limit: number, after: Keyset | null): Prisma.Sql {
  const afterKey = after
    ? Prisma.sql`AND (x."createdAt", x."id") > (${after.value}::timestamptz, ${after.id}::uuid)`
    : Prisma.empty;
  return Prisma.sql`
    SELECT x.* FROM "Attachment" x
    WHERE x."customerId" = ${customerId}::uuid AND x."recordId" = ${recordId} ${afterKey}
    ORDER BY x."createdAt", x."id"
    LIMIT ${limit + 1}`;
}

/** Each record's page of attachments (limit + 1 rows at most, to tell whether there are more). */
export async function fetchAttachmentPages(
  db: TenantScopedClient,
  recordIds: string[],
  page: { limit: number; after: Keyset | null },
): Promise<Map<string, Attachment[]>> {
  const rows = await db.$queryTenant<Attachment>(
    (customerId) => Prisma.sql`
      SELECT a.* FROM unnest(${recordIds}::uuid[]) AS r("id")
      CROSS JOIN LATERAL (${attachmentsOfRecord(customerId, Prisma.sql`r."id"`, page.limit, page.after)}) a`,
  );
  const byRecord = new Map<string, Attachment[]>();
  for (const row of rows) {
    const ofRecord = byRecord.get(row.recordId);
    if (ofRecord) ofRecord.push(row);
    else byRecord.set(row.recordId, [row]);
  }
  return byRecord;
}

/** A column of the records page: the first page of each record's attachments, as a JSON array. */
export function firstAttachmentsOf(customerId: string, recordId: Prisma.Sql, limit: number): Prisma.Sql {
  return Prisma.sql`(
    SELECT coalesce(json_agg(a ORDER BY a."createdAt", a."id"), '[]'::json)
    FROM (${attachmentsOfRecord(customerId, recordId, limit, null)}) a
  )`;
}

/** An attachment as firstAttachmentsOf returns it (JSON: the timestamp is a string). */
export type AttachmentJson = Omit<Attachment, "createdAt"> & { createdAt: string };

/** Turns the parsed JSON into an Attachment in place: the object is fresh from JSON.parse, and a copy per attachment showed in the profile. */
export function attachmentFromJson(json: AttachmentJson): Attachment {
  const attachment = json as unknown as Attachment;
  attachment.createdAt = new Date(json.createdAt);
  return attachment;
}
