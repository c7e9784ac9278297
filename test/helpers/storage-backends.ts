// The two storage backends, each as a test can set it up: local disk in a temp folder, and
// S3 against the s3rver stand-in. Contract tests run the same cases against both.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FileStorage } from "../../src/storage/file-storage.js";
import { LocalDiskStorage } from "../../src/storage/local-disk-storage.js";
import { createS3Client, S3Storage } from "../../src/storage/s3-storage.js";
import { startTestS3 } from "./storage-s3rver.js";

export type StorageBackendSetup = {
  storage: FileStorage;
  /** Environment for startTestApp that selects this backend. */
  environment: Record<string, string>;
  stop(): Promise<void>;
};

export const storageBackends: Array<{ name: string; start(): Promise<StorageBackendSetup> }> = [
  {
    name: "local disk",
    async start() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-files-"));
      return {
        storage: new LocalDiskStorage(root),
        // startTestApp's DATA_DIR is its own temp folder; files go to <DATA_DIR>/files.
        environment: {},
        stop: async () => fs.rmSync(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "S3 (s3rver stand-in)",
    async start() {
      const s3 = await startTestS3();
      return {
        storage: new S3Storage(createS3Client(s3.config), s3.config.bucket),
        environment: s3.environment,
        stop: s3.stop,
      };
    },
  },
];

/** The keys a backend holds under one customer's prefix. */
export async function storedKeys(storage: FileStorage, customerId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const file of storage.list()) if (file.key.startsWith(`${customerId}/`)) keys.push(file.key);
  return keys.sort();
}

export async function readAll(storage: FileStorage, key: string): Promise<Buffer | null> {
  const stream = await storage.read(key);
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
