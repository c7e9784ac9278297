// GET /files/<attachmentId>?customer=…&expires=…&signature=… serves a stored file to
// whoever holds a link from Attachment.downloadUrl (no Authorization header: links are used
// in <a href>). A bad, expired or foreign link and a missing file all get the same 404, so a
// link reveals nothing about which files exist.
import { Readable } from "node:stream";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import type { TenantScopedClient } from "../db/tenant-scope.js";
import { type DownloadLinks, FILES_PATH } from "../storage/download-links.js";
import type { FileStorage } from "../storage/file-storage.js";
import { contentDispositionAttachment } from "../storage/filename.js";
import { isUuid } from "../uuid.js";
import { routeOf } from "../http/routes.js";
import { methodNotAllowedResponse, notFoundResponse as notFound } from "../errors.js";

type FileServices = {
  downloads: DownloadLinks;
  storage: FileStorage;
  tenantDbFor: (customerId: string) => TenantScopedClient;
  logger: Logger;
};

async function serveFile(services: FileServices, url: URL, method: string): Promise<Response> {
  const attachmentId = url.pathname.slice(FILES_PATH.length);
  if (!isUuid(attachmentId)) return notFound();
  const claims = services.downloads.signer.verify(attachmentId, url.searchParams, Math.floor(Date.now() / 1000));
  if (!claims) return notFound();
  // Read as the signed customer: another customer's attachment id finds nothing.
  const attachment = await services.tenantDbFor(claims.customerId).attachment.findFirst({ where: { id: attachmentId } });
  if (!attachment?.storageKey) return notFound();
  const body = method === "HEAD" ? null : await services.storage.read(attachment.storageKey);
  if (method !== "HEAD" && !body) {
    services.logger.warn({ attachmentId, key: attachment.storageKey }, "attachment row without its stored file");
    return notFound();
  }
  return new Response(body ? (Readable.toWeb(body) as ReadableStream<Uint8Array>) : null, {
    status: 200,
    headers: {
      "content-type": attachment.contentType,
      "content-length": String(attachment.sizeBytes),
      "content-disposition": contentDispositionAttachment(attachment.filename),
      // The stored type is the only type: never let a browser guess (and render) another.
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      "cache-control": "private, no-store",
    },
  });
}

export function useFileDownloads(services: FileServices): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (routeOf(url) !== "files") return;
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(methodNotAllowedResponse("GET, HEAD"));
        return;
      }
      endResponse(await serveFile(services, url, request.method));
    },
  };
}
