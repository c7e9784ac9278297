// The database goes away under a running job worker and comes back. A real PostgreSQL server
// the test owns (PGlite over the wire protocol on a loopback port, stopped and restarted on the
// same port, as in faults.test.ts), reached the ordinary way: the app's pg pool and pg-boss's
// own pool. Under TEST_DATABASE_URL too this file uses its own server: stopping a shared
// PostgreSQL would break every other test file.
//
// What must hold: while the database is down the worker keeps running (pg-boss's errors are
// logged, nothing unhandled, no job completes); once it is back, the job that was mid-flight,
// the job that was waiting in the queue and a job started afterwards all succeed by themselves,
// with exactly the feed's records (nothing lost, nothing written twice).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { decodeGlobalID } from "@pothos/plugin-relay";
import type { PgBoss } from "pg-boss";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { RECORD_SYNC_QUEUE } from "../src/jobs/queue.js";
import { startJobWorker, type JobWorker } from "../src/jobs/worker.js";
import { createLogger } from "../src/logger.js";
import { createApp, createServices } from "../src/server.js";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { postGraphQL } from "./helpers/graphql-request.js";
import { jobTestEnvironment, startSync, syncRecords } from "./helpers/job-app.js";
import { Seed } from "./helpers/seed.js";
import type { TestApp } from "./helpers/test-app.js";

let pglite: PGlite;
let server: PGLiteSocketServer;
let port = 0;
let dataDir: string;
let db: Database;
let t: TestApp;
let boss: PgBoss;
let worker: JobWorker;
let feed: FeedServer;
/** Every line the app logged (warn and up), parsed: pg-boss's errors arrive here. */
const logs: Array<{ level: number; msg: string; time: number; err?: { message?: string } }> = [];
/** Record changes the worker reported, with when: none may be reported while the database is down. */
const changes: Array<{ customerId: string; at: number }> = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

const startServer = async () => {
  server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port, maxConnections: 16 });
  await server.start();
  port = ((server as unknown as { server: import("node:net").Server }).server.address() as { port: number }).port;
};

/** Polls `read` until `done` holds or `timeoutMs` passes; errors (database still down) count as "not yet". */
async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last as T)) return last as T;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not reached in ${timeoutMs} ms; last seen: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
}

/** The API answers global ids; the rows are keyed by the uuid inside. */
const rowId = (jobId: string) => decodeGlobalID(jobId).id;
const jobsById = (jobIds: string[]) => db.prisma.collectionJob.findMany({ where: { id: { in: jobIds.map(rowId) } } });
const referenceNumbers = async (customerId: string) =>
  (await db.prisma.record.findMany({ where: { customerId }, select: { referenceNumber: true }, orderBy: { referenceNumber: "asc" } })).map(
    (record) => record.referenceNumber,
  );

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  process.on("uncaughtException", onUnhandled);
  feed = await startFeedServer();
  // The migrated snapshot when there is one (embedded runs); a fresh, migrated PGlite otherwise.
  const snapshotPath = inject("pgliteSnapshotPath");
  pglite = snapshotPath
    ? await PGlite.create({ loadDataDir: new Blob([fs.readFileSync(snapshotPath)]) })
    : await PGlite.create();
  await startServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-worker-outage-"));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
    DATA_DIR: dataDir,
    ...jobTestEnvironment(`pgboss_outage_${randomUUID().replace(/-/g, "").slice(0, 12)}`),
  });
  db = await openDatabase(config, { url: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  if (!snapshotPath) await migrate(db);
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const services = createServices(config, db, { logger });
  const app = createApp(services);
  t = {
    app,
    db,
    config,
    services,
    seed: new Seed(db, services.tokens),
    gql: (query, options) => postGraphQL(async (url, init) => app.fetch(url, init), "http://yoga/graphql", query, options),
    close: async () => {},
  };
  boss = await services.jobs.queue.started();
  // One job at a time, so a second job provably waits in the queue (not in a handler) during
  // the outage.
  worker = await startJobWorker({
    config,
    database: db,
    queue: services.jobs.queue,
    logger,
    concurrency: 1,
    onRecordsChanged: (customerId) => void changes.push({ customerId, at: Date.now() }),
  });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await t?.services.jobs.close();
  await t?.services.userChanges.stop();
  await t?.services.recordChanges.stop();
  await t?.services.responseCache.close();
  await t?.services.rateLimiter.close();
  await db?.close();
  await server?.stop();
  await pglite?.close();
  await feed?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
});

async function freshAdmin() {
  const customer = await t.seed.customer();
  return { customer, admin: await customer.user({ role: "ADMIN" }) };
}

