// Workers as separate processes against one PostgreSQL: a worker killed with SIGKILL in the
// middle of a job, a graceful SIGTERM, and two workers sharing twenty jobs. The embedded
// database can be opened by one process only, so these run on PostgreSQL alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { type JobTestApp, jobTestEnvironment, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";
import { startWorkerProcess, type WorkerProcess } from "./helpers/job-worker-process.js";
import { parseNodeId } from "../src/validation/global-id.js";
import { usingPostgres } from "./helpers/test-database.js";

describe.skipIf(!usingPostgres)("worker processes (PostgreSQL only: one process may open an embedded database)", () => {
  let t: JobTestApp;
  let feed: FeedServer;
  let workerEnvironment: Record<string, string>;
  const workers: WorkerProcess[] = [];

  const startWorker = async () => {
    const worker = await startWorkerProcess(workerEnvironment);
    workers.push(worker);
    return worker;
  };
  const checkpointPages = async (jobId: string) => {
    const row = await t.db.prisma.collectionJob.findUniqueOrThrow({ where: { id: jobId } });
    return ((row.checkpoint as { pages?: number } | null)?.pages ?? 0) as number;
  };

  beforeAll(async () => {
    feed = await startFeedServer();
    // No in-process worker: the API only enqueues; the child processes do the work.
    t = await startJobTestApp({ worker: false });
    workerEnvironment = {
      ...jobTestEnvironment(t.config.jobs.queueSchema),
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      WORKER_CONCURRENCY: "2",
    };
  });

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop("SIGKILL")));
    await t?.closeAll();
    await feed?.close();
  });

  it("resumes a job after its worker is killed with SIGKILL, with exact final counts", async () => {
    const { customer, admin } = await t.seed.customerWithAdmin();
    const url = feed.route(pagedFeed(feedRecords(40, "kill"), 5, { delayMs: 400 }));
    const first = await startWorker();
    const id = await startSync(t, admin.token, url);
    const jobId = parseNodeId(id)!.id;
    await waitForJob(t, admin.token, id, (job) => job.status === "RUNNING" && job.pagesDone >= 3);
    first.child.kill("SIGKILL");
    await first.stop("SIGKILL");
    const pagesAtKill = await checkpointPages(jobId);
    const hitsAtKill = feed.hits(url);
    expect(pagesAtKill).toBeGreaterThanOrEqual(3);
    expect(pagesAtKill).toBeLessThan(8);

    const killedAt = Date.now();
    await startWorker();
    const job = await waitForJob(t, admin.token, id, undefined, 45_000);
    const resumedAfterMs = Date.now() - killedAt;
    console.log(
      `SIGKILL after ${pagesAtKill}/8 committed pages; finished ${resumedAfterMs} ms later; ` +
        `feed requests ${feed.hits(url)} (8 pages; ${hitsAtKill} before the kill); result ${JSON.stringify(job.result)}`,
    );
    expect(job).toMatchObject({ status: "SUCCEEDED", attempts: 2, progress: 1 });
    expect(job.result).toMatchObject({ created: 40, updated: 0, unchanged: 0, rejected: 0, pages: 8 });
    expect(await t.db.prisma.record.count({ where: { customerId: customer.id } })).toBe(40);
    // Resumed after the last committed page: only the page in flight at the kill was read twice.
    expect(feed.hits(url)).toBeLessThanOrEqual(8 + 1);
    expect(feed.hits(url) - hitsAtKill).toBe(8 - pagesAtKill);
  }, 60_000);

  it("on SIGTERM a worker checkpoints its job and exits; another worker finishes it", async () => {
    const { admin } = await t.seed.customerWithAdmin();
    const url = feed.route(pagedFeed(feedRecords(30, "term"), 5, { delayMs: 300 }));
    const leaving = workers.at(-1)!;
    const id = await startSync(t, admin.token, url);
    await waitForJob(t, admin.token, id, (job) => job.status === "RUNNING" && job.pagesDone >= 1);
    expect(await leaving.stop("SIGTERM")).toBe(0);
    const paused = await waitForJob(t, admin.token, id, (job) => job.status !== "RUNNING", 5_000);
    expect(paused.status).toBe("QUEUED");

    await startWorker();
    const job = await waitForJob(t, admin.token, id, undefined, 30_000);
    expect(job).toMatchObject({ status: "SUCCEEDED" });
    expect(job.result).toMatchObject({ created: 30, updated: 0, unchanged: 0, pages: 6 });
    expect(feed.hits(url)).toBe(6); // the page in flight was finished, not read again
  }, 60_000);

  it("two worker processes share twenty jobs; each job runs exactly once", async () => {
    const second = await startWorker();
    const first = workers.at(-2)!;
    const jobs: Array<{ id: string; url: string; token: string }> = [];
    for (let index = 0; index < 20; index++) {
      const { admin } = await t.seed.customerWithAdmin();
      const url = feed.route(pagedFeed(feedRecords(6, `many-${index}`), 3, { delayMs: 100 }));
      jobs.push({ id: await startSync(t, admin.token, url), url, token: admin.token });
    }
    for (const job of jobs) {
      const done = await waitForJob(t, job.token, job.id, undefined, 45_000);
      expect(done).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
      expect(done.result).toMatchObject({ created: 6, updated: 0, unchanged: 0, pages: 2 });
      expect(feed.hits(job.url)).toBe(2);
    }
    const pids = new Set(jobs.flatMap((job) => feed.userAgents(job.url)).map((agent) => /pid (\d+)/.exec(agent)?.[1]));
    expect(pids).toEqual(new Set([String(first.pid), String(second.pid)]));
  }, 60_000);
});
