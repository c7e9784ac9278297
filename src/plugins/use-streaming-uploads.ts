// Replaces Yoga's multipart parser (which buffers every file in memory) with the streaming
// one in src/storage, and drains the files no resolver read once the response is ready,
// so the client gets its answer instead of a stalled upload.
import type { Plugin } from "graphql-yoga";
import { uploadTooLarge } from "../errors.js";
import { type MultipartLimits, MultipartSession, parseMultipartUploadRequest } from "../storage/multipart-upload-request.js";

const isMultipartPost = (request: Request) =>
  request.method === "POST" && (request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");

export function useStreamingUploads(limits: MultipartLimits): Plugin {
  const sessions = new WeakMap<Request, MultipartSession>();
  return {
    onRequestParse({ request, setRequestParser }) {
      if (!isMultipartPost(request)) return;
      // Refused before a byte is read (the same error storeUpload gives once it counts them).
      if (Number(request.headers.get("content-length") ?? 0) > limits.maxBodyBytes) {
        throw uploadTooLarge(limits.maxFileBytes);
      }
      const session = new MultipartSession();
      sessions.set(request, session);
      setRequestParser((body) => parseMultipartUploadRequest(body, limits, session));
    },
    onResponse({ request }) {
      sessions.get(request)?.discardUntaken();
    },
  };
}
