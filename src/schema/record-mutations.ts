// createRecord, updateRecord, deleteRecord: their input and payload types, and resolvers that
// hand the input to the record service (src/records/record-service.ts), which checks, writes
// and evicts.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { RECORD_DATE_RANGE_TEXT } from "../records/record-field-rules.js";
import type { Record as RecordRow } from "../generated/prisma/client.js";
import { builder } from "./builder.js";
import { inputMutation } from "./input-mutation.js";
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

inputMutation("createRecord", {
  input: CreateRecordInput,
  payload: CreateRecordPayload,
  resolve: async (input, ctx) => ({ record: await ctx.services.records.create(ctx, input) }),
});

inputMutation("updateRecord", {
  input: UpdateRecordInput,
  payload: UpdateRecordPayload,
  resolve: async (input, ctx) => ({ record: await ctx.services.records.update(ctx, input) }),
});

inputMutation("deleteRecord", {
  input: DeleteRecordInput,
  payload: DeleteRecordPayload,
  resolve: async (input, ctx) => ({ deletedRecordId: encodeGlobalID("Record", await ctx.services.records.delete(ctx, input)) }),
});
