// Fairness between customers with one worker slot (WORKER_CONCURRENCY=1): a long sync of one
// customer yields its slot between pages while another customer's sync waits, and both end
// with exact results (a yielded turn is not a new attempt). The control without yielding
// (SYNC_FAIR_SHARE_SECONDS longer than the sync) shows the starvation the test would catch.
// Embedded database and PostgreSQL (TEST_DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { type JobTestApp, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";

let feed: FeedServer;

beforeAll(async () => {
  feed = await startFeedServer();
});
afterAll(() => feed?.close());

async function withOneSlot<T>(fairShareSeconds: number, work: (t: JobTestApp) => Promise<T>): Promise<T> {
  const t = await startJobTestApp({
    worker: true,
    environment: { WORKER_CONCURRENCY: "1", SYNC_FAIR_SHARE_SECONDS: String(fairShareSeconds) },
  });
  try {
    return await work(t);
  } finally {
    await t.closeAll();
  }
}

/** A long sync of customer A (20 pages of 150 ms), then a short one of customer B once A runs. */
async function longThenShort(t: JobTestApp) {
  const [{ admin: adminA }, { admin: adminB }] = [await t.seed.customerWithAdmin(), await t.seed.customerWithAdmin()];
  const longUrl = feed.route(pagedFeed(feedRecords(20, "long"), 1, { delayMs: 150 }));
  const longJob = await startSync(t, adminA.token, longUrl);
  await waitForJob(t, adminA.token, longJob, () => feed.hits(longUrl) >= 2);
  const shortJob = await startSync(t, adminB.token, feed.route(pagedFeed(feedRecords(3, "short"), 3)));
  const short = await waitForJob(t, adminB.token, shortJob);
  const longPagesWhenShortEnded = feed.hits(longUrl);
  const long = await waitForJob(t, adminA.token, longJob);
  return { long, short, longPagesWhenShortEnded, longPages: feed.hits(longUrl) };
}

describe("fairness between customers with WORKER_CONCURRENCY=1", () => {
  it("a running sync yields between pages to another customer's waiting sync", async () => {
    const outcome = await withOneSlot(0, longThenShort);
    expect(outcome.short).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    expect(outcome.short.result).toMatchObject({ created: 3 });
    // B ran while A was still going, not after it.
    expect(outcome.longPagesWhenShortEnded).toBeLessThan(15);
    // A resumed from its checkpoint: every page read once, exact counts, still its first attempt.
    expect(outcome.long).toMatchObject({ status: "SUCCEEDED", attempts: 1, error: null });
    expect(outcome.long.result).toMatchObject({ created: 20, pages: 20, updated: 0, unchanged: 0 });
    expect(outcome.longPages).toBe(20);
  }, 60_000);

  it("control: without yielding, the other customer's sync waits for the whole long one", async () => {
    const outcome = await withOneSlot(3_600, longThenShort);
    expect(outcome.short.status).toBe("SUCCEEDED");
    expect(outcome.longPagesWhenShortEnded).toBe(20);
  }, 60_000);
});
