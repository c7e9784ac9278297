// An S3-protocol stand-in for tests: no S3 (or MinIO) server can be installed on these
// machines, so the S3 backend is tested against s3rver, started here on 127.0.0.1 with a
// random port, a temporary folder and one bucket. It speaks the S3 protocol the SDK uses
// (PUT, multipart upload, GET, DeleteObjects, ListObjectsV2, presigned-URL expiry) but does
// NOT verify SigV4 signatures, so tamper-proofing of presigned URLs rests on S3 itself.
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { S3Config } from "../../src/config.js";

type S3rverInstance = { run(): Promise<{ port: number }>; close(): Promise<void> };
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;
// s3rver is CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)("s3rver") as S3rverConstructor;

export type TestS3 = {
  config: S3Config;
  /** The same settings as environment variables, for startTestApp. */
  environment: Record<string, string>;
  stop(): Promise<void>;
};

/** s3rver's built-in account. */
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export async function startTestS3(bucket = "testapp-files"): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    config: { bucket, endpoint, forcePathStyle: true, region: "us-east-1", credentials },
    environment: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: endpoint,
      S3_FORCE_PATH_STYLE: "true",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    },
    async stop() {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
