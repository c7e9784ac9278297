// A sync is bounded by pages, bytes and running time as well as records, and a feed whose
// cursors go round in a cycle fails instead of running forever. Each bound is tripped alone by
// a feed built for it (test/helpers/feed-server.ts); the failure names the setting, and the
// pages before it stay committed. Embedded database and PostgreSQL (TEST_DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { type JobTestApp, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";

let t: JobTestApp;
let feed: FeedServer;

beforeAll(async () => {
  feed = await startFeedServer();
  t = await startJobTestApp({
    worker: true,
    environment: {
      SYNC_MAX_RECORDS: "1000",
      SYNC_MAX_PAGES: "6",
      SYNC_MAX_TOTAL_BYTES: "13000",
      SYNC_MAX_DURATION_SECONDS: "2",
      SYNC_MAX_RESPONSE_BYTES: "20000",
    },
  });
});
afterAll(async () => {
  await t?.closeAll();
  await feed?.close();
});

async function runSync(handler: Parameters<FeedServer["route"]>[0]) {
  const { customer, admin } = await t.seed.customerWithAdmin();
  const url = feed.route(handler);
  const job = await waitForJob(t, admin.token, await startSync(t, admin.token, url));
  const stored = await t.db.prisma.record.count({ where: { customerId: customer.id } });
  return { job, url, stored };
}

/** Empty pages "p1", "p2", … forever. */
const endlessFeed = () => ({ cursor }: { cursor: string | null }) => ({
  body: { records: [], nextCursor: `p${Number((cursor ?? "p0").slice(1)) + 1}` },
});

describe("sync bounds", () => {
  it("fails a feed with more pages than SYNC_MAX_PAGES, after committing the pages within it", async () => {
    const { job, url, stored } = await runSync(pagedFeed(feedRecords(20, "pages"), 2));
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/more than 6 pages.*SYNC_MAX_PAGES/);
    expect(feed.hits(url)).toBe(7);
    expect(stored).toBe(12);
  });

  it("fails an endless feed of empty pages at SYNC_MAX_PAGES", async () => {
    const { job, url } = await runSync(endlessFeed());
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/SYNC_MAX_PAGES/);
    expect(feed.hits(url)).toBe(7);
  });

  it("fails when the pages add up to more than SYNC_MAX_TOTAL_BYTES", async () => {
    // Pages of ~4.1 kB: three fit in 13,000 bytes, the fourth does not.
    const { job, url, stored } = await runSync(pagedFeed(feedRecords(40, "bytes", "x".repeat(200)), 10));
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/more than 13000 bytes.*SYNC_MAX_TOTAL_BYTES/);
    expect(feed.hits(url)).toBe(4);
    expect(stored).toBe(30);
  });

  it("fails a sync that runs longer than SYNC_MAX_DURATION_SECONDS", async () => {
    const { job, url } = await runSync(pagedFeed(feedRecords(5, "slow"), 1, { delayMs: 800 }));
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/ran for more than 2 s.*SYNC_MAX_DURATION_SECONDS/);
    // It gave up no sooner than its 2 s (a busy machine only makes the run longer), which the
    // number of pages read cannot tell: at load ~19 pages took long enough that only 2 were read.
    expect(Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)).toBeGreaterThanOrEqual(2_000);
    expect(feed.hits(url)).toBeGreaterThanOrEqual(2);
    expect(feed.hits(url)).toBeLessThan(5);
  });

  it("fails a feed whose cursors go round in a cycle (a, b, a, b, …) at once, not at a bound", async () => {
    const { job, url } = await runSync(({ cursor }) => ({ body: { records: [], nextCursor: cursor === "a" ? "b" : "a" } }));
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/cursors go round in a cycle: cursor "a"/);
    expect(feed.hits(url)).toBe(3);
  });

  it("catches a longer cycle that starts later (two fresh cursors, then a cycle of three)", async () => {
    const sequence = ["c1", "c2", "x", "y", "z"];
    const { job, url } = await runSync(({ cursor }) => {
      const index = cursor === null ? 0 : sequence.indexOf(cursor) + 1;
      return { body: { records: [], nextCursor: sequence[index] ?? "x" } };
    });
    expect(job.status).toBe("FAILED");
    expect(job.error).toMatch(/cycle: cursor "x"/);
    // Before the page bound (6) would have stopped it: found within about twice (start + length) pages.
    expect(feed.hits(url)).toBe(6);
  });

  it("passes a feed that stays within every bound", async () => {
    const { job, stored } = await runSync(pagedFeed(feedRecords(12, "fine"), 3));
    expect(job).toMatchObject({ status: "SUCCEEDED", error: null });
    expect(stored).toBe(12);
  });
});
