// addAttachment and removeAttachment, and the File scalar they take.
// Each: permission → validation → storage → database → (cache invalidation).
import { randomUUID } from "node:crypto";
import type { InputRef } from "@pothos/core";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { requireWriter } from "../auth/permissions.js";
import type { Context } from "../context.js";
import { badUserInput, notFound } from "../errors.js";
import { storageKeyFor } from "../storage/file-storage.js";
import { sanitizeFilename } from "../storage/filename.js";
import { IncomingUpload } from "../storage/incoming-upload.js";
import { deleteStoredFiles } from "../storage/stored-file-cleanup.js";
import { FileTooLargeError, storeUpload } from "../storage/store-upload.js";
import { AttachmentRef } from "./attachment.js";
import { builder } from "./builder.js";
import { requireNodeId } from "../validation/global-id.js";
import { isForeignKeyViolation, isMissingRow } from "../db/prisma-errors.js";
import { RecordRef } from "./record.js";

const notAnUpload = () =>
  badUserInput("file must be sent as a file part of a multipart request (GraphQL multipart request spec).", "file");

// Input only. The builder's Scalars map does not list File (it lives here, with its only
// users), hence the cast to a ref of the right input shape.
const FileScalar = (builder.scalarType as (name: string, options: object) => unknown)("File", {
  description: "A file sent per the GraphQL multipart request spec.",
  serialize: () => {
    throw new Error("File is an input-only scalar.");
  },
  parseValue: (value: unknown) => {
    if (value instanceof IncomingUpload) return value;
    throw notAnUpload();
  },
  parseLiteral: () => {
    throw notAnUpload();
  },
}) as InputRef<IncomingUpload>;

const AddAttachmentInput = builder.inputType("AddAttachmentInput", {
  fields: (t) => ({
    recordId: t.id({ required: true }),
    file: t.field({ type: FileScalar, required: true }),
  }),
});

const RemoveAttachmentInput = builder.inputType("RemoveAttachmentInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

type AttachmentRow = NonNullable<Awaited<ReturnType<Context["tenantDb"]["attachment"]["findFirst"]>>>;

const AddAttachmentPayload = builder.objectRef<{ attachment: AttachmentRow }>("AddAttachmentPayload").implement({
  fields: (t) => ({ attachment: t.field({ type: AttachmentRef, resolve: (payload) => payload.attachment }) }),
});

const RemoveAttachmentPayload = builder
  .objectRef<{ removedAttachmentId: string; recordId: string }>("RemoveAttachmentPayload")
  .implement({
    fields: (t) => ({
      removedAttachmentId: t.exposeID("removedAttachmentId"),
      record: t.field({
        type: RecordRef,
        nullable: true,
        description: "The record the attachment belonged to; null if it was deleted meanwhile.",
        resolve: (payload, _args, ctx) => ctx.loaders.recordById.load(payload.recordId),
      }),
    }),
  });

/** RESPONSE CACHE: a record's `attachments` and `attachmentCount` changed (one call per mutation). */
function attachmentsChanged(ctx: Context, recordId: string, attachmentId: string): Promise<void> {
  return ctx.services.responseCache.attachmentsChanged(ctx.viewer!.customer.id, {
    recordIds: [recordId],
    attachmentIds: [attachmentId],
  });
}


builder.mutationField("addAttachment", (t) =>
  t.field({
    type: AddAttachmentPayload,
    args: { input: t.arg({ type: AddAttachmentInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireWriter(ctx.viewer);
      const recordId = requireNodeId(input.recordId, "Record", "recordId");
      // Before any byte is read: another customer's (or no) record costs no storage.
      const record = await ctx.tenantDb.record.findFirst({ where: { id: recordId }, select: { id: true } });
      if (!record) throw notFound("Record");

      const file = await input.file.take();
      const { storage, logger, config } = ctx.services;
      const key = storageKeyFor(viewer.customer.id, randomUUID());
      let stored;
      try {
        stored = await storeUpload(storage, key, file.stream, config.files.maxUploadBytes);
      } catch (error) {
        if (error instanceof FileTooLargeError) {
          throw badUserInput(`The file is larger than the limit of ${error.maxBytes} bytes (MAX_UPLOAD_BYTES).`, "file");
        }
        throw error;
      }
      let attachment;
      try {
        attachment = await ctx.tenantDb.attachment.create({
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
      await attachmentsChanged(ctx, recordId, attachment.id);
      return { attachment };
    },
  }),
);

builder.mutationField("removeAttachment", (t) =>
  t.field({
    type: RemoveAttachmentPayload,
    args: { input: t.arg({ type: RemoveAttachmentInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      requireWriter(ctx.viewer);
      const id = requireNodeId(input.id, "Attachment", "id");
      let removed;
      try {
        removed = await ctx.tenantDb.attachment.delete({ where: { id } });
      } catch (error) {
        if (isMissingRow(error)) throw notFound("Attachment");
        throw error;
      }
      // The row is gone for good; the file follows (or is left to the orphan sweep).
      await deleteStoredFiles(ctx.services.storage, ctx.services.logger, [removed.storageKey]);
      await attachmentsChanged(ctx, removed.recordId, id);
      return { removedAttachmentId: encodeGlobalID("Attachment", id), recordId: removed.recordId };
    },
  }),
);
