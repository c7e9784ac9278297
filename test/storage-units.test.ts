// The small pure pieces of file storage: filename sanitising, content-type detection,
// download signatures.
import { randomUUID } from "node:crypto";
import { describe, expect, test } from "vitest";
import { detectContentType } from "../src/storage/content-type.js";
import { DownloadSigner } from "../src/storage/download-signature.js";
import { contentDispositionAttachment, sanitizeFilename } from "../src/storage/filename.js";

describe("sanitizeFilename", () => {
  test.each([
    ["report.pdf", "report.pdf"],
    ["../../etc/passwd", "passwd"],
    ["C:\\Users\\me\\evil.exe", "evil.exe"],
    ["a\r\nb\u0000c.txt", "a bc.txt"],
    // A right-to-left override makes "gpj.exe" display as "exe.jpg".
    ["photo\u202egpj.exe", "photogpj.exe"],
    ["  .hidden  ", "hidden"],
    ["..", "file"],
    ["", "file"],
    ['what?"<>|*.txt', "what______.txt"],
    ["tab\there   and  spaces.txt", "tab here and spaces.txt"],
    ["Café.txt", "Café.txt"],
  ])("%j → %j", (raw, expected) => {
    expect(sanitizeFilename(raw)).toBe(expected);
  });

  test("long names are cut to 255 UTF-8 bytes, keeping the extension", () => {
    const name = sanitizeFilename(`${"é".repeat(300)}.pdf`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith(".pdf")).toBe(true);
  });

  test("Content-Disposition carries an ASCII fallback and the exact UTF-8 name", () => {
    expect(contentDispositionAttachment("Café (1).txt")).toBe(
      `attachment; filename="Caf_ (1).txt"; filename*=UTF-8''Caf%C3%A9%20%281%29.txt`,
    );
  });
});

describe("detectContentType", () => {
  test.each([
    ["PDF", Buffer.from("%PDF-1.4\n%âãÏÓ\n1 0 obj\n"), "application/pdf"],
    ["PNG", Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), "image/png"],
    ["UTF-8 text", Buffer.from("a,b,c\n1,2,3\n"), "text/plain; charset=utf-8"],
    ["HTML is plain text", Buffer.from("<!doctype html><script>x</script>"), "text/plain; charset=utf-8"],
    ["binary", Buffer.from([0, 1, 2, 250, 251]), "application/octet-stream"],
    ["empty", Buffer.alloc(0), "application/octet-stream"],
  ])("%s", async (_name, bytes, expected) => {
    expect(await detectContentType(bytes)).toBe(expected);
  });
});

describe("DownloadSigner", () => {
  const signer = new DownloadSigner("a-secret-that-is-long-enough-for-the-test-0123");
  const claims = { attachmentId: randomUUID(), customerId: randomUUID(), expiresAt: 2_000 };
  const params = () => new URLSearchParams(signer.query(claims));

  test("accepts its own link until it expires", () => {
    expect(signer.verify(claims.attachmentId, params(), 1_999)).toEqual(claims);
    expect(signer.verify(claims.attachmentId, params(), 2_000)).toBeNull();
  });

  test("refuses any change to the attachment, the customer, the expiry or the signature", () => {
    expect(signer.verify(randomUUID(), params(), 0)).toBeNull();
    for (const [name, value] of [
      ["customer", randomUUID()],
      ["expires", "999999"],
      ["signature", "AAAA"],
      ["expires", "1e9"],
    ] as const) {
      const tampered = params();
      tampered.set(name, value);
      expect(signer.verify(claims.attachmentId, tampered, 0)).toBeNull();
    }
    const missing = params();
    missing.delete("signature");
    expect(signer.verify(claims.attachmentId, missing, 0)).toBeNull();
  });

  test("another secret's signature is refused", () => {
    const other = new DownloadSigner("another-secret-that-is-long-enough-0123456789");
    expect(other.verify(claims.attachmentId, params(), 0)).toBeNull();
  });
});
