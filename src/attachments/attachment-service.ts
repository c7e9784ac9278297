// Adding a file to a record and removing one. Each call goes permission → validation → file
// storage and the tenant-scoped client → stored-file clean-up → response-cache eviction (the
// record's attachments and attachmentCount), so every writer of attachments gets all of them;
// the GraphQL mutations (src/schema/attachment-mutations.ts) only pass their arguments through.
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { requireWriter } from "../auth/permissions.js";
import type { Caller } from "../auth/viewer.js";
import type { ResponseCache } from "../cache/response-cache.js";
import { isForeignKeyViolation, isMissingRow } from "../db/prisma-errors.js";
import { badUserInput, notFound } from "../errors.js";
import type { Attachment } from "../generated/prisma/client.js";
import { type FileStorage, storageKeyFor } from "../storage/file-storage.js";
import { sanitizeFilename } from "../storage/filename.js";
import type { IncomingUpload } from "../storage/incoming-upload.js";
import { deleteStoredFiles } from "../storage/stored-file-cleanup.js";
import { FileTooLargeError, storeUpload } from "../storage/store-upload.js";
import { requireNodeId } from "../validation/global-id.js";

export class AttachmentService {
  constructor(
    private readonly collaborators: {
      responseCache: ResponseCache;
      storage: FileStorage;
      logger: Logger;
      /** MAX_UPLOAD_BYTES */
      maxUploadBytes: number;
    },
  ) {}

  /** Streams the file to storage, then adds its row to the record (a global id). */
  async add(caller: Caller, input: { recordId: string; file: IncomingUpload }): Promise<Attachment> {
    const viewer = requireWriter(caller.viewer);
    const recordId = requireNodeId(input.recordId, "Record", "recordId");
    // Before any byte is read: another customer's (or no) record costs no storage.
    const record = await caller.tenantDb.record.findFirst({ where: { id: recordId }, select: { id: true } });
    if (!record) throw notFound("Record");

    const file = await input.file.take();
    const { storage, logger, maxUploadBytes } = this.collaborators;
    const key = storageKeyFor(viewer.customer.id, randomUUID());
    let stored;
    try {
      stored = await storeUpload(storage, key, file.stream, maxUploadBytes);
    } catch (error) {
      if (error instanceof FileTooLargeError) {
        throw badUserInput(`The file is larger than the limit of ${error.maxBytes} bytes (MAX_UPLOAD_BYTES).`, "file");
      }
      throw error;
    }
    let attachment;
    try {
      attachment = await caller.tenantDb.attachment.create({
        data: {
          customerId: viewer.customer.id,
          recordId,
          filename: sanitizeFilename(file.filename),
          contentType: stored.contentType,
          sizeBytes: stored.sizeBytes,
          storageKey: key,
        },
      });
    } catch (error) {
      await deleteStoredFiles(storage, logger, [key]);
      // The record was deleted while the file streamed in.
      if (isForeignKeyViolation(error)) throw notFound("Record");
      throw error;
    }
    await this.attachmentsChanged(viewer.customer.id, recordId, attachment.id);
    return attachment;
  }

  /** Removes the attachment (a global id) and its file; the removed row. */
  async remove(caller: Caller, input: { id: string }): Promise<Attachment> {
    const viewer = requireWriter(caller.viewer);
    const id = requireNodeId(input.id, "Attachment", "id");
    let removed;
    try {
      removed = await caller.tenantDb.attachment.delete({ where: { id } });
    } catch (error) {
      if (isMissingRow(error)) throw notFound("Attachment");
      throw error;
    }
    // The row is gone for good; the file follows (or is left to the orphan sweep).
    await deleteStoredFiles(this.collaborators.storage, this.collaborators.logger, [removed.storageKey]);
    await this.attachmentsChanged(viewer.customer.id, removed.recordId, id);
    return removed;
  }

  /** RESPONSE CACHE: a record's `attachments` and `attachmentCount` changed (one call per write). */
  private attachmentsChanged(customerId: string, recordId: string, attachmentId: string): Promise<void> {
    return this.collaborators.responseCache.attachmentsChanged(customerId, {
      recordIds: [recordId],
      attachmentIds: [attachmentId],
    });
  }
}
