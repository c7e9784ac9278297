// addAttachment and removeAttachment: the File scalar they take, their input and payload types,
// and resolvers that hand the input to the attachment service
// (src/attachments/attachment-service.ts), which checks, stores, cleans up and evicts.
import type { InputRef } from "@pothos/core";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { badUserInput } from "../errors.js";
import type { Attachment } from "../generated/prisma/client.js";
import { IncomingUpload } from "../storage/incoming-upload.js";
import { AttachmentRef } from "./attachment.js";
import { builder } from "./builder.js";
import { inputMutation } from "./input-mutation.js";
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

const AddAttachmentPayload = builder.objectRef<{ attachment: Attachment }>("AddAttachmentPayload").implement({
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

inputMutation("addAttachment", {
  input: AddAttachmentInput,
  payload: AddAttachmentPayload,
  resolve: async (input, ctx) => ({ attachment: await ctx.services.attachments.add(ctx, input) }),
});

inputMutation("removeAttachment", {
  input: RemoveAttachmentInput,
  payload: RemoveAttachmentPayload,
  resolve: async (input, ctx) => {
    const removed = await ctx.services.attachments.remove(ctx, input);
    return { removedAttachmentId: encodeGlobalID("Attachment", removed.id), recordId: removed.recordId };
  },
});
