// createRecord, updateRecord, deleteRecord: their input and payload types, and resolvers that
// hand the input to the record service (src/records/record-service.ts), which checks, writes
// and evicts.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { RECORD_DATE_RANGE_TEXT } from "../records/record-field-rules.js";
import type { Record as RecordRow } from "../generated/prisma/client.js";
import { builder } from "./builder.js";
import { RecordRef } from "./record.js";

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
    resolve: async (_root, { input }, ctx) => ({ record: await ctx.services.records.create(ctx, input) }),
  }),
);

builder.mutationField("updateRecord", (t) =>
  t.field({
    type: UpdateRecordPayload,
    args: { input: t.arg({ type: UpdateRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ record: await ctx.services.records.update(ctx, input) }),
  }),
);

builder.mutationField("deleteRecord", (t) =>
  t.field({
    type: DeleteRecordPayload,
    args: { input: t.arg({ type: DeleteRecordInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      deletedRecordId: encodeGlobalID("Record", await ctx.services.records.delete(ctx, input)),
    }),
  }),
);
