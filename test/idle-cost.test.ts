// What the API process (as npm start runs it: HTTP server, job worker, listeners) costs its
// database while nothing happens, counted statement by statement on the wire (PostgreSQL) or on
// the embedded instance, pg-boss's own connections included; and that a queued job wakes a worker
// at once instead of waiting for the fallback poll. npm run bench:idle measures the same over a
// minute and the enqueue-to-start latency.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type IdleApi, sleep, startIdleApi } from "../bench/idle-api.js";

const FALLBACK_POLL_SECONDS = 300;
let api: IdleApi;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-idle-"));
  api = await startIdleApi({
    databaseUrl: process.env.TEST_DATABASE_URL,
    dataDir,
    // The fallback poll is far away: a job that starts soon was woken by its notification.
    environment: { JOB_IDLE_POLL_INTERVAL_SECONDS: String(FALLBACK_POLL_SECONDS) },
  });
}, 60_000);

afterAll(async () => {
  await api?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("an idle process sends at most 30 statements a minute (counted over 20 s), and a job wakes a worker at once", async () => {
  // Let start-up (queue creation, the first supervision pass 3 s in) finish.
  await sleep(8_000);
  const mark = api.log.count;
  await sleep(20_000);
  const idle = api.log.since(mark);
  // 30 a minute is 10 in 20 s. Before LISTEN/NOTIFY and paced supervision: ~155.
  expect(idle.length, JSON.stringify(api.log.breakdown(mark), null, 1)).toBeLessThanOrEqual(10);

  const beforeJob = api.log.count;
  const jobId = await api.enqueueSync();
  const job = await api.jobEnded(jobId);
  expect(job.startedAt).not.toBeNull();
  // Far inside the fallback poll: the enqueue's notification woke the worker.
  expect(job.startedAt!.getTime() - job.createdAt.getTime()).toBeLessThan(5_000);
  // Positive control: the counter sees pg-boss's own statements (the worker's fetch of the job).
  const fetchedJob = (sql: string) => /name = 'record-sync'[\s\S]*SET state = 'active'/.test(sql.replace(/\s+/g, " "));
  expect(api.log.since(beforeJob).some(fetchedJob)).toBe(true);
}, 90_000);
