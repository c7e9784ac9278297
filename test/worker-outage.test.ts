// The database goes away under a running job worker and comes back. A real PostgreSQL server
// the test owns (PGlite over the wire protocol on a loopback port, stopped and restarted on the
// same port, as in faults.test.ts), reached the ordinary way: the app's pg pool and pg-boss's
// own pool. Under TEST_DATABASE_URL too this file uses its own server: stopping a shared
// PostgreSQL would break every other test file.
//
// What must hold: while the database is down the worker keeps running (pg-boss's errors are
// logged, nothing unhandled, no job completes) and the job that was mid-flight PAUSES, holding
// the feed page it had fetched; once the database is back, it carries on from there without
// losing an attempt, and the job that was waiting in the queue and a job started afterwards
// succeed too, with exactly the feed's records (nothing lost, nothing written twice). Then, on a
// sync run directly: a commit whose answer was lost is not applied twice, and an outage longer
// than the lease (or an aborted attempt) ends the wait.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { decodeGlobalID } from "@pothos/plugin-relay";
import type { PgBoss } from "pg-boss";
import type { Logger } from "pino";
import { afterAll, beforeAll, beforeEach, expect, inject, test } from "vitest";
import { type Config, loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import type { PrismaClient } from "../src/generated/prisma/client.js";
import { RECORD_SYNC_QUEUE } from "../src/jobs/queue.js";
import { runRecordSync } from "../src/jobs/record-sync/run-record-sync.js";
import { startJobWorker, type JobWorker } from "../src/jobs/worker.js";
import { createLogger } from "../src/logger.js";
import { closeServices, createServices } from "../src/server.js";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { jobTestEnvironment, startSync, syncRecords } from "./helpers/job-app.js";
import { type TestApp, testAppOver } from "./helpers/test-app.js";

let pglite: PGlite;
let server: PGLiteSocketServer;
let port = 0;
let dataDir: string;
let db: Database;
let t: TestApp;
let boss: PgBoss;
let worker: JobWorker;
let feed: FeedServer;
let config: Config;
let logger: Logger;
/** Every line the app logged (info and up), parsed: pg-boss's errors arrive here. */
const logs: Array<{ level: number; msg: string; time: number; jobId?: string; reason?: string; err?: { message?: string } }> = [];
/** Record changes the worker reported, with when: none may be reported while the database is down. */
const changes: Array<{ customerId: string; at: number }> = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

let serverUp = false;
const startServer = async () => {
  server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port, maxConnections: 16 });
  await server.start();
  serverUp = true;
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
  config = loadConfig({
    NODE_ENV: "test",
    // info: the sync's "resumed" line is an info line.
    LOG_LEVEL: "info",
    JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
    DATA_DIR: dataDir,
    ...jobTestEnvironment(`pgboss_outage_${randomUUID().replace(/-/g, "").slice(0, 12)}`),
    // A lease comfortably longer than the outage below (a few seconds) plus a heartbeat refresh
    // on either side of it (every lease/4 = 5 s): the paused job provably stays this attempt's.
    JOB_LEASE_SECONDS: "20",
    // pglite-socket does not carry a NOTIFY from one client session to another, so pg-boss's
    // wake-up on send never arrives here: the worker polls as it would with notifications down.
    JOB_IDLE_POLL_INTERVAL_SECONDS: "0.5",
  });
  db = await openDatabase(config, { url: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  if (!snapshotPath) await migrate(db);
  logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const services = createServices(config, db, { logger });
  t = testAppOver(config, db, services, async () => {});
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
  await (t ? closeServices(t.services) : db?.close());
  await server?.stop();
  await pglite?.close();
  await feed?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  process.off("unhandledRejection", onUnhandled);
  process.off("uncaughtException", onUnhandled);
});

// A test that failed while the database was down must not fail the ones after it.
beforeEach(async () => {
  if (!serverUp) await startServer();
});

/** The app's log lines with message `msg`, about the job with global id `jobId` when given. */
const logLines = (msg: string, jobId?: string) => logs.filter((line) => line.msg === msg && (!jobId || line.jobId === rowId(jobId)));
const PAUSED = "database unavailable; record sync paused";
const RESUMED = "database answers again; record sync resumed";
const GAVE_UP = "database still unavailable; record sync gives up this attempt";
const ALREADY_COMMITTED = "page had committed before the database went away; not applied again";

