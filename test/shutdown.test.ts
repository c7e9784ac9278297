// SIGTERM, as an orchestrator sends it: the real entry point (`node --import tsx src/main.ts`,
// embedded database in a temp DATA_DIR) stops accepting connections, finishes the request
// that is still arriving, releases everything and exits 0.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { type JobTestApp, jobTestEnvironment, startJobTestApp } from "./helpers/job-app.js";
import { freePort } from "./helpers/free-port.js";

const projectDir = path.resolve(import.meta.dirname, "..");
let child: ChildProcess | undefined;
let dataDir: string | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});


/** Resolves with the dev token once the server printed it (it is listening by then). */
function waitForDevToken(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    process.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Authorization: Bearer (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    process.on("exit", (code) => reject(new Error(`server exited with ${code} before serving:\n${output}`)));
  });
}

test("SIGTERM: stops accepting, finishes the in-flight request, exits 0", { timeout: 90_000 }, async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-shutdown-"));
  const port = await freePort();
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: projectDir,
    env: {
      ...process.env,
      NODE_ENV: "development",
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: "",
      WORKER_CONCURRENCY: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));
  const token = await waitForDevToken(child);

  // A request whose body is still arriving when SIGTERM comes.
  const body = JSON.stringify({ query: "{ viewer { user { email } } records(first: 2) { totalCount } }" });
  const half = Math.floor(body.length / 2);
  const request = http.request({
    host: "127.0.0.1",
    port,
    path: "/graphql",
    method: "POST",
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` },
  });
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.on("response", (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, text }));
    });
    request.on("error", reject);
  });
  request.write(body.slice(0, half));
  await new Promise((resolve) => setTimeout(resolve, 200)); // the server has the connection

  child.kill("SIGTERM");
  // New connections are refused once it stopped listening.
  await expect
    .poll(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          () => "accepted",
          () => "refused",
        ),
      { timeout: 10_000, interval: 100 },
    )
    .toBe("refused");

  request.end(body.slice(half));
  const response = await answered;
  expect(response.status).toBe(200);
  const parsed = JSON.parse(response.text);
  expect(parsed.errors).toBeUndefined();
  expect(parsed.data.viewer.user.email).toBe("alice@acme.test");
  expect(await exited).toBe(0);
});

// Issue 15, point 8: an open SSE subscription must not hold the drain (it used to until the
// 10 s limit, then the connection was cut). A jobUpdated subscription on a job no worker
// runs (WORKER_CONCURRENCY=0) stays open until SIGTERM; the client must see a clean end of
// stream (`event: complete`) and the process exit 0 well within the drain limit.
test("SIGTERM completes an open jobUpdated subscription at once and exits well within the drain limit", { timeout: 120_000 }, async () => {
  const postgres = process.env.TEST_DATABASE_URL;
  const port = await freePort();
  const subscriberDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-shutdown-sse-"));
  let environment: Record<string, string> = { DATABASE_URL: "", DATA_DIR: subscriberDataDir };
  let jobApp: JobTestApp | undefined;
  let seededToken: string | undefined;
  if (postgres) {
    // PostgreSQL: a customer of this test's own, and a token signed with the process's secret.
    jobApp = await startJobTestApp({ worker: false });
    seededToken = (await jobApp.seed.customerWithAdmin()).admin.token;
    environment = {
      ...jobTestEnvironment(jobApp.config.jobs.queueSchema),
      DATABASE_URL: postgres,
      JWT_SECRET: jobApp.config.jwt.secret!,
      DATA_DIR: subscriberDataDir,
    };
  }
  const server = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: projectDir,
    env: {
      ...process.env,
      NODE_ENV: "development",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      WORKER_CONCURRENCY: "0",
      SYNC_ALLOWED_HOSTS: "127.0.0.1",
      FILE_SWEEP_INTERVAL_SECONDS: "0",
      ...environment,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
  try {
    // Embedded: the demo data is seeded at start and the dev token printed once it serves.
    const token = seededToken ?? (await waitForDevToken(server));
    if (seededToken) await waitForHealth(port);
    const url = `http://127.0.0.1:${port}/graphql`;
    const queued = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: "mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId } }",
        variables: { input: { sourceUrl: "http://127.0.0.1:9/never-read" } },
      }),
    }).then((response) => response.json());
    const jobId = queued.data.syncRecords.jobId as string;

    const query = "subscription($id: ID!) { jobUpdated(jobId: $id) { id status } }";
    const stream = await fetch(`${url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: jobId }))}`, {
      headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
    });
    const reader = stream.body!.getReader();
    let text = "";
    while (!text.includes("event: next")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before its first event: ${text}`);
      text += Buffer.from(value).toString();
    }
    expect(text).toContain('"status":"QUEUED"');

    const signalledAt = performance.now();
    server.kill("SIGTERM");
    let ended = false;
    while (!ended) {
      const { value, done } = await reader.read(); // rejects if the connection is cut instead
      if (value) text += Buffer.from(value).toString();
      ended = done;
    }
    const streamEndedMs = performance.now() - signalledAt;
    expect(await exited).toBe(0);
    const exitedMs = performance.now() - signalledAt;
    console.log(`shutdown with an open subscription: stream ended after ${streamEndedMs.toFixed(0)} ms, exit after ${exitedMs.toFixed(0)} ms`);
    expect(text.trimEnd().endsWith("event: complete\ndata:") || text.includes("event: complete")).toBe(true);
    // The drain limit is 10 s (src/main.ts); before this change the process took all of it.
    expect(exitedMs).toBeLessThan(5_000);
  } finally {
    if (server.exitCode === null) server.kill("SIGKILL");
    await jobApp?.closeAll();
    fs.rmSync(subscriberDataDir, { recursive: true, force: true });
  }
});

async function waitForHealth(port: number) {
  await expect
    .poll(() => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0), { timeout: 45_000, interval: 200 })
    .toBe(200);
}
