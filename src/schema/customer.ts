import { builder } from "./builder.js";

export const CustomerRef = builder.prismaNode("Customer", {
  id: { field: "id" },
  // Loaded through node.ts with the request's loaders; null when not the caller's.
  nullable: true,
  findUnique: (id) => ({ id }),
  fields: (t) => ({
    name: t.exposeString("name"),
    slug: t.exposeString("slug"),
  }),
});
