// Yoga's caches of parsed documents and of parse errors, keyed by the document text that any
// client (anonymous too) sends. Bounded by entries only (Yoga's default: 1,024 each), distinct
// ~1 MB documents pinned ~1.2 MB each; here each cache also holds at most
// DOCUMENT_CACHE_MAX_BYTES by an estimate of what an entry keeps alive.
import type { DocumentNode } from "graphql";
import { ByteBoundedLru } from "./byte-bounded-lru.js";

/** Entries each document cache holds besides its bytes (Yoga's own default); the compiled-query cache too. */
export const DOCUMENT_CACHE_MAX_ENTRIES = 1_024;
/** A string's characters, at two bytes each (V8 keeps non-Latin-1 text that way). */
const BYTES_PER_CHARACTER = 2;
/** Measured on a token-dense document: its AST (nodes and locations) holds ~67 bytes of heap per source character. */
const AST_BYTES_PER_CHARACTER = 68;
/** A parse error keeps its Source (the document, counted with the key) and a little more. */
const ERROR_OVERHEAD_BYTES = 1_024;

export type DocumentCaches = { documents: ByteBoundedLru<DocumentNode>; errors: ByteBoundedLru<unknown> };

export function createDocumentCaches(maxBytes: number): DocumentCaches {
  const limits = { maxBytes, maxEntries: DOCUMENT_CACHE_MAX_ENTRIES };
  return {
    documents: new ByteBoundedLru<DocumentNode>(limits, (key) => key.length * (BYTES_PER_CHARACTER + AST_BYTES_PER_CHARACTER)),
    errors: new ByteBoundedLru<unknown>(limits, (key) => key.length * BYTES_PER_CHARACTER + ERROR_OVERHEAD_BYTES),
  };
}
