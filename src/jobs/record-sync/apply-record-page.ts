// Writes one validated feed page for one customer, inside the page's transaction: records
// are upserted by (customer, referenceNumber), attachment metadata by (record, filename).
// A record is "unchanged" when nothing differs, and then nothing is written for it, so a
// second run of the same feed writes nothing. Attachments a record's list no longer has are
// removed (their stored files are deleted by the caller after the commit). Three reads and at
// most five writes per page, whatever its size. Every statement binds the customer id (this runs outside the
// request-scoped tenant client, for the job's own customer).
import type { JobTransaction } from "../job-lease.js";
import type { FeedRecord } from "./feed-page.js";

export type PageChanges = {
  created: number;
  updated: number;
  unchanged: number;
  changedRecordIds: string[];
  /** Attachments removed because their record's list no longer has them, and their stored files. */
  attachmentsRemoved: number;
  removedStorageKeys: string[];
};

type ExistingRecord = {
  id: string;
  referenceNumber: string;
  categoryCode: string;
  title: string;
  createdDate: Date;
  attachments: Array<{ id: string; filename: string; contentType: string; sizeBytes: number; storageKey: string | null }>;
};

type AttachmentChange = { id: string; contentType: string; sizeBytes: number };
type NewAttachment = { recordId: string; filename: string; contentType: string; sizeBytes: number };

function fieldsDiffer(existing: ExistingRecord, incoming: FeedRecord): boolean {
  return (
    existing.categoryCode !== incoming.categoryCode ||
    existing.title !== incoming.title ||
    existing.createdDate.getTime() !== incoming.createdDate.getTime()
  );
}

/**
 * What the feed's attachment list changes on one record. A record that sends `attachments`
 * sends the whole list: the ones it no longer has are removed. One that sends none keeps its own.
 */
function attachmentChanges(recordId: string, existing: ExistingRecord["attachments"], incoming: FeedRecord) {
  const added: NewAttachment[] = [];
  const changed: AttachmentChange[] = [];
  const listed = new Set((incoming.attachments ?? []).map((attachment) => attachment.filename));
  const removed = incoming.attachments ? existing.filter((attachment) => !listed.has(attachment.filename)) : [];
  const byFilename = new Map(existing.map((attachment) => [attachment.filename, attachment]));
  for (const attachment of incoming.attachments ?? []) {
    const current = byFilename.get(attachment.filename);
    if (!current) added.push({ recordId, ...attachment });
    else if (current.contentType !== attachment.contentType || current.sizeBytes !== attachment.sizeBytes) {
      changed.push({ id: current.id, contentType: attachment.contentType, sizeBytes: attachment.sizeBytes });
    }
  }
  return { added, changed, removed };
}

export async function applyRecordPage(tx: JobTransaction, customerId: string, records: FeedRecord[]): Promise<PageChanges> {
  if (records.length === 0) {
    return { created: 0, updated: 0, unchanged: 0, changedRecordIds: [], attachmentsRemoved: 0, removedStorageKeys: [] };
  }
  const existing: ExistingRecord[] = await tx.record.findMany({
    where: { customerId, referenceNumber: { in: records.map((record) => record.referenceNumber) } },
    select: {
      id: true,
      referenceNumber: true,
      categoryCode: true,
      title: true,
      createdDate: true,
      attachments: { select: { id: true, filename: true, contentType: true, sizeBytes: true, storageKey: true } },
    },
  });
  const existingByReference = new Map(existing.map((record) => [record.referenceNumber, record]));

  const fresh = records.filter((record) => !existingByReference.has(record.referenceNumber));
  const created = fresh.length
    ? await tx.record.createManyAndReturn({
        data: fresh.map(({ attachments: _, ...record }) => ({ ...record, customerId })),
        select: { id: true, referenceNumber: true },
      })
    : [];
  const createdIds = new Map(created.map((record) => [record.referenceNumber, record.id]));

  const updatedRecords: FeedRecord[] = [];
  const updatedIds: string[] = [];
  const addedAttachments: NewAttachment[] = [];
  const changedAttachments: AttachmentChange[] = [];
  const removedAttachments: ExistingRecord["attachments"] = [];
  for (const record of records) {
    const current = existingByReference.get(record.referenceNumber);
    const recordId = current?.id ?? createdIds.get(record.referenceNumber)!;
    const { added, changed, removed } = attachmentChanges(recordId, current?.attachments ?? [], record);
    addedAttachments.push(...added);
    changedAttachments.push(...changed);
    removedAttachments.push(...removed);
    if (current && (fieldsDiffer(current, record) || added.length > 0 || changed.length > 0 || removed.length > 0)) {
      updatedRecords.push(record);
      updatedIds.push(current.id);
    }
  }

  if (updatedRecords.length > 0) {
    const rows = updatedRecords.map((record, index) => ({
      id: updatedIds[index],
      categoryCode: record.categoryCode,
      title: record.title,
      createdDate: record.createdDate.toISOString(),
    }));
    await tx.$executeRaw`
      UPDATE "Record" AS r
      SET "categoryCode" = v."categoryCode", title = v.title, "createdDate" = v."createdDate", "updatedAt" = now()
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        AS v(id uuid, "categoryCode" text, title text, "createdDate" timestamptz)
      WHERE r.id = v.id AND r."customerId" = ${customerId}::uuid`;
  }
  if (removedAttachments.length > 0) {
    await tx.attachment.deleteMany({ where: { customerId, id: { in: removedAttachments.map((attachment) => attachment.id) } } });
  }
  if (addedAttachments.length > 0) {
    await tx.attachment.createMany({ data: addedAttachments.map((attachment) => ({ ...attachment, customerId })) });
  }
  if (changedAttachments.length > 0) {
    await tx.$executeRaw`
      UPDATE "Attachment" AS a
      SET "contentType" = v."contentType", "sizeBytes" = v."sizeBytes"
      FROM jsonb_to_recordset(${JSON.stringify(changedAttachments)}::jsonb)
        AS v(id uuid, "contentType" text, "sizeBytes" int)
      WHERE a.id = v.id AND a."customerId" = ${customerId}::uuid`;
  }
  return {
    created: created.length,
    updated: updatedRecords.length,
    unchanged: records.length - created.length - updatedRecords.length,
    changedRecordIds: [...created.map((record) => record.id), ...updatedIds],
    attachmentsRemoved: removedAttachments.length,
    removedStorageKeys: removedAttachments.flatMap((attachment) => (attachment.storageKey ? [attachment.storageKey] : [])),
  };
}

