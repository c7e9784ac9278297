// The stored content type comes from the file's first bytes, never from the client: a
// client-sent "image/png" on an HTML file would otherwise be served as whatever it claims.
import { fileTypeFromBuffer } from "file-type";

/** How many leading bytes detection needs (file-type's own sample size). */
export const CONTENT_SNIFF_BYTES = 4_100;

export const OCTET_STREAM = "application/octet-stream";
export const PLAIN_TEXT = "text/plain; charset=utf-8";

function looksLikeUtf8Text(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    // stream: true tolerates a character cut in half at the end of the sample.
    new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Known binary formats by magic number; otherwise UTF-8 text or opaque bytes. */
export async function detectContentType(head: Uint8Array): Promise<string> {
  if (head.length === 0) return OCTET_STREAM;
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeUtf8Text(head) ? PLAIN_TEXT : OCTET_STREAM;
}
