// Attachments as files, through the real Yoga handler and the real database, once per
// storage backend (local disk, and S3 via the s3rver stand-in).
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type StorageBackendSetup, storageBackends, storedKeys } from "./helpers/storage-backends.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { download, multipartUpload, patternedBytes, removeAttachment, uploadAttachment } from "./helpers/upload-request.js";

const MAX_UPLOAD_BYTES = 3 * 1024 * 1024;
const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

describe.each(storageBackends)("attachments on $name", (backend) => {
  let setup: StorageBackendSetup;
  let t: TestApp;
  beforeAll(async () => {
    setup = await backend.start();
    t = await startTestApp({ ...setup.environment, MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) });
  });
  afterAll(async () => {
    await t.close();
    await setup.stop();
  });

  async function writer() {
    const customer = await t.seed.customer();
    const user = await customer.user({ role: "MEMBER" });
    const record = await customer.record();
    return { customer, user, record };
  }

  test("a file larger than one stream chunk makes a byte-exact round trip", async () => {
    const { user, record, customer } = await writer();
    const bytes = patternedBytes(MAX_UPLOAD_BYTES); // exactly at the limit: allowed
    const res = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes, filename: "data.bin" });
    expect(res.body.errors).toBeUndefined();
    const attachment = res.body.data.addAttachment.attachment;
    expect(attachment).toMatchObject({ filename: "data.bin", sizeBytes: MAX_UPLOAD_BYTES });
    expect(attachment.record.attachmentCount).toBe(1);
    const file = await fetchLink(attachment.downloadUrl);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect(await storedKeys(t.services.storage, customer.id)).toHaveLength(1);
  });

  test("the content type comes from the bytes, not from the client", async () => {
    const { user, record } = await writer();
    const cases = [
      { bytes: PNG_1X1, clientType: "text/html", expected: "image/png" },
      { bytes: Buffer.from("<html><script>alert(1)</script></html>"), clientType: "image/png", expected: "text/plain; charset=utf-8" },
      { bytes: Buffer.from([0x00, 0xff, 0x10, 0x80]), clientType: "image/jpeg", expected: "application/octet-stream" },
    ];
    for (const { bytes, clientType, expected } of cases) {
      const res = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes, clientType });
      expect(res.body.data.addAttachment.attachment.contentType).toBe(expected);
      const file = await fetchLink(res.body.data.addAttachment.attachment.downloadUrl);
      expect(file.headers.get("content-type")).toBe(expected);
      expect(file.headers.get("content-disposition")).toMatch(/^attachment;/);
      if (backend.name === "local disk") expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });

  test("the filename loses paths and control characters and is kept for display", async () => {
    const { user, record } = await writer();
    const res = await uploadAttachment(t, {
      token: user.token,
      recordId: record.id,
      bytes: Buffer.from("hello"),
      filename: "..\\..\\etc/pass\u0000wd\u202e\u0007.txt",
    });
    const attachment = res.body.data.addAttachment.attachment;
    expect(attachment.filename).toBe("passwd.txt");
    const file = await fetchLink(attachment.downloadUrl);
    expect(file.headers.get("content-disposition")).toContain(`filename="passwd.txt"`);
  });

  test("a file over MAX_UPLOAD_BYTES is refused and leaves no row and no file", async () => {
    const { user, record, customer } = await writer();
    const res = await uploadAttachment(t, {
      token: user.token,
      recordId: record.id,
      bytes: patternedBytes(MAX_UPLOAD_BYTES + 1),
    });
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "file" });
    expect(res.body.errors?.[0]?.message).toContain(String(MAX_UPLOAD_BYTES));
    expect(await t.db.prisma.attachment.count({ where: { recordId: record.id } })).toBe(0);
    expect(await storedKeys(t.services.storage, customer.id)).toEqual([]);
  });

  test("a body far over the limit is refused before it is read", async () => {
    const { user, record, customer } = await writer();
    const res = await uploadAttachment(t, {
      token: user.token,
      recordId: record.id,
      bytes: patternedBytes(MAX_UPLOAD_BYTES + 2 * 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await storedKeys(t.services.storage, customer.id)).toEqual([]);
  });

  test("a streamed body (no Content-Length) is counted as it comes and refused past the limit", async () => {
    const { user, record, customer } = await writer();
    const init = await multipartUpload({
      token: user.token,
      recordId: record.id,
      bytes: patternedBytes(MAX_UPLOAD_BYTES + 2 * 1024 * 1024),
    });
    const { "content-length": _, ...headers } = init.headers as Record<string, string>;
    const bytes = init.body as Uint8Array;
    // Sent in 64 KiB chunks with no length announced, as a chunked upload arrives.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 65_536) controller.enqueue(bytes.subarray(offset, offset + 65_536));
        controller.close();
      },
    });
    const response = await t.app.fetch("http://yoga/graphql", { method: "POST", headers, body, duplex: "half" } as RequestInit);
    const result = (await response.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    expect(result.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await t.db.prisma.attachment.count({ where: { recordId: record.id } })).toBe(0);
    expect(await storedKeys(t.services.storage, customer.id)).toEqual([]);
  });

  test("removeAttachment deletes the row and the stored file", async () => {
    const { user, record, customer } = await writer();
    const added = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes: patternedBytes(5_000) });
    const attachment = added.body.data.addAttachment.attachment;
    expect(await storedKeys(t.services.storage, customer.id)).toHaveLength(1);
    const res = await removeAttachment(t, user.token, attachment.id);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.removeAttachment).toMatchObject({
      removedAttachmentId: attachment.id,
      record: { id: encodeGlobalID("Record", record.id), attachmentCount: 0 },
    });
    expect(await storedKeys(t.services.storage, customer.id)).toEqual([]);
    // The old link now leads nowhere.
    expect((await fetchLink(attachment.downloadUrl)).status).not.toBe(200);
    const again = await removeAttachment(t, user.token, attachment.id);
    expect(again.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  test("deleteRecord deletes the stored files of its attachments after the commit", async () => {
    const { user, record, customer } = await writer();
    for (let i = 0; i < 2; i += 1) {
      await uploadAttachment(t, { token: user.token, recordId: record.id, bytes: patternedBytes(1_000, i) });
    }
    expect(await storedKeys(t.services.storage, customer.id)).toHaveLength(2);
    const res = await t.gql(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, {
      token: user.token,
      variables: { id: encodeGlobalID("Record", record.id) },
    });
    expect(res.body.errors).toBeUndefined();
    expect(await storedKeys(t.services.storage, customer.id)).toEqual([]);
  });

  test("a failed file delete never brings the row back", async () => {
    const { user, record } = await writer();
    const added = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes: patternedBytes(100) });
    const storage = t.services.storage;
    const original = storage.delete;
    storage.delete = async () => {
      throw new Error("storage is down");
    };
    try {
      const res = await removeAttachment(t, user.token, added.body.data.addAttachment.attachment.id);
      expect(res.body.errors).toBeUndefined();
    } finally {
      storage.delete = original;
    }
    expect(await t.db.prisma.attachment.count({ where: { recordId: record.id } })).toBe(0);
  });

  test("VIEWER cannot upload or remove; another customer's record is NOT_FOUND", async () => {
    const { customer, user, record } = await writer();
    const viewer = await customer.user({ role: "VIEWER" });
    const refused = await uploadAttachment(t, { token: viewer.token, recordId: record.id, bytes: patternedBytes(10) });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const added = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes: patternedBytes(10) });
    const attachmentId = added.body.data.addAttachment.attachment.id;
    expect((await removeAttachment(t, viewer.token, attachmentId)).body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");

    const other = await writer();
    const foreign = await uploadAttachment(t, { token: other.user.token, recordId: record.id, bytes: patternedBytes(10) });
    expect(foreign.body.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    expect((await removeAttachment(t, other.user.token, attachmentId)).body.errors?.[0]?.extensions?.code).toBe(
      "NOT_FOUND",
    );
    expect(await storedKeys(t.services.storage, other.customer.id)).toEqual([]);
    expect(await storedKeys(t.services.storage, customer.id)).toHaveLength(1);
  });

  test("an upload without the CSRF header is refused before anything is stored", async () => {
    const { user, record, customer } = await writer();
    const res = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes: patternedBytes(10), csrfHeader: false });
    expect(res.status).toBe(403);
    expect(res.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await t.db.prisma.attachment.count({ where: { recordId: record.id } })).toBe(0);
    expect(await storedKeys(t.services.storage, customer.id)).toEqual([]);
  });

  test("a file variable sent as JSON is BAD_USER_INPUT", async () => {
    const { user, record } = await writer();
    const res = await t.gql(`mutation($input: AddAttachmentInput!) { addAttachment(input: $input) { attachment { id } } }`, {
      token: user.token,
      variables: { input: { recordId: encodeGlobalID("Record", record.id), file: "not a file" } },
    });
    expect(res.body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  test("the attachments list and count show added and removed files", async () => {
    const { user, record } = await writer();
    const query = `query($id: ID!) { node(id: $id) { ... on Record { attachmentCount attachments(first: 10) { edges { node { filename } } } } } }`;
    const read = async () =>
      (await t.gql(query, { token: user.token, variables: { id: encodeGlobalID("Record", record.id) } })).body.data.node;
    expect(await read()).toMatchObject({ attachmentCount: 0 });
    const added = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes: patternedBytes(10), filename: "a.bin" });
    expect(await read()).toMatchObject({ attachmentCount: 1, attachments: { edges: [{ node: { filename: "a.bin" } }] } });
    await removeAttachment(t, user.token, added.body.data.addAttachment.attachment.id);
    expect(await read()).toMatchObject({ attachmentCount: 0, attachments: { edges: [] } });
  });

  /** Local links go through the handler; S3 presigned links go to s3rver over HTTP. */
  function fetchLink(url: string): Promise<Response> {
    return url.startsWith("http://yoga/") ? download(t, url) : fetch(url);
  }
});

