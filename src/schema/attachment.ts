import { builder } from "./builder.js";

export const AttachmentRef = builder.prismaNode("Attachment", {
  id: { field: "id" },
  nullable: true,
  findUnique: (id) => ({ id }),
  fields: (t) => ({
    filename: t.exposeString("filename"),
    contentType: t.exposeString("contentType"),
    sizeBytes: t.exposeInt("sizeBytes"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    downloadUrl: t.string({
      nullable: true,
      description: "A short-lived link to the stored file; null while the file has no stored content.",
      // File storage arrives with uploads; seeded and synced attachments are metadata only.
      resolve: () => null,
    }),
  }),
});
