import { builder } from "./builder.js";

export const RoleEnum = builder.enumType("Role", {
  values: ["ADMIN", "MEMBER", "VIEWER"] as const,
});

export const UserRef = builder.prismaNode("User", {
  id: { field: "id" },
  nullable: true,
  findUnique: (id) => ({ id }),
  fields: (t) => ({
    email: t.exposeString("email"),
    role: t.expose("role", { type: RoleEnum }),
  }),
});
