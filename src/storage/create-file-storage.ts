// The backend the configuration names: S3 when S3_BUCKET is set, else local disk in DATA_DIR.
import path from "node:path";
import type { Config } from "../config.js";
import type { FileStorage } from "./file-storage.js";
import { LocalDiskStorage } from "./local-disk-storage.js";
import { createS3Client, S3Storage } from "./s3-storage.js";

export function createFileStorage(config: Config): FileStorage {
  const { s3 } = config.files;
  if (s3) return new S3Storage(createS3Client(s3), s3.bucket);
  return new LocalDiskStorage(path.join(config.dataDir, "files"));
}
