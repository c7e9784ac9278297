// Query.recordStats: the dashboard's numbers for the viewer's customer, read from rollups the
// database keeps up to date (src/queries/record-stats.ts), so the answer costs the same at
// 2,000 records as at 200,000. Cached longer than lists (RESPONSE_CACHE_STATS_TTL_MS) and
// evicted by every change of the customer's records, attachments and job statuses.
import { Kind } from "graphql";
import { requireViewer } from "../auth/permissions.js";
import { badUserInput } from "../errors.js";
import { fetchRecordStats, type RecordStats } from "../queries/record-stats.js";
import { formatYearMonth, MAX_STATS_MONTHS, type Month, parseYearMonth, resolveMonthRange } from "../stats/month-range.js";
import { builder } from "./builder.js";
import { JobStatusEnum } from "./job.js";

const notAYearMonth = (value: unknown) =>
  badUserInput(`A month is written YYYY-MM, from 0001-01 to 9999-12 (got ${JSON.stringify(value)}).`);

const parseMonth = (value: unknown): Month => {
  const month = typeof value === "string" ? parseYearMonth(value) : null;
  if (month === null) throw notAYearMonth(value);
  return month;
};

const YearMonthScalar = builder.scalarType("YearMonth", {
  description: "A calendar month in UTC, written YYYY-MM (e.g. 2026-01).",
  serialize: (month) => formatYearMonth(month as Month),
  parseValue: parseMonth,
  parseLiteral: (ast) => parseMonth(ast.kind === Kind.STRING ? ast.value : undefined),
});

const RecordStatsFilterInput = builder.inputType("RecordStatsFilter", {
  fields: (t) => ({
    fromMonth: t.field({
      type: YearMonthScalar,
      required: false,
      description: "First month of the range (inclusive). Default: 11 months before toMonth.",
    }),
    toMonth: t.field({
      type: YearMonthScalar,
      required: false,
      description: "Last month of the range (inclusive). Default: the current month (UTC).",
    }),
  }),
});

const CategoryRecordCount = builder
  .objectRef<RecordStats["recordsByCategory"][number]>("CategoryRecordCount")
  .implement({
    fields: (t) => ({ categoryCode: t.exposeString("categoryCode"), count: t.exposeInt("count") }),
  });

const MonthRecordCount = builder.objectRef<RecordStats["recordsByMonth"][number]>("MonthRecordCount").implement({
  fields: (t) => ({ month: t.expose("month", { type: YearMonthScalar }), count: t.exposeInt("count") }),
});

const JobStatusCount = builder.objectRef<RecordStats["jobsByStatus"][number]>("JobStatusCount").implement({
  fields: (t) => ({ status: t.expose("status", { type: JobStatusEnum }), count: t.exposeInt("count") }),
});

const RecordStatsRef = builder.objectRef<RecordStats>("RecordStats").implement({
  description: "Counts over the customer's data, kept up to date with every change (never estimated).",
  fields: (t) => ({
    fromMonth: t.expose("fromMonth", { type: YearMonthScalar, description: "First month of the range." }),
    toMonth: t.expose("toMonth", { type: YearMonthScalar, description: "Last month of the range." }),
    totalRecords: t.exposeInt("totalRecords", { description: "All the customer's records." }),
    recordsByCategory: t.field({
      type: [CategoryRecordCount],
      description: "All the customer's records by category, categories with records only, by code.",
      resolve: (stats) => stats.recordsByCategory,
    }),
    recordsByMonth: t.field({
      type: [MonthRecordCount],
      description: "Records by the month (UTC) of their createdDate: every month of the range, oldest first.",
      resolve: (stats) => stats.recordsByMonth,
    }),
    attachmentCount: t.exposeInt("attachmentCount", { description: "All the customer's attachments." }),
    attachmentBytes: t.exposeFloat("attachmentBytes", {
      description: "The total size of the customer's attachments in bytes (a Float: it outgrows Int; exact up to 2^53).",
    }),
    jobsByStatus: t.field({
      type: [JobStatusCount],
      description:
        "Jobs created in the range, by their status now: every status. Jobs past their retention " +
        "(JOB_RETENTION_DAYS) still count.",
      resolve: (stats) => stats.jobsByStatus,
    }),
  }),
});

builder.queryField("recordStats", (t) =>
  t.field({
    type: RecordStatsRef,
    description: `The caller's dashboard statistics. The range is at most ${MAX_STATS_MONTHS} months; by default the last 12.`,
    args: { filter: t.arg({ type: RecordStatsFilterInput, required: false }) },
    resolve: async (_root, { filter }, ctx) => {
      requireViewer(ctx.viewer);
      const range = resolveMonthRange(filter ?? {}, new Date());
      return fetchRecordStats(ctx.tenantDb, range);
    },
  }),
);
