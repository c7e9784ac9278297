// Files in an S3-compatible bucket (AWS S3, MinIO, R2, s3rver in the tests). The backend
// for several API instances. Uploads stream: bodies go up in parts of PART_BYTES, so one
// upload holds at most one part in memory whatever the file size.
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { S3Config } from "../config.js";
import { assertStorageKey, type FileStorage, type PresignOptions, type StoredFile } from "./file-storage.js";
import { contentDispositionAttachment } from "./filename.js";

/** S3's minimum part size is 5 MiB (except the last part). */
const PART_BYTES = 8 * 1024 * 1024;
/** DeleteObjects takes at most 1,000 keys. */
const DELETE_BATCH = 1_000;

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: config.credentials,
    // Checksums only where S3 requires them: many S3-compatible servers reject the newer
    // default (CRC32 trailers on every request).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** Reads `body` in chunks of exactly `size` bytes (the last one shorter). */
async function* inParts(body: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    pending.push(buffer);
    length += buffer.length;
    while (length >= size) {
      const joined = Buffer.concat(pending, length);
      yield joined.subarray(0, size);
      pending = [joined.subarray(size)];
      length -= size;
    }
  }
  if (length > 0 || pending.length === 0) yield Buffer.concat(pending, length);
}

export class S3Storage implements FileStorage {
  readonly kind = "s3" as const;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async write(key: string, body: Readable, options: { contentType: string }): Promise<void> {
    assertStorageKey(key);
    const parts = inParts(body, PART_BYTES);
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    if (firstPart.length < PART_BYTES) {
      // A small file: one PUT, no multipart bookkeeping.
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: firstPart, ContentType: options.contentType }),
      );
      return;
    }
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType }),
    );
    const completed: { ETag: string | undefined; PartNumber: number }[] = [];
    try {
      let part: Buffer | undefined = firstPart;
      while (part) {
        const PartNumber = completed.length + 1;
        const { ETag } = await this.client.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber, Body: part }),
        );
        completed.push({ ETag, PartNumber });
        const next = await parts.next();
        part = next.done ? undefined : next.value;
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: completed },
        }),
      );
    } catch (error) {
      // Best effort: a bucket lifecycle rule for incomplete multipart uploads is the backstop.
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
        .catch(() => {});
      throw error;
    }
  }

  async read(key: string): Promise<Readable | null> {
    assertStorageKey(key);
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (Body as Readable | undefined) ?? null;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    keys.forEach(assertStorageKey);
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const { Errors } = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      if (Errors?.length) throw new Error(`S3 could not delete ${Errors.length} object(s): ${Errors[0]?.Message}`);
    }
  }

  async *list(): AsyncIterable<StoredFile> {
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken }));
      for (const object of page.Contents ?? []) {
        if (object.Key) yield { key: object.Key, lastModified: object.LastModified ?? new Date(0) };
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  presignedDownloadUrl(key: string, options: PresignOptions): Promise<string> {
    assertStorageKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      // S3 answers with these headers, so the browser downloads instead of rendering.
      ResponseContentDisposition: contentDispositionAttachment(options.filename),
      ResponseContentType: options.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds });
  }
}
