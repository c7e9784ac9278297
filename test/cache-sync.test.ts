// Records a sync job writes must not stay hidden behind cached lists: the worker announces
// each committed page (NOTIFY), and the API instance drops the customer's cached lists.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { recordChangeAnnouncer } from "../src/cache/follow-record-changes.js";
import { type JobWorker, startJobWorker } from "../src/jobs/worker.js";
import { feedRecords, type FeedServer, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { jobTestEnvironment, startSync, waitForJob } from "./helpers/job-app.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let worker: JobWorker;
let feed: FeedServer;
const queueSchema = `pgboss_test_${randomUUID().replace(/-/g, "").slice(0, 12)}`;

beforeAll(async () => {
  t = await startTestApp({ ...jobTestEnvironment(queueSchema), RESPONSE_CACHE_TTL_MS: "60000" });
  feed = await startFeedServer();
  worker = await startJobWorker({
    config: t.config,
    database: t.db,
    queue: t.services.jobs.queue,
    logger: t.services.logger,
    onRecordsChanged: recordChangeAnnouncer(t.db),
  });
});
afterAll(async () => {
  await worker.stop();
  await t.services.jobs.close();
  if (t.db.pool) await t.db.pool.query(`DROP SCHEMA IF EXISTS ${queueSchema} CASCADE`);
  await feed.close();
  await t.close();
});

const listQuery = `{ records { totalCount edges { node { referenceNumber } } } }`;

test("a sync's records appear in the next read of a cached list", async () => {
  const { admin: alice } = await t.seed.customerWithAdmin("Acme");
  const before = await t.gql(listQuery, { token: alice.token });
  expect(before.body.data.records.totalCount).toBe(0);
  const cached = await t.gql(listQuery, { token: alice.token });
  expect(cached.body.extensions?.responseCache?.hit).toBe(true);

  const jobId = await startSync(t, alice.token, feed.route(pagedFeed(feedRecords(4, "SYNC"), 2)));
  expect((await waitForJob(t, alice.token, jobId)).status).toBe("SUCCEEDED");

  // The notice travels through the database; allow it a moment, but not a TTL.
  const deadline = Date.now() + 5_000;
  let totalCount = 0;
  while (Date.now() < deadline && totalCount !== 4) {
    totalCount = (await t.gql(listQuery, { token: alice.token })).body.data.records.totalCount;
    if (totalCount !== 4) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(totalCount).toBe(4);
});
