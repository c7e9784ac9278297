// addAttachment / removeAttachment through the real Yoga handler, the way a browser client
// sends them: a multipart request per the GraphQL multipart request spec.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { GraphQLResponse, TestApp } from "./test-app.js";

export const ADD_ATTACHMENT = `
  mutation Add($input: AddAttachmentInput!) {
    addAttachment(input: $input) {
      attachment { id filename contentType sizeBytes downloadUrl record { id attachmentCount } }
    }
  }`;

export const REMOVE_ATTACHMENT = `
  mutation Remove($id: ID!) {
    removeAttachment(input: { id: $id }) { removedAttachmentId record { id attachmentCount } }
  }`;

export type UploadOptions = {
  token: string;
  recordId: string;
  bytes: Uint8Array;
  filename?: string;
  /** What the client claims; the server must ignore it. */
  clientType?: string;
  /** false: leave out the CSRF header. */
  csrfHeader?: boolean;
};

/** The FormData as a browser sends it: serialised, with Content-Type (boundary) and Content-Length. */
export async function multipartUpload(options: UploadOptions): Promise<RequestInit> {
  const form = new FormData();
  form.append(
    "operations",
    JSON.stringify({
      query: ADD_ATTACHMENT,
      variables: { input: { recordId: encodeGlobalID("Record", options.recordId), file: null } },
    }),
  );
  form.append("map", JSON.stringify({ 0: ["variables.input.file"] }));
  form.append(
    "0",
    new Blob([new Uint8Array(options.bytes)], { type: options.clientType ?? "application/octet-stream" }),
    options.filename ?? "upload.bin",
  );
  const encoded = new Response(form);
  const body = new Uint8Array(await encoded.arrayBuffer());
  return {
    method: "POST",
    headers: {
      authorization: `Bearer ${options.token}`,
      "content-type": encoded.headers.get("content-type")!,
      "content-length": String(body.length),
      ...(options.csrfHeader === false ? {} : { "x-graphql-yoga-csrf": "1" }),
    },
    body,
  };
}

export async function uploadAttachment(t: TestApp, options: UploadOptions): Promise<GraphQLResponse> {
  const response = await t.app.fetch("http://yoga/graphql", await multipartUpload(options));
  return { status: response.status, headers: response.headers, body: await response.json() };
}

export function removeAttachment(t: TestApp, token: string, attachmentGlobalId: string) {
  return t.gql(REMOVE_ATTACHMENT, { token, variables: { id: attachmentGlobalId } });
}

/** GETs a download link through the handler (its origin is the test's http://yoga). */
export function download(t: TestApp, url: string): Promise<Response> {
  return Promise.resolve(t.app.fetch(url));
}

/** Deterministic bytes that are not all alike, so an offset or a dropped chunk shows. */
export function patternedBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}
