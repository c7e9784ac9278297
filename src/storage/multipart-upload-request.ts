// A streaming parser for the GraphQL multipart request spec
// (https://github.com/jaydenseric/graphql-multipart-request-spec). Yoga's built-in parser
// reads the whole body (every file in memory) before execution; this one hands back the
// operations as soon as `operations` and `map` are read and gives each file to its
// resolver as a stream. The spec puts `operations`, then `map`, then the files.
import { PassThrough, Readable, Transform } from "node:stream";
import { Busboy } from "@fastify/busboy";
import { GraphQLError } from "graphql";
import type { GraphQLParams } from "graphql-yoga";
import { badUserInput, malformedMultipartRequest, uploadTooLarge } from "../errors.js";
import { IncomingUpload } from "./incoming-upload.js";

export type MultipartLimits = {
  /** Busboy stops each file one byte past this; storeUpload reports the error. */
  maxFileBytes: number;
  maxFiles: number;
  /** Size of the `operations` and `map` fields. */
  maxFieldBytes: number;
  /** The whole body (files, fields and framing), counted as it streams: a chunked body has no Content-Length. */
  maxBodyBytes: number;
};

/** Passes the body on, failing once more than `maxBytes` went through (backpressure kept). */
function countedBody(maxBytes: number, tooLarge: () => Error): Transform {
  let received = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      if (received > maxBytes) done(tooLarge());
      else done(null, chunk);
    },
  });
}

/**
 * The file part as its resolver reads it. A body that ends inside the part (cut short, or its
 * boundary never closes) fails the part with the parser's plain Error, which a resolver would
 * rethrow as a masked 500: here it becomes the client's error (400) it is.
 */
function asClientStream(name: string, part: Readable): Readable {
  const file = new PassThrough();
  // As for the part: a file nobody reads (the request was refused) must not crash the process.
  file.on("error", () => {});
  part.on("error", (error) =>
    file.destroy(error instanceof GraphQLError ? error : malformedMultipartRequest(`the file "${name}" is cut short (${error.message}).`)),
  );
  return part.pipe(file);
}

/** A non-empty boundary parameter, quoted or not (Busboy takes `boundary=` as an empty one). */
const hasBoundary = /;\s*boundary=(?:"[^"]+"|[^\s;"]+)/i;

/** The uploads of one request, so the plugin can drain whatever no resolver read. */
export class MultipartSession {
  readonly uploads = new Map<string, IncomingUpload>();

  discardUntaken(): void {
    for (const upload of this.uploads.values()) if (!upload.taken) upload.discard();
  }
}

function parseJsonField(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw malformedMultipartRequest(`the "${name}" field is not valid JSON.`);
  }
}

/** Sets `value` at a dotted path like "variables.input.file" or "0.variables.file". */
function setAtPath(target: unknown, path: string, value: unknown): void {
  const keys = path.split(".");
  let current = target as Record<string, unknown>;
  for (const [index, key] of keys.entries()) {
    if (key === "__proto__" || key === "constructor" || key === "prototype") throw malformedMultipartRequest(`bad map path ${path}.`);
    if (index === keys.length - 1) {
      current[key] = value;
      return;
    }
    const next = current[key];
    if (typeof next !== "object" || next === null) throw malformedMultipartRequest(`map path ${path} does not exist in operations.`);
    current = next as Record<string, unknown>;
  }
}

function attachUploads(operations: unknown, mapValue: unknown, session: MultipartSession): void {
  if (typeof mapValue !== "object" || mapValue === null || Array.isArray(mapValue)) {
    throw malformedMultipartRequest(`"map" must be an object of field name to paths.`);
  }
  for (const [fieldName, paths] of Object.entries(mapValue)) {
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((path) => typeof path === "string")) {
      throw malformedMultipartRequest(`map entry "${fieldName}" must be a non-empty list of paths.`);
    }
    const upload = new IncomingUpload(fieldName);
    session.uploads.set(fieldName, upload);
    for (const path of paths) setAtPath(operations, path, upload);
  }
}