test("a running sync pauses while the database is down and carries on by itself once it is back, losing no attempt", { timeout: 60_000 }, async () => {
  // Before: a job runs normally.
  const warm = await t.seed.customerWithAdmin();
  const warmJob = await startSync(t, warm.admin.token, feed.route(pagedFeed(feedRecords(4, "warm"), 10)));
  await pollUntil(() => jobsById([warmJob]), ([job]) => job?.status === "SUCCEEDED", 15_000, "warm-up job");
  expect(await referenceNumbers(warm.customer.id)).toHaveLength(4);

  // Mid-flight: 3 pages of 10, each taking 1 s to arrive. The outage starts just after page 2
  // was asked for, so page 1 is committed, page 2 arrives in the dark and its transaction finds
  // no database.
  const running = await t.seed.customerWithAdmin();
  const runningRecords = feedRecords(30, "running");
  const runningFeed = feed.route(pagedFeed(runningRecords, 10, { delayMs: 1_000 }));
  const runningJob = await startSync(t, running.admin.token, runningFeed);
  await pollUntil(() => jobsById([runningJob]), ([job]) => job?.status === "RUNNING", 15_000, "running job claimed");
  // Waiting: another customer's job, queued behind it (the worker takes one at a time).
  const waiting = await t.seed.customerWithAdmin();
  const waitingRecords = feedRecords(10, "waiting");
  const waitingFeed = feed.route(pagedFeed(waitingRecords, 5));
  const waitingJob = await startSync(t, waiting.admin.token, waitingFeed);
  await pollUntil(async () => feed.hits(runningFeed), (hits) => hits >= 2, 15_000, "page 2 requested");

  // Database down.
  await server.stop();
  serverUp = false;
  const downAt = Date.now();
  const queueErrors = () => logs.filter((line) => line.msg === "job queue error" && line.time >= downAt);
  // Down until the running sync has paused (page 2 arrived and its commit failed: the pause is
  // logged at the first failure), pg-boss has met the outage a few times (its other workers
  // poll every 0.5 s, the paused job's heartbeat and supervision fail; all reported as 'error'
  // events the queue logs), and for at least 3 s in all: well past one backoff step (2 s at most)
  // and well inside the lease (20 s). No fixed sleep for the evidence: a deadline.
  await pollUntil(
    async () => ({ paused: logLines(PAUSED, runningJob).length, queueErrors: queueErrors().length, downMs: Date.now() - downAt }),
    (seen) => seen.paused === 1 && seen.queueErrors >= 4 && seen.downMs >= 3_000,
    15_000,
    "the worker meeting the outage",
  );
  // The worker is still there, and its record-sync loop still holds the paused job: the attempt
  // neither failed nor returned.
  const wip = boss.getWipData().filter((each) => each.name === RECORD_SYNC_QUEUE);
  expect(wip).toHaveLength(1);
  expect(wip[0]).toMatchObject({ state: "active", count: 1 });
  expect(logLines("record sync attempt failed unexpectedly")).toEqual([]);
  expect(logLines(PAUSED, runningJob)).toHaveLength(1); // once per pause, not per retry
  expect(feed.hits(runningFeed)).toBe(2); // page 3 is not asked for in the dark
  expect(feed.hits(waitingFeed)).toBe(0); // the queued job was not started in the dark
  expect(unhandled).toEqual([]);
  const upAt = Date.now();
  console.log(
    `database down for ${upAt - downAt} ms; pg-boss emitted ${queueErrors().length} errors, all logged; ` +
      `the sync paused on: ${logLines(PAUSED, runningJob)[0]!.err?.message}`,
  );
  await startServer();

  // Back: a new job is accepted (retried while the API's pool reconnects; the key makes a
  // retry return the same job rather than start another)...
  const later = await pollUntil(() => t.seed.customerWithAdmin(), () => true, 10_000, "seeding after restart");
  const laterRecords = feedRecords(6, "later");
  const laterFeed = feed.route(pagedFeed(laterRecords, 5));
  const laterJob = (
    await pollUntil(() => syncRecords(t, later.admin.token, laterFeed, "after-outage"), (response) => !response.body.errors, 10_000, "syncRecords after restart")
  ).body.data!.syncRecords.jobId;

  // ...and all three jobs succeed by themselves. The paused one first: it commits the page it
  // held within one backoff step and reads page 3; then the other two.
  const ids = [runningJob, waitingJob, laterJob];
  const jobs = await pollUntil(() => jobsById(ids), (rows) => rows.length === 3 && rows.every((job) => job.status === "SUCCEEDED"), 30_000, "jobs after restart");
  const [runningRow, waitingRow, laterRow] = ids.map((id) => jobs.find((job) => job.id === rowId(id))!);
  const resumedAt = logLines(RESUMED, runningJob)[0]?.time;
  console.log(
    `after the restart: paused job resumed in ${resumedAt! - upAt} ms and done in ${runningRow!.finishedAt!.getTime() - upAt} ms, ` +
      `waiting job done in ${waitingRow!.finishedAt!.getTime() - upAt} ms, new job in ${laterRow!.finishedAt!.getTime() - upAt} ms`,
  );

  // Paused once, resumed once, never gave up, never failed.
  expect(logLines(PAUSED, runningJob)).toHaveLength(1);
  expect(logLines(RESUMED, runningJob)).toHaveLength(1);
  expect(resumedAt).toBeGreaterThanOrEqual(upAt);
  expect(logLines(GAVE_UP)).toEqual([]);
  expect(logLines("record sync attempt failed unexpectedly")).toEqual([]);
  expect(logLines("record sync attempt failed")).toEqual([]);
  // Nothing completed, and no page was committed, while the database was down.
  for (const job of jobs) expect(job.finishedAt!.getTime()).toBeGreaterThanOrEqual(upAt);
  expect(changes.filter((change) => change.at >= downAt && change.at < upAt)).toEqual([]);
  // Exactly the feed's records: nothing lost, nothing written twice.
  const refs = (records: Array<{ referenceNumber: string }>) => records.map((record) => record.referenceNumber).sort();
  expect(await referenceNumbers(running.customer.id)).toEqual(refs(runningRecords));
  expect(await referenceNumbers(waiting.customer.id)).toEqual(refs(waitingRecords));
  expect(await referenceNumbers(later.customer.id)).toEqual(refs(laterRecords));
  expect(await db.prisma.attachment.count({ where: { customerId: running.customer.id } })).toBe(30);
  // The paused job carried on where it was: each page read once (page 2, fetched before the
  // outage, was held and committed, not read again), exact counts, and no attempt consumed.
  expect(runningRow!.result).toMatchObject({ created: 30, updated: 0, unchanged: 0, rejected: 0, pages: 3 });
  expect(feed.hits(runningFeed)).toBe(3);
  expect([runningRow, waitingRow, laterRow].map((job) => [job!.attempts, job!.error])).toEqual([[1, null], [1, null], [1, null]]);
  expect(waitingRow!.result).toMatchObject({ created: 10, updated: 0, unchanged: 0, rejected: 0, pages: 2 });
  expect(laterRow!.result).toMatchObject({ created: 6, updated: 0, unchanged: 0, rejected: 0, pages: 2 });
  expect(await db.prisma.collectionJob.count({ where: { customerId: later.customer.id } })).toBe(1);
  // pg-boss agrees: completed, the paused job on its first try (its heartbeat kept it ours).
  for (const id of ids) expect(await boss.getJobById(RECORD_SYNC_QUEUE, rowId(id))).toMatchObject({ state: "completed", retryCount: 0 });
  expect(boss.getWipData().filter((each) => each.name === RECORD_SYNC_QUEUE)[0]).toMatchObject({ state: "active" });
  expect(unhandled).toEqual([]);
});

