// Download links: GET /files/<id> for local disk, presigned URLs for S3. A tampered,
// expired or foreign link is refused exactly like a link to a file that does not exist.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { startTestS3, type TestS3 } from "./helpers/storage-s3rver.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { download, patternedBytes, uploadAttachment } from "./helpers/upload-request.js";

async function uploaded(t: TestApp) {
  const { customer, admin: user } = await t.seed.customerWithAdmin();
  const record = await customer.record();
  const bytes = patternedBytes(2_000);
  const res = await uploadAttachment(t, { token: user.token, recordId: record.id, bytes, filename: "a.bin" });
  const attachment = res.body.data.addAttachment.attachment as { id: string; downloadUrl: string };
  return { customer, user, record, bytes, attachment, url: new URL(attachment.downloadUrl) };
}

describe("local disk: GET /files/<id>", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ DOWNLOAD_URL_TTL_SECONDS: "60" });
  });
  afterAll(() => t.close());

  /** Every refusal looks the same: status, body and headers say nothing about the file. */
  async function expectRefused(url: string) {
    const res = await download(t, url);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("Not found.\n");
  }

  test("a valid link serves the file with safe headers", async () => {
    const { url, bytes } = await uploaded(t);
    expect(url.pathname).toMatch(/^\/files\/[0-9a-f-]{36}$/);
    const res = await download(t, url.href);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="a.bin"; filename*=UTF-8''a.bin`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  test("a tampered link is refused like a missing file", async () => {
    const { url } = await uploaded(t);
    const badSignature = new URL(url);
    badSignature.searchParams.set("signature", `x${url.searchParams.get("signature")!.slice(1)}`);
    await expectRefused(badSignature.href);
    const longer = new URL(url);
    longer.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 3_600));
    await expectRefused(longer.href);
    await expectRefused(`${url.origin}${url.pathname}`);
    // A well-formed link to an attachment that does not exist: the same answer.
    await expectRefused(url.href.replace(/files\/[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith("0") ? "1" : "0")));
  });

  test("an expired link is refused", async () => {
    const { url } = await uploaded(t);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      await expectRefused(url.href);
    } finally {
      vi.useRealTimers();
    }
  });

  test("another customer's link cannot be turned into a link to this customer's file", async () => {
    const mine = await uploaded(t);
    const theirs = await uploaded(t);
    // Their signature with my attachment id, and my id under their customer: both refused.
    await expectRefused(theirs.url.href.replace(theirs.attachment.id.length ? theirs.url.pathname : "", mine.url.pathname));
    const swapped = new URL(mine.url);
    swapped.searchParams.set("customer", theirs.customer.id);
    await expectRefused(swapped.href);
    // And the other customer never gets a link: node(id) of a foreign attachment is null.
    const res = await t.gql(`query($id: ID!) { node(id: $id) { ... on Attachment { downloadUrl } } }`, {
      token: theirs.user.token,
      variables: { id: mine.attachment.id },
    });
    expect(res.body.data.node).toBeNull();
  });

  test("attachments without a stored file have no link", async () => {
    const { customer, admin: user } = await t.seed.customerWithAdmin();
    const record = await customer.record();
    await customer.attachments(record.id, 1);
    const res = await t.gql(
      `query($id: ID!) { node(id: $id) { ... on Record { attachments { edges { node { downloadUrl } } } } } }`,
      { token: user.token, variables: { id: encodeGlobalID("Record", record.id) } },
    );
    expect(res.body.data.node.attachments.edges).toEqual([{ node: { downloadUrl: null } }]);
  });

  test("PUBLIC_URL sets the links' origin", async () => {
    const app = await startTestApp({ PUBLIC_URL: "https://api.example.test/" });
    try {
      const { url } = await uploaded(app);
      expect(url.origin).toBe("https://api.example.test");
    } finally {
      await app.close();
    }
  });
});

describe("S3: presigned URLs (s3rver stand-in)", () => {
  let s3: TestS3;
  let t: TestApp;
  beforeAll(async () => {
    s3 = await startTestS3();
    t = await startTestApp({ ...s3.environment, DOWNLOAD_URL_TTL_SECONDS: "3" });
  });
  afterAll(async () => {
    await t.close();
    await s3.stop();
  });

  // s3rver checks expiry but not SigV4 signatures ("unimplemented" in its source), so
  // tampering with a presigned URL cannot be tested here: S3 itself refuses it (403
  // SignatureDoesNotMatch). What is checked: the link is SigV4-presigned for this one key.
  test("a presigned link serves the bytes as an attachment and expires", async () => {
    const { url, bytes, customer } = await uploaded(t);
    expect(url.origin).toBe(s3.config.endpoint);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("3");
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-disposition")).toMatch(/^attachment; filename="a.bin"/);
    expect(Buffer.from(await ok.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);

    expect(url.pathname).toMatch(new RegExp(`^/${s3.config.bucket}/${customer.id}/[0-9a-f-]{36}$`));
    expect(url.searchParams.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(url.searchParams.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);

    await new Promise((resolve) => setTimeout(resolve, 3_100));
    expect((await fetch(url)).status).toBe(403);
  });
});