/**
 * Starts reading `request`'s body and resolves with the GraphQL params once `operations`
 * and `map` are in. File streams flow on as resolvers read them.
 */
export function parseMultipartUploadRequest(
  request: Request,
  limits: MultipartLimits,
  session: MultipartSession,
): Promise<GraphQLParams | GraphQLParams[]> {
  return new Promise((resolve, reject) => {
    let operations: unknown;
    let paramsSettled = false;
    let currentFile: Readable | undefined;
    const settleParams = (error?: unknown) => {
      if (paramsSettled) return;
      paramsSettled = true;
      if (error) reject(error);
      else resolve(operations as GraphQLParams | GraphQLParams[]);
    };
    const failEverything = (error: unknown) => {
      settleParams(error);
      for (const upload of session.uploads.values()) upload.failed(error);
      currentFile?.destroy(error instanceof Error ? error : new Error(String(error)));
    };

    const contentType = request.headers.get("content-type") ?? "";
    const needsBoundary = (detail: string) =>
      malformedMultipartRequest(`the Content-Type must be multipart/form-data with a boundary (${detail}).`);
    if (!hasBoundary.test(contentType)) return failEverything(needsBoundary("multipart/form-data; boundary=…"));
    let parser: ReturnType<typeof Busboy>;
    try {
      parser = Busboy({
        headers: { "content-type": contentType },
        limits: {
          fileSize: limits.maxFileBytes + 1,
          files: limits.maxFiles,
          fields: 2,
          fieldSize: limits.maxFieldBytes,
        },
      });
    } catch (error) {
      // Busboy refuses a Content-Type it cannot read by throwing: the client's mistake, not a 500.
      return failEverything(needsBoundary((error as Error).message));
    }
    parser.on("field", (name, value, _nameTruncated, valueTruncated) => {
      try {
        if (valueTruncated) throw malformedMultipartRequest(`the "${name}" field is larger than ${limits.maxFieldBytes} bytes.`);
        if (name === "operations") {
          operations = parseJsonField(name, value);
          if (typeof operations !== "object" || operations === null) throw malformedMultipartRequest(`"operations" must be an object or a list.`);
        } else if (name === "map") {
          if (operations === undefined) throw malformedMultipartRequest(`"operations" must come before "map".`);
          attachUploads(operations, parseJsonField(name, value), session);
          settleParams();
        }
      } catch (error) {
        failEverything(error);
      }
    });
    parser.on("file", (name, stream, filename) => {
      const upload = session.uploads.get(name);
      if (!paramsSettled || !upload) {
        // A file before "map", or one the map does not name: not part of any operation.
        stream.resume();
        return;
      }
      currentFile = stream;
      // Its reader (storeUpload) sees a failure through its own iteration; this listener only
      // keeps a file nobody reads yet from crashing the process when the body fails.
      stream.on("error", () => {});
      stream.once("end", () => (currentFile = currentFile === stream ? undefined : currentFile));
      upload.arrived({ filename, stream: asClientStream(name, stream) });
    });
    parser.on("filesLimit", () => failEverything(badUserInput(`At most ${limits.maxFiles} files per request.`, "file")));
    parser.on("finish", () => {
      if (operations === undefined) return failEverything(malformedMultipartRequest(`the "operations" field is missing.`));
      settleParams();
      // A file the map promised but the body never carried.
      for (const upload of session.uploads.values()) {
        upload.failed(badUserInput(`The file "${upload.fieldName}" is missing from the request.`, "file"));
      }
    });
    parser.on("error", (error) => failEverything(error instanceof GraphQLError ? error : malformedMultipartRequest(String((error as Error)?.message ?? error))));

    if (!request.body) return failEverything(malformedMultipartRequest("the body is empty."));
    const body = Readable.from(request.body as unknown as AsyncIterable<Uint8Array>, { objectMode: false });
    const counted = countedBody(limits.maxBodyBytes, () => uploadTooLarge(limits.maxFileBytes));
    // Errors of the body (client gone, too many bytes) end every waiting stream.
    body.on("error", failEverything);
    counted.on("error", failEverything);
    body.pipe(counted).pipe(parser);
  });
}
