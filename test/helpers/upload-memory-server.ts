// A real API server in its own process, for measuring the memory of a large upload
// (test/attachments-upload-memory.test.ts). Prints {port, token, recordId} on stdout.
// Run with --expose-gc: every 50 ms it collects garbage and samples memory, so the peaks
// are of memory still referenced (what an upload holds), not of garbage V8 has yet to free.
// GET /__memory answers the peaks since the previous GET /__memory and resets them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { loadConfig } from "../../src/config.js";
import { openDatabase } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrate.js";
import { createServer } from "node:http";
import { createApp, createServices } from "../../src/server.js";
import { Seed } from "./seed.js";

const url = process.env.TEST_DATABASE_URL;
const config = loadConfig({
  ...process.env,
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "testapp-upload-memory-")),
  JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
  DATABASE_URL: url ?? "",
  WORKER_CONCURRENCY: "0",
});
const db = url ? await openDatabase(config, { url }) : await openDatabase(config, { pglite: await PGlite.create() });
await migrate(db);
const services = createServices(config, db);
const app = createApp(services);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const sample = () => (gc(), process.memoryUsage());
let peak = { rss: 0, arrayBuffers: 0 };
setInterval(() => {
  const now = sample();
  peak = { rss: Math.max(peak.rss, now.rss), arrayBuffers: Math.max(peak.arrayBuffers, now.arrayBuffers) };
}, 50).unref();
const server = createServer((request, response) => {
  if (request.url !== "/__memory") return app(request, response);
  const now = sample();
  response.end(JSON.stringify({ now, peak }));
  peak = { rss: now.rss, arrayBuffers: now.arrayBuffers };
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const customer = await new Seed(db, services.tokens).customer();
const user = await customer.user();
const record = await customer.record();
const port = (server.address() as { port: number }).port;
console.log(JSON.stringify({ port, token: user.token, recordId: record.id }));
