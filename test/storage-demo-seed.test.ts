// `npm start` seeds the demo data with real stored files: every demo attachment's
// downloadUrl serves a file of its sizeBytes, and the files are what their names say.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, expect, test } from "vitest";
import { seedDemoData } from "../prisma/seed.js";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { detectContentType } from "../src/storage/content-type.js";
import { type App, createApp, createServices } from "../src/server.js";

let db: Database;
let app: App;
let token: string;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-demo-files-"));

beforeAll(async () => {
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DATA_DIR: dataDir,
    JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
  });
  db = await openDatabase(config, { pglite: await PGlite.create() });
  await migrate(db);
  const services = createServices(config, db);
  expect(await seedDemoData(db, services.storage)).toEqual({ seeded: true });
  app = createApp(services);
  const alice = await db.prisma.user.findUniqueOrThrow({ where: { email: "alice@acme.test" } });
  token = await services.tokens.sign({ userId: alice.id, customerId: alice.customerId });
}, 60_000);
afterAll(async () => {
  await db.close();
  await db.pglite?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("every demo attachment has a stored file behind its downloadUrl", async () => {
  const res = await app.fetch("http://yoga/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: `{ records(first: 5) { edges { node { attachments { edges { node { filename contentType sizeBytes downloadUrl } } } } } } }`,
    }),
  });
  const body = await res.json();
  const attachments = body.data.records.edges.flatMap(
    (edge: any) => edge.node.attachments.edges.map((a: any) => a.node) as any[],
  );
  expect(attachments.length).toBeGreaterThan(5);
  const kinds = new Set<string>();
  for (const attachment of attachments) {
    expect(attachment.downloadUrl).toMatch(/^http:\/\/yoga\/files\//);
    const file = await app.fetch(attachment.downloadUrl);
    expect(file.status).toBe(200);
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(bytes.length).toBe(attachment.sizeBytes);
    // The bytes really are a PDF / PNG / text file, as the name and stored type say.
    const detected = await detectContentType(bytes);
    const expected = { "application/pdf": "application/pdf", "image/png": "image/png", "text/csv": "text/plain; charset=utf-8" };
    expect(detected).toBe(expected[attachment.contentType as keyof typeof expected]);
    kinds.add(attachment.contentType);
  }
  expect(kinds.size).toBe(3);
});
