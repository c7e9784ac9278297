// Moves one uploaded file from the request into storage: counts bytes against the limit,
// detects the content type from the first bytes, and never holds more than the detection
// sample plus one chunk in memory.
import { Readable } from "node:stream";
import { CONTENT_SNIFF_BYTES, detectContentType } from "./content-type.js";
import type { FileStorage } from "./file-storage.js";

export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The file is larger than the limit of ${maxBytes} bytes.`);
  }
}

export type StoredUpload = { sizeBytes: number; contentType: string };

/**
 * The source's chunks, failing once more than `maxBytes` went by. The source is not
 * destroyed on the way out: the rest of the request body is drained by the upload plugin,
 * so the client still receives the error instead of a stalled connection.
 */
async function* limitedChunks(source: Readable, maxBytes: number, counter: { bytes: number }) {
  for await (const chunk of source.iterator({ destroyOnReturn: false })) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    counter.bytes += buffer.length;
    if (counter.bytes > maxBytes) throw new FileTooLargeError(maxBytes);
    yield buffer;
  }
}

async function* prepend(head: Buffer[], rest: AsyncIterator<Buffer>) {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/** Streams `source` into `key`. On any failure (FileTooLargeError included) nothing is stored. */
export async function storeUpload(
  storage: FileStorage,
  key: string,
  source: Readable,
  maxBytes: number,
): Promise<StoredUpload> {
  const counter = { bytes: 0 };
  const chunks = limitedChunks(source, maxBytes, counter);
  try {
    const head: Buffer[] = [];
    let headBytes = 0;
    while (headBytes < CONTENT_SNIFF_BYTES) {
      const next = await chunks.next();
      if (next.done) break;
      head.push(next.value);
      headBytes += next.value.length;
    }
    const contentType = await detectContentType(Buffer.concat(head, headBytes));
    await storage.write(key, Readable.from(prepend(head, chunks), { objectMode: false }), { contentType });
    return { sizeBytes: counter.bytes, contentType };
  } finally {
    // Detaches from the source (without destroying it) if the backend stopped reading early.
    await chunks.return(undefined);
  }
}
