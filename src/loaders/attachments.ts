// Attachments: by id, counts per record, and the first page of attachments per record
// for all records of a page in ONE statement (a LATERAL join, each side using the
// (customerId, recordId, createdAt, id) index with its own LIMIT).
import DataLoader from "dataloader";
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { type Attachment, Prisma } from "../generated/prisma/client.js";
import type { Keyset } from "../pagination/keyset-sql.js";
import { createByIdLoader, type LoaderOptions } from "./by-id-loader.js";

/** One page of one record's attachments: limit + 1 rows at most, in (createdAt, id) order. */
export type AttachmentPageKey = { recordId: string; limit: number; after: Keyset | null };

function attachmentsAfter(after: Keyset | null) {
  return after
    ? Prisma.sql`AND (x."createdAt", x."id") > (${after.value}::timestamptz, ${after.id}::uuid)`
    : Prisma.empty;
}

export function createAttachmentLoaders(db: TenantScopedClient, options: LoaderOptions) {
  const attachmentPages = new DataLoader<AttachmentPageKey, Attachment[], string>(
    async (keys) => {
      // Keys asked together nearly always share limit and cursor; group them just in case.
      const groups = new Map<string, AttachmentPageKey[]>();
      for (const key of keys) {
        const group = JSON.stringify([key.limit, key.after]);
        groups.set(group, [...(groups.get(group) ?? []), key]);
      }
      const rowsByRecord = new Map<string, Attachment[]>();
      for (const group of groups.values()) {
        const { limit, after } = group[0]!;
        const recordIds = group.map((key) => key.recordId);
        const rows = await db.$queryTenant<Attachment>(
          (customerId) => Prisma.sql`
            SELECT a.* FROM unnest(${recordIds}::uuid[]) AS r("id")
            CROSS JOIN LATERAL (
              SELECT x.* FROM "Attachment" x
              WHERE x."customerId" = ${customerId}::uuid AND x."recordId" = r."id" ${attachmentsAfter(after)}
              ORDER BY x."createdAt", x."id"
              LIMIT ${limit + 1}
            ) a`,
        );
        for (const row of rows) {
          const ofRecord = rowsByRecord.get(row.recordId);
          if (ofRecord) ofRecord.push(row);
          else rowsByRecord.set(row.recordId, [row]);
        }
      }
      return keys.map((key) => rowsByRecord.get(key.recordId) ?? []);
    },
    { batch: options.batch, cacheKeyFn: (key) => JSON.stringify([key.recordId, key.limit, key.after]) },
  );

  const attachmentCountByRecordId = new DataLoader<string, number>(
    async (recordIds) => {
      const counts = await db.attachment.groupBy({
        by: ["recordId"],
        where: { recordId: { in: [...recordIds] } },
        _count: { _all: true },
      });
      const byRecord = new Map(counts.map((row) => [row.recordId, row._count._all]));
      return recordIds.map((id) => byRecord.get(id) ?? 0);
    },
    { batch: options.batch },
  );

  return {
    attachmentById: createByIdLoader((ids) => db.attachment.findMany({ where: { id: { in: ids } } }), options),
    attachmentCountByRecordId,
    attachmentPages,
  };
}
