// recordStats in the response cache: kept longer than lists (RESPONSE_CACHE_STATS_TTL_MS, 5
// minutes by default), and still fresh right after any change of the customer's records,
// attachments or jobs: mutations evict it themselves, a sync's pages and job statuses through
// the database's notices. In memory, and in Redis when REDIS_URL is set (shared by instances).
import { randomUUID } from "node:crypto";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { feedRecords, type FeedServer, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { cancelJob, type JobTestApp, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";
import type { SeededCustomer, SeededUser } from "./helpers/seed.js";
import { type GraphQLResponse, startTestApp, type TestApp } from "./helpers/test-app.js";
import { patternedBytes, removeAttachment, uploadAttachment } from "./helpers/upload-request.js";

const redisUrl = process.env.REDIS_URL;
const stores = [{ name: "in memory", environment: {} }, ...(redisUrl ? [{ name: "Redis", environment: { REDIS_URL: redisUrl } }] : [])];
if (!redisUrl) console.info("record-stats-cache.test.ts: the Redis store is skipped (set REDIS_URL to run it)");

const statsQuery = `{ recordStats(filter: { fromMonth: "2026-01", toMonth: "2026-12" }) {
  totalRecords recordsByCategory { categoryCode count } recordsByMonth { month count }
  attachmentCount attachmentBytes jobsByStatus { status count } } }`;

const cacheInfo = (response: GraphQLResponse) => response.body.extensions?.responseCache as
  | { hit: boolean; didCache?: boolean; ttl?: number }
  | undefined;

describe.each(stores)("recordStats cached $name", ({ environment }) => {
  let t: JobTestApp;
  let feed: FeedServer;
  let acme: SeededCustomer;
  let alice: SeededUser;
  let bob: SeededUser;

  beforeAll(async () => {
    t = await startJobTestApp({
      worker: true,
      announceRecordChanges: true,
      environment: { ...environment, RESPONSE_CACHE_TTL_MS: "60000", RESPONSE_CACHE_METADATA: "true" },
    });
    feed = await startFeedServer();
    ({ customer: acme, admin: alice } = await t.seed.customerWithAdmin("Acme"));
    ({ admin: bob } = await t.seed.customerWithAdmin("Globex"));
    await acme.records(3, (index) => ({ referenceNumber: `ACME-${index}`, createdDate: new Date(Date.UTC(2026, 2, 1 + index)) }));
  });
  afterAll(async () => {
    await feed.close();
    await t.closeAll();
  });

  /**
   * Reads the statistics until a read is a hit: they are cached now. (Redis does not store an
   * answer whose query began within a second after an eviction of one of its tags: a few tries.)
   */
  async function cachedStats(token = alice.token) {
    const deadline = Date.now() + 5_000;
    let miss = await t.gql(statsQuery, { token });
    expect(miss.body.errors).toBeUndefined();
    for (;;) {
      const next = await t.gql(statsQuery, { token });
      if (cacheInfo(next)?.hit) {
        expect(next.body.data).toEqual(miss.body.data);
        return miss.body.data.recordStats;
      }
      if (Date.now() > deadline) throw new Error("the statistics were never served from the cache");
      miss = next;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The next read must not come from the cache and must show the change. */
  async function freshStats() {
    const response = await t.gql(statsQuery, { token: alice.token });
    expect(response.body.errors).toBeUndefined();
    expect(cacheInfo(response)).toMatchObject({ hit: false });
    return response.body.data.recordStats;
  }

  /** For changes announced through the database (NOTIFY, after commit): a moment, never a TTL. */
  async function eventually(check: (stats: any) => boolean) {
    let stats;
    const deadline = Date.now() + 5_000;
    do {
      stats = (await t.gql(statsQuery, { token: alice.token })).body.data.recordStats;
      if (check(stats)) return stats;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    throw new Error(`the statistics did not change within 5 s: ${JSON.stringify(stats)}`);
  }

  async function mutate(query: string, variables: Record<string, unknown>, token = alice.token) {
    const response = await t.gql(query, { token, variables });
    expect(response.body.errors).toBeUndefined();
    return response.body.data;
  }

  test("cached for RESPONSE_CACHE_STATS_TTL_MS (5 minutes), lists for RESPONSE_CACHE_TTL_MS; together, the shorter", async () => {
    const miss = await t.gql(statsQuery, { token: alice.token });
    expect(cacheInfo(miss)).toEqual({ hit: false, didCache: true, ttl: 300_000 });
    const list = await t.gql(`{ records(first: 2) { totalCount } }`, { token: alice.token });
    expect(cacheInfo(list)).toEqual({ hit: false, didCache: true, ttl: 60_000 });
    const both = await t.gql(`{ recordStats { totalRecords } records(first: 3) { totalCount } }`, { token: alice.token });
    expect(cacheInfo(both)).toEqual({ hit: false, didCache: true, ttl: 60_000 });
    const withViewer = await t.gql(`{ viewer { user { id } } recordStats { totalRecords } }`, { token: alice.token });
    expect(cacheInfo(withViewer)).toEqual({ hit: false, didCache: true, ttl: 60_000 });
  });

  test("fresh right after createRecord, updateRecord (category, date) and deleteRecord", async () => {
    const before = await cachedStats();
    const created = await mutate(
      `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`,
      { input: { referenceNumber: `NEW-${randomUUID().slice(0, 6)}`, categoryCode: "CAT042", title: "new", createdDate: "2026-05-05T00:00:00Z" } },
    );
    const afterCreate = await freshStats();
    expect(afterCreate.totalRecords).toBe(before.totalRecords + 1);
    expect(afterCreate.recordsByCategory).toContainEqual({ categoryCode: "CAT042", count: 1 });
    expect(afterCreate.recordsByMonth[4]).toEqual({ month: "2026-05", count: 1 });

    await cachedStats();
    const id = created.createRecord.record.id;
    await mutate(`mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id } } }`, {
      input: { id, categoryCode: "CAT043", createdDate: "2026-06-30T23:59:59.999Z" },
    });
    const afterUpdate = await freshStats();
    expect(afterUpdate.recordsByCategory).not.toContainEqual({ categoryCode: "CAT042", count: 1 });
    expect(afterUpdate.recordsByCategory).toContainEqual({ categoryCode: "CAT043", count: 1 });
    expect(afterUpdate.recordsByMonth.slice(4, 6)).toEqual([
      { month: "2026-05", count: 0 },
      { month: "2026-06", count: 1 },
    ]);

    await cachedStats();
    await mutate(`mutation($id: ID!) { deleteRecord(input: { id: $id }) { deletedRecordId } }`, { id });
    const afterDelete = await freshStats();
    expect(afterDelete.totalRecords).toBe(before.totalRecords);
    expect(afterDelete.recordsByMonth).toEqual(before.recordsByMonth);
  });

  test("fresh right after addAttachment and removeAttachment", async () => {
    const record = await acme.record({ referenceNumber: `ATT-${randomUUID().slice(0, 6)}` });
    const before = await cachedStats();
    const upload = await uploadAttachment(t, { token: alice.token, recordId: record.id, bytes: patternedBytes(1234) });
    expect(upload.body.errors).toBeUndefined();
    const afterAdd = await freshStats();
    expect(afterAdd.attachmentCount).toBe(before.attachmentCount + 1);
    expect(afterAdd.attachmentBytes).toBe(before.attachmentBytes + 1234);

    await cachedStats();
    const removed = await removeAttachment(t, alice.token, upload.body.data.addAttachment.attachment.id);
    expect(removed.body.errors).toBeUndefined();
    const afterRemove = await freshStats();
    expect(afterRemove).toMatchObject({ attachmentCount: before.attachmentCount, attachmentBytes: before.attachmentBytes });
  });

  test("fresh right after a sync: its records, attachments and the job's status", async () => {
    const before = await cachedStats();
    const records = feedRecords(4, `STATS-${randomUUID().slice(0, 6)}`); // January 2026, one attachment each
    const jobId = await startSync(t, alice.token, feed.route(pagedFeed(records, 2)));
    expect((await waitForJob(t, alice.token, jobId)).status).toBe("SUCCEEDED");
    const after = await eventually(
      (stats) => stats.totalRecords === before.totalRecords + 4 && stats.jobsByStatus.some((each: any) => each.status === "SUCCEEDED" && each.count === 1),
    );
    expect(after.attachmentCount).toBe(before.attachmentCount + 4);
    expect(after.attachmentBytes).toBe(before.attachmentBytes + 1000 + 1001 + 1002 + 1003);
    expect(after.recordsByMonth[0]).toEqual({ month: "2026-01", count: before.recordsByMonth[0].count + 4 });
  });

  test("fresh right after a job's status changes by itself (cancelled: no record changed)", async () => {
    const cancelledBefore = (await cachedStats()).jobsByStatus.find((each: any) => each.status === "CANCELLED").count;
    // A feed that keeps the job waiting long enough to cancel it.
    const jobId = await startSync(t, alice.token, feed.route(pagedFeed(feedRecords(1, "SLOW"), 1, { delayMs: 3_000 })));
    expect((await cancelJob(t, alice.token, jobId)).body.errors).toBeUndefined();
    await eventually((stats) => stats.jobsByStatus.find((each: any) => each.status === "CANCELLED").count === cancelledBefore + 1);
  });

  test("another customer's changes leave my cached statistics alone", async () => {
    const before = await cachedStats();
    await mutate(
      `mutation { createRecord(input: { referenceNumber: "G-1", categoryCode: "CAT001", title: "globex" }) { record { id } } }`,
      {},
      bob.token,
    );
    const again = await t.gql(statsQuery, { token: alice.token });
    expect(cacheInfo(again)).toEqual({ hit: true });
    expect(again.body.data.recordStats).toEqual(before);
  });

  test("a node lookup of a record is not evicted by an attachment elsewhere (stats have their own tag)", async () => {
    const [first, second] = await acme.records(2, (index) => ({ referenceNumber: `TAG-${randomUUID().slice(0, 6)}-${index}` }));
    const lookup = `{ node(id: "${encodeGlobalID("Record", first!.id)}") { id } }`;
    await expect.poll(async () => cacheInfo(await t.gql(lookup, { token: alice.token }))?.hit, { timeout: 5_000 }).toBe(true);
    await cachedStats();
    expect((await uploadAttachment(t, { token: alice.token, recordId: second!.id, bytes: patternedBytes(10) })).body.errors).toBeUndefined();
    expect(cacheInfo(await t.gql(lookup, { token: alice.token }))).toEqual({ hit: true });
    expect(cacheInfo(await t.gql(statsQuery, { token: alice.token }))).toMatchObject({ hit: false });
  });
});

test("RESPONSE_CACHE_STATS_TTL_MS sets the statistics' TTL: 0, never cached (lists still are)", async () => {
  const app = await startTestApp({ RESPONSE_CACHE_TTL_MS: "60000", RESPONSE_CACHE_STATS_TTL_MS: "0", RESPONSE_CACHE_METADATA: "true" });
  try {
    const { admin: user } = await app.seed.customerWithAdmin();
    expect(cacheInfo(await app.gql(statsQuery, { token: user.token }))).toEqual({ hit: false, didCache: false });
    expect(cacheInfo(await app.gql(`{ records { totalCount } }`, { token: user.token }))).toEqual({ hit: false, didCache: true, ttl: 60_000 });
  } finally {
    await app.close();
  }
});
