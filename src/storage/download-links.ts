// Attachment.downloadUrl: a presigned URL when the backend serves files itself (S3), else a
// signed link to the API's own /files/<id> route (local disk). Both expire after the TTL.
import type { DownloadSigner } from "./download-signature.js";
import type { FileStorage } from "./file-storage.js";

export type DownloadableAttachment = {
  id: string;
  customerId: string;
  storageKey: string | null;
  filename: string;
  contentType: string;
};

export const FILES_PATH = "/files/";

export class DownloadLinks {
  constructor(
    private readonly storage: FileStorage,
    readonly signer: DownloadSigner,
    private readonly ttlSeconds: number,
    /** Base for /files links; undefined: the origin the request came to. */
    private readonly publicUrl: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** null while the attachment has no stored file (e.g. synced metadata only). */
  async urlFor(attachment: DownloadableAttachment, requestUrl: string): Promise<string | null> {
    if (!attachment.storageKey) return null;
    if (this.storage.presignedDownloadUrl) {
      return this.storage.presignedDownloadUrl(attachment.storageKey, {
        filename: attachment.filename,
        contentType: attachment.contentType,
        expiresInSeconds: this.ttlSeconds,
      });
    }
    const expiresAt = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const query = this.signer.query({ attachmentId: attachment.id, customerId: attachment.customerId, expiresAt });
    const base = this.publicUrl ?? new URL(requestUrl).origin;
    return `${base}${FILES_PATH}${attachment.id}?${query}`;
  }
}
