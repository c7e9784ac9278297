// The Record type, its attachments, and the record queries.
import { requireViewer } from "../auth/permissions.js";
import { z } from "zod";
import { badUserInput } from "../errors.js";
import { keysetConnection, keysetPageRequest } from "../pagination/keyset-page.js";
import { MAX_PAGE_SIZE, pageComplexity } from "../pagination/page-request.js";
import { fetchRecordPage, recordOrders } from "../queries/records-page.js";
import { RECORD_DATE_RANGE_TEXT, recordDateRule } from "../records/record-field-rules.js";
import { AttachmentRef } from "./attachment.js";
import { firstAttachmentsPageSize } from "./attachments-prefetch.js";
import { builder } from "./builder.js";
import { validateInput } from "../validation/validate-input.js";
import { selectsField } from "./selection.js";

export const RecordRef = builder.prismaNode("Record", {
  id: { field: "id" },
  nullable: true,
  findUnique: (id) => ({ id }),
  fields: (t) => ({
    referenceNumber: t.exposeString("referenceNumber", { description: "Unique within a customer." }),
    categoryCode: t.exposeString("categoryCode"),
    title: t.exposeString("title"),
    createdDate: t.expose("createdDate", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    attachmentCount: t.int({
      resolve: (record, _args, ctx) => ctx.loaders.attachmentCountByRecordId.load(record.id),
    }),
  }),
});

// Declared after both types exist (inline, TypeScript's inference goes circular).
builder.prismaObjectField("Record", "attachments", (t) =>
  t.connection(
    {
      type: AttachmentRef,
      complexity: pageComplexity,
      resolve: async (record, args, ctx) => {
        if (args.last != null || args.before != null) {
          // The contract pages attachments forwards only; say so rather than ignore them.
          throw badUserInput("Attachments page forwards only: use first and after.", "last");
        }
        const viewer = requireViewer(ctx.viewer);
        const list = { cursors: ctx.services.cursors, customerId: viewer.customer.id, kind: `attachments:${record.id}` };
        const request = keysetPageRequest(list, args);
        const rows = await ctx.loaders.attachmentPages.load({
          recordId: record.id,
          limit: request.limit,
          after: request.after,
        });
        return {
          ...keysetConnection(list, rows, request, (row) => row.createdAt.toISOString()),
          recordId: record.id,
        };
      },
    },
    {
      name: "AttachmentConnection",
      fields: (t) => ({
        totalCount: t.int({
          // The record's attachment count, batched with attachmentCount.
          resolve: (connection, _args, ctx) => {
            return ctx.loaders.attachmentCountByRecordId.load((connection as { recordId: string }).recordId);
          },
        }),
      }),
    },
    { name: "AttachmentEdge" },
  ),
);

builder.prismaObjectField("Attachment", "record", (t) =>
  t.field({
    type: RecordRef,
    resolve: async (attachment, _args, ctx) => {
      const record = await ctx.loaders.recordById.load(attachment.recordId);
      // The composite foreign key makes a missing record impossible; fail loudly if not.
      if (!record) throw new Error(`attachment ${attachment.id} has no record`);
      return record;
    },
  }),
);

const RecordOrderEnum = builder.enumType("RecordOrder", {
  values: Object.keys(recordOrders) as Array<keyof typeof recordOrders>,
});

const RecordFilterInput = builder.inputType("RecordFilter", {
  fields: (t) => ({
    categoryCode: t.string({ required: false }),
    createdAfter: t.field({ type: "DateTime", required: false, description: `Inclusive. Allowed ${RECORD_DATE_RANGE_TEXT}.` }),
    createdBefore: t.field({ type: "DateTime", required: false, description: `Exclusive. Allowed ${RECORD_DATE_RANGE_TEXT}.` }),
  }),
});

// A filter date is a record date: outside the range no record can match, and saying so
// beats an empty page the client cannot tell from "no records".
const recordFilterSchema = z.object({
  filter: z
    .object({ createdAfter: recordDateRule.nullish(), createdBefore: recordDateRule.nullish() })
    .passthrough()
    .nullish(),
});

builder.queryField("records", (t) =>
  t.connection(
    {
      type: RecordRef,
      complexity: pageComplexity,
      description: `The caller's records. first/last default to 50 and may not exceed ${MAX_PAGE_SIZE}.`,
      args: {
        filter: t.arg({ type: RecordFilterInput, required: false }),
        orderBy: t.arg({ type: RecordOrderEnum, required: false, defaultValue: "CREATED_DATE_DESC" }),
      },
      resolve: async (_root, args, ctx, info) => {
        const viewer = requireViewer(ctx.viewer);
        const order = args.orderBy ?? "CREATED_DATE_DESC";
        const list = { cursors: ctx.services.cursors, customerId: viewer.customer.id, kind: `records:${order}` };
        const request = keysetPageRequest(list, args);
        validateInput(recordFilterSchema, { filter: args.filter });
        // With batching on, the page's statement also brings the attachments the query will
        // ask for (one statement, not two); off, the N+1 baseline stays N+1.
        const attachmentsLimit = ctx.services.loaderOptions.batch ? firstAttachmentsPageSize(info) : null;
        const { rows, totalCount, firstAttachments } = await fetchRecordPage(ctx.tenantDb, {
          filter: args.filter ?? {},
          order,
          request,
          withTotal: selectsField(info, "totalCount"),
          attachmentsLimit,
        });
        for (const row of rows) {
          ctx.loaders.recordById.prime(row.id, row);
          const attachments = firstAttachments?.get(row.id);
          if (attachments && attachmentsLimit !== null) {
            ctx.loaders.attachmentPages.prime({ recordId: row.id, limit: attachmentsLimit, after: null }, attachments);
          }
        }
        const sortColumn = recordOrders[order].column;
        return {
          ...keysetConnection(list, rows, request, (row) =>
            sortColumn === "createdDate" ? row.createdDate.toISOString() : row.referenceNumber,
          ),
          totalCount,
        };
      },
    },
    {
      name: "RecordConnection",
      fields: (t) => ({
        totalCount: t.int({
          description: "Records matching the filter, on all pages. Counted only when selected.",
          resolve: (connection) => (connection as { totalCount: number | null }).totalCount ?? 0,
        }),
      }),
    },
    { name: "RecordEdge" },
  ),
);

builder.queryField("recordByReference", (t) =>
  t.field({
    type: RecordRef,
    nullable: true,
    args: { referenceNumber: t.arg.string({ required: true }) },
    resolve: async (_root, { referenceNumber }, ctx) => {
      requireViewer(ctx.viewer);
      return ctx.tenantDb.record.findFirst({ where: { referenceNumber } });
    },
  }),
);
