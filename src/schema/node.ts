// Relay object identification that cannot leak: node/nodes load through the request's
// tenant-scoped loaders and answer null for malformed ids, unknown types and ids of other
// customers alike, so an answer never reveals that another customer's object exists.
import { brandWithType } from "@pothos/core";
import { requireViewer } from "../auth/permissions.js";
import type { Context } from "../context.js";
import { badUserInput } from "../errors.js";
import { MAX_PAGE_SIZE } from "../pagination/page-request.js";
import { builder } from "./builder.js";
import { parseNodeId } from "../validation/global-id.js";

const loaderByType: { [typename: string]: (ctx: Context) => { load(id: string): Promise<object | null> } } = {
  Customer: (ctx) => ctx.loaders.customerById,
  User: (ctx) => ctx.loaders.userById,
  Record: (ctx) => ctx.loaders.recordById,
  Attachment: (ctx) => ctx.loaders.attachmentById,
  CollectionJob: (ctx) => ctx.loaders.jobById,
  // Schedules are an ADMIN's: anyone else gets null, as for an id of another customer.
  SyncSchedule: (ctx) => (ctx.viewer?.user.role === "ADMIN" ? ctx.loaders.syncScheduleById : noRows),
};

const noRows = { load: async () => null };

async function loadNode(ctx: Context, globalId: string): Promise<object | null> {
  const parsed = parseNodeId(globalId);
  const loader = parsed && loaderByType[parsed.typename];
  if (!parsed || !loader) return null;
  const row = await loader(ctx).load(parsed.id);
  if (row) brandWithType(row, parsed.typename as never);
  return row;
}

builder.queryField("node", (t) =>
  t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => {
      requireViewer(ctx.viewer);
      return loadNode(ctx, id) as never;
    },
  }),
);

builder.queryField("nodes", (t) =>
  t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    args: { ids: t.arg.idList({ required: true }) },
    complexity: ({ ids }) => ({ field: 1, multiplier: ids.length }),
    resolve: (_root, { ids }, ctx) => {
      requireViewer(ctx.viewer);
      if (ids.length > MAX_PAGE_SIZE) {
        throw badUserInput(`nodes takes at most ${MAX_PAGE_SIZE} ids (got ${ids.length}).`, "ids");
      }
      return Promise.all(ids.map((id) => loadNode(ctx, id))) as never;
    },
  }),
);