/**
 * db.prisma, except that `fault(n)` decides for its n-th interactive transaction (1: the
 * attempt's claim, then one per page) whether the database "goes away" before it runs or after
 * it committed: the latter is the ambiguous commit, whose answer was lost.
 */
function faultyPrisma(fault: (n: number) => "before" | "after" | null): PrismaClient {
  let transactions = 0;
  const connectionLost = () => new Error("Connection terminated unexpectedly");
  return new Proxy(db.prisma, {
    get(target, property) {
      if (property !== "$transaction") return Reflect.get(target, property, target);
      return async (...args: unknown[]) => {
        const when = fault(++transactions);
        if (when === "before") throw connectionLost();
        const result: unknown = await Reflect.apply(target.$transaction, target, args);
        if (when === "after") throw connectionLost();
        return result;
      };
    },
  });
}

/** A job row to run directly with runRecordSync: pg-boss (and so the worker) never hears of it. */
async function directJob(sourceUrl: string) {
  const { customer } = await t.seed.customerWithAdmin();
  const job = await db.prisma.collectionJob.create({ data: { customerId: customer.id, kind: "RECORD_SYNC", sourceUrl } });
  return { customer, job };
}

const syncDirectly = (prisma: PrismaClient, jobId: string, options: { signal?: AbortSignal; leaseSeconds?: number; changed?: string[] } = {}) =>
  runRecordSync(
    {
      prisma,
      config: { ...config, jobs: { ...config.jobs, leaseSeconds: options.leaseSeconds ?? config.jobs.leaseSeconds } },
      logger,
      isStopping: () => false,
      onRecordsChanged: (_, recordIds) => void options.changed?.push(...recordIds),
    },
    { jobId, attempt: 1, maxAttempts: 3, signal: options.signal ?? new AbortController().signal },
  );

const byJob = (msg: string, jobId: string) => logs.filter((line) => line.msg === msg && line.jobId === jobId);