test("workers pause while the database is down and finish every job by themselves once it is back", { timeout: 60_000 }, async () => {
  // Before: a job runs normally.
  const warm = await freshAdmin();
  const warmJob = await startSync(t, warm.admin.token, feed.route(pagedFeed(feedRecords(4, "warm"), 10)));
  await pollUntil(() => jobsById([warmJob]), ([job]) => job?.status === "SUCCEEDED", 15_000, "warm-up job");
  expect(await referenceNumbers(warm.customer.id)).toHaveLength(4);

  // Mid-flight: 3 pages of 10, each taking 1 s to arrive. The outage starts just after page 2
  // was asked for, so page 1 is committed and page 2's transaction will find no database.
  const running = await freshAdmin();
  const runningRecords = feedRecords(30, "running");
  const runningFeed = feed.route(pagedFeed(runningRecords, 10, { delayMs: 1_000 }));
  const runningJob = await startSync(t, running.admin.token, runningFeed);
  await pollUntil(() => jobsById([runningJob]), ([job]) => job?.status === "RUNNING", 15_000, "running job claimed");
  // Waiting: another customer's job, queued behind it (the worker takes one at a time).
  const waiting = await freshAdmin();
  const waitingRecords = feedRecords(10, "waiting");
  const waitingFeed = feed.route(pagedFeed(waitingRecords, 5));
  const waitingJob = await startSync(t, waiting.admin.token, waitingFeed);
  await pollUntil(async () => feed.hits(runningFeed), (hits) => hits >= 2, 15_000, "page 2 requested");

  // Database down.
  await server.stop();
  const downAt = Date.now();
  const queueErrors = () => logs.filter((line) => line.msg === "job queue error" && line.time >= downAt);
  // pg-boss tags its worker loop's errors (a failed fetch, a failed fail()) with the queue.
  const workerErrors = () => queueErrors().filter((line) => line.err?.message?.includes(`(Queue: ${RECORD_SYNC_QUEUE},`));
  // Down until the running attempt has failed on the database and the worker has then failed
  // to fetch a few times (it polls every 0.5 s): pg-boss reports those as 'error' events, which
  // the queue logs. No fixed sleep: evidence, with a deadline.
  await pollUntil(
    async () => ({
      attemptFailed: logs.some((line) => line.msg === "record sync attempt failed unexpectedly" && line.time >= downAt),
      workerErrors: workerErrors().length,
    }),
    (seen) => seen.attemptFailed && seen.workerErrors >= 4,
    15_000,
    "the worker meeting the outage",
  );
  // The worker is still there: its record-sync loop is active and keeps polling.
  const wip = boss.getWipData().filter((each) => each.name === RECORD_SYNC_QUEUE);
  expect(wip).toHaveLength(1);
  expect(wip[0]).toMatchObject({ state: "active" });
  expect(wip[0]!.lastErrorOn).toBeGreaterThanOrEqual(downAt);
  expect(feed.hits(waitingFeed)).toBe(0); // the queued job was not started in the dark
  expect(unhandled).toEqual([]);
  const upAt = Date.now();
  console.log(`database down for ${upAt - downAt} ms; pg-boss emitted ${queueErrors().length} errors, all logged`);
  await startServer();

  // Back: a new job is accepted (retried while the API's pool reconnects; the key makes a
  // retry return the same job rather than start another)...
  const later = await pollUntil(freshAdmin, () => true, 10_000, "seeding after restart");
  const laterRecords = feedRecords(6, "later");
  const laterFeed = feed.route(pagedFeed(laterRecords, 5));
  const laterJob = (
    await pollUntil(() => syncRecords(t, later.admin.token, laterFeed, "after-outage"), (response) => !response.body.errors, 10_000, "syncRecords after restart")
  ).body.data!.syncRecords.jobId;

  // ...and all three jobs succeed by themselves. The queued and the new job run at once. The
  // interrupted one waits for its lease: pg-boss could not record the failed attempt while the
  // database was down, so the job stays active in pg-boss until its heartbeat (JOB_LEASE_SECONDS,
  // 10 s here) lapses and supervision (every 3 s) retries it, from its checkpoint.
  const ids = [runningJob, waitingJob, laterJob];
  const jobs = await pollUntil(() => jobsById(ids), (rows) => rows.length === 3 && rows.every((job) => job.status === "SUCCEEDED"), 30_000, "jobs after restart");
  const [runningRow, waitingRow, laterRow] = ids.map((id) => jobs.find((job) => job.id === rowId(id))!);
  console.log(
    `after the restart: waiting job done in ${waitingRow!.finishedAt!.getTime() - upAt} ms, new job in ` +
      `${laterRow!.finishedAt!.getTime() - upAt} ms, interrupted job in ${runningRow!.finishedAt!.getTime() - upAt} ms`,
  );

  // Nothing completed, and no page was committed, while the database was down.
  for (const job of jobs) expect(job.finishedAt!.getTime()).toBeGreaterThanOrEqual(upAt);
  expect(changes.filter((change) => change.at >= downAt && change.at < upAt)).toEqual([]);
  // Exactly the feed's records: nothing lost, nothing written twice.
  const refs = (records: Array<{ referenceNumber: string }>) => records.map((record) => record.referenceNumber).sort();
  expect(await referenceNumbers(running.customer.id)).toEqual(refs(runningRecords));
  expect(await referenceNumbers(waiting.customer.id)).toEqual(refs(waitingRecords));
  expect(await referenceNumbers(later.customer.id)).toEqual(refs(laterRecords));
  expect(await db.prisma.attachment.count({ where: { customerId: running.customer.id } })).toBe(30);
  // The interrupted job resumed from its checkpoint: page 1 was not read again, page 2 twice
  // (its first read was never committed). The outage cost it one attempt, the others none.
  expect(runningRow!.result).toMatchObject({ created: 30, updated: 0, unchanged: 0, pages: 3 });
  expect(feed.hits(runningFeed)).toBe(4);
  expect([runningRow, waitingRow, laterRow].map((job) => [job!.attempts, job!.error])).toEqual([[2, null], [1, null], [1, null]]);
  expect(waitingRow!.result).toMatchObject({ created: 10, updated: 0, unchanged: 0, pages: 2 });
  expect(laterRow!.result).toMatchObject({ created: 6, updated: 0, unchanged: 0, pages: 2 });
  expect(await db.prisma.collectionJob.count({ where: { customerId: later.customer.id } })).toBe(1);
  // pg-boss agrees: nothing left active or queued for these jobs.
  for (const id of ids) expect((await boss.getJobById(RECORD_SYNC_QUEUE, rowId(id)))?.state).toBe("completed");
  expect(boss.getWipData().filter((each) => each.name === RECORD_SYNC_QUEUE)[0]).toMatchObject({ state: "active" });
  expect(unhandled).toEqual([]);
});
