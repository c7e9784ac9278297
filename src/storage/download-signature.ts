// Signed links for files served by the API itself (local disk): /files/<attachmentId> with
// the customer, an expiry and an HMAC over all three. The customer is inside the signature,
// so a link can neither be moved to another attachment nor to another customer's.
import { createHmac, timingSafeEqual } from "node:crypto";

export type DownloadClaims = { attachmentId: string; customerId: string; expiresAt: number };

export class DownloadSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    // A key of its own, derived from the server secret: a download signature is never a
    // valid signature for anything else.
    this.key = createHmac("sha256", secret).update("testapp:file-download:v1").digest();
  }

  private mac(claims: DownloadClaims): Buffer {
    return createHmac("sha256", this.key)
      .update(`${claims.attachmentId}\n${claims.customerId}\n${claims.expiresAt}`)
      .digest();
  }

  /** The query string of a link valid until `expiresAt` (Unix seconds). */
  query(claims: DownloadClaims): string {
    const params = new URLSearchParams({
      customer: claims.customerId,
      expires: String(claims.expiresAt),
      signature: this.mac(claims).toString("base64url"),
    });
    return params.toString();
  }

  /** The claims of a genuine, unexpired link; null for anything else (no reason given). */
  verify(attachmentId: string, params: URLSearchParams, nowSeconds: number): DownloadClaims | null {
    const customerId = params.get("customer");
    const expires = params.get("expires");
    const signature = params.get("signature");
    if (!customerId || !expires || !signature || !/^\d{1,12}$/.test(expires)) return null;
    const claims = { attachmentId, customerId, expiresAt: Number(expires) };
    const expected = this.mac(claims);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return claims.expiresAt > nowSeconds ? claims : null;
  }
}
