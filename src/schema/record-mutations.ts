// createRecord, updateRecord, deleteRecord. Each: permission → validation → storage →
// response-cache invalidation (the record and the customer's lists, counts and lookups).
import { encodeGlobalID } from "@pothos/plugin-relay";
import { z } from "zod";
import { requireWriter } from "../auth/permissions.js";
import { badUserInput, notFound } from "../errors.js";
import type { Context } from "../context.js";
import { builder } from "./builder.js";
import { requireNodeId } from "./global-id.js";
import {
  categoryCodeRule,
  RECORD_DATE_RANGE_TEXT,
  recordDateRule,
  referenceNumberRule,
  titleRule,
} from "../records/record-field-rules.js";
import { nodeIdRule, validateInput } from "./input-validation.js";
import { isMissingRow, isUniqueViolation } from "../db/prisma-errors.js";
import { RecordRef } from "./record.js";
import { deleteStoredFiles } from "../storage/stored-file-cleanup.js";

const recordFields = {
  referenceNumber: referenceNumberRule,
  categoryCode: categoryCodeRule,
  title: titleRule,
  createdDate: recordDateRule,
};

const createRecordSchema = z.object({ ...recordFields, createdDate: recordFields.createdDate.optional() });
const updateRecordSchema = z.object({ id: nodeIdRule("Record"), ...z.object(recordFields).partial().shape });

function duplicateReference(referenceNumber: string | undefined) {
  return badUserInput(`A record with referenceNumber ${referenceNumber} already exists.`, "referenceNumber");
}

const CreateRecordInput = builder.inputType("CreateRecordInput", {
  fields: (t) => ({
    referenceNumber: t.string({ required: true }),
    categoryCode: t.string({ required: true }),
    title: t.string({ required: true }),
    createdDate: t.field({
      type: "DateTime",
      required: false,
      description: `Defaults to now. Allowed ${RECORD_DATE_RANGE_TEXT}.`,
    }),
  }),
});

const UpdateRecordInput = builder.inputType("UpdateRecordInput", {
  fields: (t) => ({
    id: t.id({ required: true }),
    referenceNumber: t.string({ required: false }),
    categoryCode: t.string({ required: false }),
    title: t.string({ required: false }),
    createdDate: t.field({ type: "DateTime", required: false, description: `Allowed ${RECORD_DATE_RANGE_TEXT}.` }),
  }),
});

const DeleteRecordInput = builder.inputType("DeleteRecordInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

type RecordRow = NonNullable<Awaited<ReturnType<Context["tenantDb"]["record"]["findFirst"]>>>;

const recordPayload = (name: string) =>
  builder.objectRef<{ record: RecordRow }>(name).implement({
    fields: (t) => ({ record: t.field({ type: RecordRef, resolve: (payload) => payload.record }) }),
  });

const CreateRecordPayload = recordPayload("CreateRecordPayload");
const UpdateRecordPayload = recordPayload("UpdateRecordPayload");
const DeleteRecordPayload = builder.objectRef<{ deletedRecordId: string }>("DeleteRecordPayload").implement({
  fields: (t) => ({ deletedRecordId: t.exposeID("deletedRecordId") }),
});

builder.mutationField("createRecord", (t) =>
  t.field({
    type: CreateRecordPayload,
    args: { input: t.arg({ type: CreateRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireWriter(ctx.viewer);
      const data = validateInput(createRecordSchema, input);
      try {
        const record = await ctx.tenantDb.record.create({
          data: { ...data, createdDate: data.createdDate ?? new Date() } as never,
        });
        await ctx.services.responseCache.recordsChanged(viewer.customer.id, [record.id]);
        return { record };
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateReference(data.referenceNumber);
        throw error;
      }
    },
  }),
);

builder.mutationField("updateRecord", (t) =>
  t.field({
    type: UpdateRecordPayload,
    args: { input: t.arg({ type: UpdateRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireWriter(ctx.viewer);
      // null means "leave as is" for these non-nullable columns.
      const present = Object.fromEntries(Object.entries(input).filter(([, value]) => value != null));
      const { id, ...data } = validateInput(updateRecordSchema, present);
      try {
        const record = await ctx.tenantDb.record.update({ where: { id }, data });
        await ctx.services.responseCache.recordsChanged(viewer.customer.id, [record.id]);
        return { record };
      } catch (error) {
        if (isMissingRow(error)) throw notFound("Record");
        if (isUniqueViolation(error)) throw duplicateReference(data.referenceNumber);
        throw error;
      }
    },
  }),
);

builder.mutationField("deleteRecord", (t) =>
  t.field({
    type: DeleteRecordPayload,
    args: { input: t.arg({ type: DeleteRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = requireWriter(ctx.viewer);
      const id = requireNodeId(input.id, "Record", "id");
      // Attachments first, then the record, in one transaction: all or nothing. The stored
      // files' keys are collected inside it and the files deleted only after it commits.
      const { deleted, storageKeys } = await ctx.tenantDb.$transaction(async (tx) => {
        const files = await tx.attachment.findMany({
          where: { recordId: id, storageKey: { not: null } },
          select: { storageKey: true },
        });
        await tx.attachment.deleteMany({ where: { recordId: id } });
        return { deleted: await tx.record.deleteMany({ where: { id } }), storageKeys: files.map((f) => f.storageKey) };
      });
      if (deleted.count === 0) throw notFound("Record");
      // Evict first: the rows are gone whatever happens to the files.
      await ctx.services.responseCache.recordsChanged(viewer.customer.id, [id]);
      await deleteStoredFiles(ctx.services.storage, ctx.services.logger, storageKeys);
      return { deletedRecordId: encodeGlobalID("Record", id) };
    },
  }),
);
