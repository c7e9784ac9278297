// The one interface every file backend implements (local disk, S3). Callers never learn
// where bytes live: they hand over a stream and a key, and later ask for the key back.
import type { Readable } from "node:stream";

export type StoredFile = { key: string; lastModified: Date };

export type PresignOptions = { filename: string; contentType: string; expiresInSeconds: number };

export interface FileStorage {
  readonly kind: "local-disk" | "s3";
  /**
   * Streams `body` into `key`. Resolves once the whole file is stored; if it rejects (the
   * body errored, e.g. the size limit, or the backend failed) nothing is left under `key`.
   */
  write(key: string, body: Readable, options: { contentType: string }): Promise<void>;
  /** The stored bytes, or null when there is no such file. */
  read(key: string): Promise<Readable | null>;
  /** Deletes the files; keys that do not exist are not an error. */
  delete(keys: string[]): Promise<void>;
  /** Every stored file, for the orphan sweep. */
  list(): AsyncIterable<StoredFile>;
  /**
   * A short-lived URL the backend serves by itself (S3 presigned GET). Backends without one
   * (local disk) leave it out and the API serves the file at /files/<id>.
   */
  presignedDownloadUrl?(key: string, options: PresignOptions): Promise<string>;
}

const keyPattern = /^[0-9a-f-]{36}\/[0-9a-f-]{36}$/;

/** `<customerId>/<uuid>`: the customer prefix keeps listings and audits per tenant. */
export function storageKeyFor(customerId: string, fileId: string): string {
  const key = `${customerId}/${fileId}`;
  assertStorageKey(key);
  return key;
}

export function isStorageKey(key: string): boolean {
  return keyPattern.test(key);
}

/** Keys are made by storageKeyFor only; anything else (e.g. "../x") never reaches a backend. */
export function assertStorageKey(key: string): void {
  if (!isStorageKey(key)) throw new Error(`invalid storage key: ${JSON.stringify(key)}`);
}
