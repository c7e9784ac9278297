// The storage contract, run against both backends: local disk, and S3 through the s3rver
// stand-in (no real S3 can be installed here). A backend passes only if every case passes.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { storageKeyFor } from "../src/storage/file-storage.js";
import { sweepOrphanFiles } from "../src/storage/orphan-sweep.js";
import { readAll, type StorageBackendSetup, storageBackends, storedKeys } from "./helpers/storage-backends.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { patternedBytes } from "./helpers/upload-request.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

/** A stream that yields `bytes` in small chunks, so backends see many writes. */
function chunked(bytes: Uint8Array, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunkSize) yield Buffer.from(bytes.subarray(i, i + chunkSize));
    })(),
  );
}

describe.each(storageBackends)("$name", (backend) => {
  let setup: StorageBackendSetup;
  const customerId = randomUUID();
  const newKey = () => storageKeyFor(customerId, randomUUID());
  beforeAll(async () => {
    setup = await backend.start();
  });
  afterAll(() => setup.stop());

  test.each([
    ["empty", 0],
    ["small", 1_000],
    ["several stream chunks", 300_000],
    // Past one S3 part (8 MiB): exercises the multipart path.
    ["several S3 parts", 8 * 1024 * 1024 * 2 + 12_345],
  ])("round trip is byte-exact: %s", async (_name, size) => {
    const bytes = patternedBytes(size, size + 7);
    const key = newKey();
    await setup.storage.write(key, chunked(bytes), { contentType: "application/octet-stream" });
    const read = await readAll(setup.storage, key);
    expect(read?.length).toBe(size);
    expect(read?.equals(Buffer.from(bytes))).toBe(true);
  });

  test("a body that fails midway leaves nothing under the key", async () => {
    const key = newKey();
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from(patternedBytes(9 * 1024 * 1024));
        throw new Error("client went away");
      })(),
    );
    await expect(setup.storage.write(key, failing, { contentType: "application/octet-stream" })).rejects.toThrow(
      "client went away",
    );
    expect(await setup.storage.read(key)).toBeNull();
    expect(await storedKeys(setup.storage, customerId)).not.toContain(key);
  });

  test("list shows written files; delete removes them and ignores missing ones", async () => {
    const [a, b] = [newKey(), newKey()];
    for (const key of [a, b]) await setup.storage.write(key, chunked(patternedBytes(10)), { contentType: "text/plain" });
    expect(await storedKeys(setup.storage, customerId)).toEqual(expect.arrayContaining([a, b]));
    await setup.storage.delete([a, newKey()]);
    expect(await setup.storage.read(a)).toBeNull();
    expect(await readAll(setup.storage, b)).not.toBeNull();
    expect(await storedKeys(setup.storage, customerId)).not.toContain(a);
  });

  test("keys that are not storage keys never reach the backend", async () => {
    await expect(setup.storage.read("../../etc/passwd")).rejects.toThrow("invalid storage key");
    await expect(setup.storage.delete([`${customerId}/../x`])).rejects.toThrow("invalid storage key");
  });

  test("the orphan sweep deletes old unreferenced files only", async () => {
    const customer = await t.seed.customer();
    const record = await customer.record();
    const [referenced, orphan] = [storageKeyFor(customer.id, randomUUID()), storageKeyFor(customer.id, randomUUID())];
    for (const key of [referenced, orphan]) {
      await setup.storage.write(key, chunked(patternedBytes(100)), { contentType: "application/octet-stream" });
    }
    await t.db.prisma.attachment.create({
      data: { customerId: customer.id, recordId: record.id, filename: "a", contentType: "x", sizeBytes: 100, storageKey: referenced },
    });
    const options = { storage: setup.storage, prisma: t.db.prisma, graceSeconds: 3_600 };
    // Within the grace period nothing is touched (an upload may still be on its way to its row).
    expect((await sweepOrphanFiles(options)).deleted).toBe(0);
    const later = new Date(Date.now() + 2 * 3_600_000);
    const result = await sweepOrphanFiles({ ...options, now: later });
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    expect(await storedKeys(setup.storage, customer.id)).toEqual([referenced]);
  });
});
