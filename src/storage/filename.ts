// Client-sent filenames are kept for display only (storage keys are ours), but they still
// end up in headers and in users' download folders: no paths, no control or bidi
// characters, a bounded length.

const MAX_FILENAME_BYTES = 255;
const FALLBACK_NAME = "file";

/** Control (Cc) and format (Cf: bidi overrides, zero-width) characters. */
const invisible = /[\p{Cc}\p{Cf}]/gu;
/** Characters Windows refuses in names; harmless elsewhere, so replaced everywhere. */
const reserved = /[<>:"|?*]/g;

function truncateUtf8(text: string, maxBytes: number): string {
  let result = "";
  for (const char of text) {
    if (Buffer.byteLength(result + char) > maxBytes) break;
    result += char;
  }
  return result;
}

export function sanitizeFilename(raw: string | null | undefined): string {
  const base = (raw ?? "").normalize("NFC").split(/[\\/]/).pop() ?? "";
  const cleaned = base
    // Tabs and line breaks read as spaces; every other control character goes.
    .replace(/\s+/g, " ")
    .replace(invisible, "")
    .replace(reserved, "_")
    // Leading dots hide files and ".." means "parent"; trailing dots and spaces vanish on Windows.
    .replace(/^[\s.]+|[\s.]+$/g, "");
  if (!cleaned) return FALLBACK_NAME;
  if (Buffer.byteLength(cleaned) <= MAX_FILENAME_BYTES) return cleaned;
  // Too long: keep the extension (if short), cut the stem.
  const dot = cleaned.lastIndexOf(".");
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : "";
  const stem = cleaned.slice(0, cleaned.length - extension.length);
  return truncateUtf8(stem, MAX_FILENAME_BYTES - Buffer.byteLength(extension)) + extension;
}

/**
 * `attachment` with the name twice: an ASCII fallback for old clients and the exact name in
 * RFC 5987 form. The name is already sanitised; quotes and backslashes are the only escapes.
 */
export function contentDispositionAttachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
