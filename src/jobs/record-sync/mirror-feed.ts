// A sync started with `mirror: true` makes the customer's records what its feed lists: each
// page's transaction notes the records the page listed (valid or rejected: a record the feed
// still lists but sent invalid this time is not deleted for it), and the last page's
// transaction deletes the customer's records the feed did not list, with their attachments.
// A record created or changed after the sync started (by a user, meanwhile) is kept: the
// feed cannot have listed it. Every statement binds the customer id.
import type { JobTransaction } from "../job-lease.js";

export type MirrorTarget = { jobId: string; customerId: string; startedAt: Date };
export type RemovedRecords = { recordIds: string[]; storageKeys: string[] };

/** Notes the customer's records with these reference numbers as listed by this sync. One statement. */
export async function markListed(tx: JobTransaction, target: MirrorTarget, referenceNumbers: string[]): Promise<void> {
  if (referenceNumbers.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO "SyncListedRecord" ("jobId", "recordId")
    SELECT ${target.jobId}::uuid, r.id FROM "Record" r
     WHERE r."customerId" = ${target.customerId}::uuid
       AND r."referenceNumber" IN (SELECT jsonb_array_elements_text(${JSON.stringify(referenceNumbers)}::jsonb))
    ON CONFLICT DO NOTHING`;
}

/** Deletes the records the feed did not list; answers them and their attachments' stored files. */
export async function removeUnlisted(tx: JobTransaction, target: MirrorTarget): Promise<RemovedRecords> {
  const rows = await tx.$queryRaw<Array<{ id: string; storageKey: string | null }>>`
    SELECT r.id::text AS id, a."storageKey"
      FROM "Record" r
      LEFT JOIN "Attachment" a ON a."customerId" = r."customerId" AND a."recordId" = r.id
     WHERE r."customerId" = ${target.customerId}::uuid
       AND r."updatedAt" < ${target.startedAt}
       AND NOT EXISTS (SELECT 1 FROM "SyncListedRecord" s WHERE s."jobId" = ${target.jobId}::uuid AND s."recordId" = r.id)
       FOR UPDATE OF r`;
  const recordIds = [...new Set(rows.map((row) => row.id))];
  if (recordIds.length > 0) {
    // Attachments go with their records (ON DELETE CASCADE).
    await tx.$executeRaw`
      DELETE FROM "Record"
       WHERE "customerId" = ${target.customerId}::uuid
         AND id IN (SELECT (jsonb_array_elements_text(${JSON.stringify(recordIds)}::jsonb))::uuid)`;
  }
  await tx.$executeRaw`DELETE FROM "SyncListedRecord" WHERE "jobId" = ${target.jobId}::uuid`;
  return { recordIds, storageKeys: rows.flatMap((row) => (row.storageKey ? [row.storageKey] : [])) };
}