test("a page whose commit went through but whose answer was lost is not applied twice", { timeout: 30_000 }, async () => {
  const records = feedRecords(12, "ambiguous");
  const sourceUrl = feed.route(pagedFeed(records, 5));
  const { customer, job } = await directJob(sourceUrl);
  // Transactions: 1 the claim, 2 page 1, 3 page 2 (committed, answer lost; the retry finds it
  // in the checkpoint and runs no transaction), 4 page 3, the last (committed, answer lost: the
  // job is SUCCEEDED by then).
  const changed: string[] = [];
  await syncDirectly(faultyPrisma((n) => (n === 3 || n === 4 ? "after" : null)), job.id, { changed });

  const row = await db.prisma.collectionJob.findUniqueOrThrow({ where: { id: job.id } });
  expect(row).toMatchObject({ status: "SUCCEEDED", attempts: 1, error: null, leaseToken: null });
  // Counted once: re-applying page 2 would have counted its 5 records again, as "unchanged".
  expect(row.result).toMatchObject({ created: 12, updated: 0, unchanged: 0, rejected: 0, pages: 3 });
  expect(await referenceNumbers(customer.id)).toEqual(records.map((record) => record.referenceNumber).sort());
  expect(feed.hits(sourceUrl)).toBe(3); // the held pages were not fetched again
  expect(byJob(ALREADY_COMMITTED, job.id)).toHaveLength(2);
  expect(byJob(PAUSED, job.id)).toHaveLength(2);
  expect(byJob(RESUMED, job.id)).toHaveLength(2);
  // Every record was reported changed (the lost commits report their whole page).
  const ids = (await db.prisma.record.findMany({ where: { customerId: customer.id }, select: { id: true } })).map((record) => record.id);
  expect([...new Set(changed)].sort()).toEqual(ids.sort());
});

test("the claim waits out an outage too, and a claim whose answer was lost counts one attempt", { timeout: 30_000 }, async () => {
  // Transaction 1 is the claim: the database is gone before it runs, or after it committed.
  for (const when of ["before", "after"] as const) {
    const records = feedRecords(4, `claim-${when}`);
    const { customer, job } = await directJob(feed.route(pagedFeed(records, 5)));
    await syncDirectly(faultyPrisma((n) => (n === 1 ? when : null)), job.id);
    const row = await db.prisma.collectionJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(row).toMatchObject({ status: "SUCCEEDED", attempts: 1, error: null });
    expect(row.result).toMatchObject({ created: 4, pages: 1 });
    expect(await referenceNumbers(customer.id)).toEqual(records.map((record) => record.referenceNumber).sort());
    expect(byJob(PAUSED, job.id)).toHaveLength(1);
    expect(byJob(RESUMED, job.id)).toHaveLength(1);
  }
  expect(unhandled).toEqual([]);
});

test("an outage longer than the lease, or an aborted attempt, ends the wait as before", { timeout: 30_000 }, async () => {
  // The database never answers again for page commits (transactions after the claim).
  const down = () => faultyPrisma((n) => (n >= 2 ? "before" : null));

  // Lease 1 s: the attempt waits about that long, then fails the way it did before the pause
  // existed (its settle fails too, so the error reaches pg-boss, which retries after the lease).
  const longer = await directJob(feed.route(pagedFeed(feedRecords(3, "lease"), 5)));
  const started = Date.now();
  await expect(syncDirectly(down(), longer.job.id, { leaseSeconds: 1 })).rejects.toThrow(/Connection terminated/);
  const waitedMs = Date.now() - started;
  expect(waitedMs).toBeGreaterThanOrEqual(1_000);
  expect(waitedMs).toBeLessThan(5_000);
  expect(byJob(GAVE_UP, longer.job.id)).toMatchObject([{ reason: "lease would lapse" }]);
  expect(byJob("record sync attempt failed unexpectedly", longer.job.id)).toHaveLength(1);

  // Aborted (pg-boss found the claim gone): the wait ends at once and the attempt steps aside.
  const aborted = await directJob(feed.route(pagedFeed(feedRecords(3, "abort"), 5)));
  const controller = new AbortController();
  const attempt = syncDirectly(down(), aborted.job.id, { signal: controller.signal });
  await pollUntil(async () => byJob(PAUSED, aborted.job.id).length, (count) => count === 1, 10_000, "paused");
  const abortedAt = Date.now();
  controller.abort(new Error("claim gone"));
  await attempt;
  expect(Date.now() - abortedAt).toBeLessThan(1_000);
  expect(byJob(GAVE_UP, aborted.job.id)).toMatchObject([{ reason: "attempt aborted" }]);
  expect(byJob("record sync attempt stepped aside", aborted.job.id)).toHaveLength(1);
  for (const { customer } of [longer, aborted]) expect(await referenceNumbers(customer.id)).toEqual([]);
  expect(unhandled).toEqual([]);
});
