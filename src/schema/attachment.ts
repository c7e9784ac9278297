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
      description:
        "A short-lived link to the stored file (DOWNLOAD_URL_TTL_SECONDS); null while the file has no stored content.",
      // Synced attachments are metadata only (no storageKey): they have no link.
      resolve: (attachment, _args, ctx) => ctx.services.downloads.urlFor(attachment, ctx.request.url),
    }),
  }),
});
