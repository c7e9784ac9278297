// Attachments: by id, counts per record, and a page of attachments per record for all
// records of a page in ONE statement (src/queries/attachments-page.ts).
import DataLoader from "dataloader";
import type { TenantScopedClient } from "../db/tenant-scope.js";
import type { Attachment } from "../generated/prisma/client.js";
import type { Keyset } from "../pagination/keyset-sql.js";
import { fetchAttachmentPages } from "../queries/attachments-page.js";
import { createByIdLoader, type LoaderOptions } from "./by-id-loader.js";

/** One page of one record's attachments: limit + 1 rows at most, in (createdAt, id) order. */
export type AttachmentPageKey = { recordId: string; limit: number; after: Keyset | null };

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
        const pages = await fetchAttachmentPages(db, group.map((key) => key.recordId), { limit, after });
        for (const [recordId, rows] of pages) rowsByRecord.set(recordId, rows);
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
