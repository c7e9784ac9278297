// Replaces Yoga's multipart parser (which buffers every file in memory) with the streaming
// one in src/storage, and drains the files no resolver read once the response is ready,
// so the client gets its answer instead of a stalled upload.
import type { Plugin } from "graphql-yoga";
import { clientError } from "../errors.js";
import { type MultipartLimits, MultipartSession, parseMultipartUploadRequest } from "../storage/multipart-upload-request.js";

const isMultipartPost = (request: Request) =>
  request.method === "POST" && (request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");

/** maxBodyBytes: the largest whole request (one file and the operations). */
export function useStreamingUploads(limits: MultipartLimits & { maxBodyBytes: number }): Plugin {
  const sessions = new WeakMap<Request, MultipartSession>();
  return {
    onRequestParse({ request, setRequestParser }) {
      if (!isMultipartPost(request)) return;
      // Refused before a byte is read (the same error storeUpload gives once it counts them).
      if (Number(request.headers.get("content-length") ?? 0) > limits.maxBodyBytes) {
        throw clientError(
          "BAD_USER_INPUT",
          `The upload is larger than the limit of ${limits.maxFileBytes} bytes (MAX_UPLOAD_BYTES).`,
          { field: "file", http: { status: 413 } },
        );
      }
      const session = new MultipartSession();
      sessions.set(request, session);
      setRequestParser((limitedRequest) => parseMultipartUploadRequest(limitedRequest, limits, session));
    },
    onResponse({ request }) {
      sessions.get(request)?.discardUntaken();
    },
  };
}
