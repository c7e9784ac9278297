// Scheduled record syncs through the real Yoga handler, on the embedded database and on
// PostgreSQL: managing schedules (ADMIN only, validated, limited, tenant-isolated), and the
// dispatcher that turns due runs into jobs, driven by an injected clock (no waiting for cron),
// then once for real with a per-second cron and a running worker.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openDatabase } from "../src/db/database.js";
import { ScheduleDispatcher, type ScheduledRun } from "../src/jobs/sync-schedules/schedule-dispatcher.js";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { type JobTestApp, startJobTestApp } from "./helpers/job-app.js";
import type { SeededUser } from "./helpers/seed.js";
import { usingPostgres } from "./helpers/test-database.js";

const MAX_SCHEDULES = 3;
let t: JobTestApp;
let feed: FeedServer;
let feedUrl: string;

beforeAll(async () => {
  feed = await startFeedServer();
  feedUrl = feed.route(pagedFeed(feedRecords(3, "sched"), 10));
  t = await startJobTestApp({
    worker: false,
    // The cache on: schedules must never be served stale from it.
    environment: { SYNC_MAX_SCHEDULES_PER_CUSTOMER: String(MAX_SCHEDULES), RESPONSE_CACHE_TTL_MS: "60000" },
  });
});

afterAll(async () => {
  await t?.closeAll();
  await feed?.close();
});

const scheduleFields = "id sourceUrl cron timeZone paused nextRunAt lastRunAt skippedRuns lastSkippedAt lastRun { id status }";

type ScheduleView = {
  id: string;
  sourceUrl: string;
  cron: string;
  timeZone: string;
  paused: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  skippedRuns: number;
  lastSkippedAt: string | null;
  lastRun: { id: string; status: string } | null;
};

/** The ADMIN of a fresh customer. */
const admin = async (): Promise<SeededUser> => (await t.seed.customerWithAdmin()).admin;

function createSchedule(user: SeededUser, input: { sourceUrl?: string; cron?: string; timeZone?: string } = {}) {
  return t.gql<{ createSyncSchedule: { schedule: ScheduleView } }>(
    `mutation($input: CreateSyncScheduleInput!) { createSyncSchedule(input: $input) { schedule { ${scheduleFields} } } }`,
    { token: user.token, variables: { input: { sourceUrl: feedUrl, cron: "0 0 1 1 *", timeZone: "UTC", ...input } } },
  );
}

async function created(user: SeededUser, input: Parameters<typeof createSchedule>[1] = {}): Promise<ScheduleView> {
  const response = await createSchedule(user, input);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.createSyncSchedule.schedule;
}

function change(user: SeededUser, mutation: "pauseSyncSchedule" | "resumeSyncSchedule", id: string) {
  return t.gql<Record<string, { schedule: ScheduleView }>>(
    `mutation($id: ID!) { ${mutation}(input: { id: $id }) { schedule { ${scheduleFields} } } }`,
    { token: user.token, variables: { id } },
  );
}

function remove(user: SeededUser, id: string) {
  return t.gql<{ deleteSyncSchedule: { deletedScheduleId: string } }>(
    `mutation($id: ID!) { deleteSyncSchedule(input: { id: $id }) { deletedScheduleId } }`,
    { token: user.token, variables: { id } },
  );
}

async function list(user: SeededUser, first = 10, after?: string) {
  const response = await t.gql<{
    syncSchedules: { totalCount: number; edges: Array<{ node: ScheduleView }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
  }>(
    `query($first: Int, $after: String) { syncSchedules(first: $first, after: $after) {
       totalCount edges { node { ${scheduleFields} } } pageInfo { hasNextPage endCursor } } }`,
    { token: user.token, variables: { first, after } },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.syncSchedules;
}

async function node(user: SeededUser, id: string): Promise<ScheduleView | null> {
  const response = await t.gql<{ node: ScheduleView | null }>(
    `query($id: ID!) { node(id: $id) { ... on SyncSchedule { ${scheduleFields} } } }`,
    { token: user.token, variables: { id } },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.node;
}

/** A dispatcher whose clock the test sets. */
function dispatcherAt(clock: { now: Date }, prisma = t.db.prisma) {
  return new ScheduleDispatcher({
    prisma,
    boss: () => t.services.jobs.queue.started(),
    config: t.config,
    logger: t.services.logger,
    now: () => clock.now,
  });
}

/** The runs of one schedule among those a dispatcher made (other tests' schedules fall due too). */
const runsOf = (runs: ScheduledRun[], schedule: ScheduleView) => runs.filter((run) => run.scheduleId === rowId(schedule.id));

const rowId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;
const errorCode = (response: { body: { errors?: Array<{ extensions?: Record<string, unknown> }> } }) =>
  response.body.errors?.[0]?.extensions?.code;

describe("managing schedules", () => {
  test("an ADMIN creates, lists (paged), pauses, resumes and deletes a schedule", async () => {
    const user = await admin();
    const first = await created(user, { cron: "30 6 * * 1-5", timeZone: "Europe/Paris" });
    expect(first).toMatchObject({ sourceUrl: feedUrl, cron: "30 6 * * 1-5", timeZone: "Europe/Paris", paused: false, skippedRuns: 0, lastRun: null });
    // 06:30 in Paris is 04:30 or 05:30 UTC, on a weekday, in the future.
    const next = new Date(first.nextRunAt!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([4, 5]).toContain(next.getUTCHours());
    expect(next.getUTCMinutes()).toBe(30);
    expect([1, 2, 3, 4, 5]).toContain(new Date(next.getTime() + 2 * 3600_000).getUTCDay() || 7);

    const second = await created(user);
    const page1 = await list(user, 1);
    expect(page1.totalCount).toBe(2);
    expect(page1.edges.map((edge) => edge.node.id)).toEqual([second.id]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await list(user, 1, page1.pageInfo.endCursor);
    expect(page2.edges.map((edge) => edge.node.id)).toEqual([first.id]);

    // The cache is on: each change shows in the next read of the list.
    const paused = (await change(user, "pauseSyncSchedule", first.id)).body.data!.pauseSyncSchedule!.schedule;
    expect(paused).toMatchObject({ paused: true, nextRunAt: null });
    expect((await list(user)).edges.find((edge) => edge.node.id === first.id)!.node.paused).toBe(true);
    const resumed = (await change(user, "resumeSyncSchedule", first.id)).body.data!.resumeSyncSchedule!.schedule;
    expect(resumed.paused).toBe(false);
    expect(new Date(resumed.nextRunAt!).getTime()).toBeGreaterThan(Date.now());
    expect((await list(user)).edges.find((edge) => edge.node.id === first.id)!.node.paused).toBe(false);

    expect((await remove(user, first.id)).body.data!.deleteSyncSchedule.deletedScheduleId).toBe(first.id);
    expect((await list(user)).edges.map((edge) => edge.node.id)).toEqual([second.id]);
    expect(await node(user, first.id)).toBeNull();
    expect(errorCode(await remove(user, first.id))).toBe("NOT_FOUND");
  });

  test("a bad cron, an unknown time zone and a host outside SYNC_ALLOWED_HOSTS are each BAD_USER_INPUT naming the field", async () => {
    const user = await admin();
    const cases: Array<[Parameters<typeof createSchedule>[1], string]> = [
      [{ cron: "61 * * * *" }, "cron"],
      [{ cron: "every day" }, "cron"],
      [{ cron: "" }, "cron"],
      [{ cron: "* * * * * * *" }, "cron"],
      [{ timeZone: "Mars/Olympus_Mons" }, "timeZone"],
      [{ timeZone: "" }, "timeZone"],
      [{ sourceUrl: "http://feeds.example.com/records" }, "sourceUrl"],
      [{ sourceUrl: "file:///etc/passwd" }, "sourceUrl"],
    ];
    for (const [input, field] of cases) {
      const response = await createSchedule(user, input);
      expect(errorCode(response), JSON.stringify(input)).toBe("BAD_USER_INPUT");
      expect(response.body.errors![0]!.extensions!.fields, JSON.stringify(input)).toHaveProperty(field);
    }
    expect((await list(user)).totalCount).toBe(0);
  });

  test(`more than SYNC_MAX_SCHEDULES_PER_CUSTOMER (${MAX_SCHEDULES}) is BAD_USER_INPUT, even when asked at once`, async () => {
    const user = await admin();
    const responses = await Promise.all(Array.from({ length: MAX_SCHEDULES + 2 }, () => createSchedule(user)));
    expect(responses.filter((response) => !response.body.errors)).toHaveLength(MAX_SCHEDULES);
    for (const refused of responses.filter((response) => response.body.errors)) {
      expect(errorCode(refused)).toBe("BAD_USER_INPUT");
      expect(refused.body.errors![0]!.message).toContain("SYNC_MAX_SCHEDULES_PER_CUSTOMER");
    }
    expect((await list(user)).totalCount).toBe(MAX_SCHEDULES);
    // Another customer's schedules do not count against this one.
    await created(await admin());
  });

  test("only an ADMIN manages schedules: a MEMBER or VIEWER gets FORBIDDEN and sees no schedule", async () => {
    const { customer, admin: owner } = await t.seed.customerWithAdmin();
    const schedule = await created(owner);
    for (const role of ["MEMBER", "VIEWER"] as const) {
      const user = await customer.user({ role });
      expect(errorCode(await createSchedule(user))).toBe("FORBIDDEN");
      expect(errorCode(await change(user, "pauseSyncSchedule", schedule.id))).toBe("FORBIDDEN");
      expect(errorCode(await remove(user, schedule.id))).toBe("FORBIDDEN");
      const listed = await t.gql(`{ syncSchedules { totalCount } }`, { token: user.token });
      expect(errorCode(listed)).toBe("FORBIDDEN");
      expect(await node(user, schedule.id)).toBeNull();
    }
  });

  test("another customer can neither see nor change a schedule: node(id) is null, every mutation NOT_FOUND", async () => {
    const owner = await admin();
    const schedule = await created(owner);
    const stranger = await admin();
    expect(await node(stranger, schedule.id)).toBeNull();
    expect((await list(stranger)).totalCount).toBe(0);
    expect(errorCode(await change(stranger, "pauseSyncSchedule", schedule.id))).toBe("NOT_FOUND");
    expect(errorCode(await change(stranger, "resumeSyncSchedule", schedule.id))).toBe("NOT_FOUND");
    expect(errorCode(await remove(stranger, schedule.id))).toBe("NOT_FOUND");
    // Untouched, and still its owner's.
    expect(await node(owner, schedule.id)).toMatchObject({ id: schedule.id, paused: false, nextRunAt: schedule.nextRunAt });
    // A malformed id or one of another type is bad input, not a lookup.
    expect(errorCode(await remove(owner, "nope"))).toBe("BAD_USER_INPUT");
    expect(errorCode(await remove(owner, encodeGlobalID("Record", rowId(schedule.id))))).toBe("BAD_USER_INPUT");
  });
});

describe("the dispatcher (injected clock)", () => {
  test("a schedule fires at its due time, not before; each run is an ordinary job linked from the schedule", async () => {
    const user = await admin();
    const schedule = await created(user, { cron: "0 0 1 1 *", timeZone: "America/New_York" });
    const dueAt = new Date(schedule.nextRunAt!);
    expect(dueAt.getUTCHours()).toBe(5); // midnight in New York, winter time
    const clock = { now: new Date(dueAt.getTime() - 1_000) };
    const dispatcher = dispatcherAt(clock);
    expect(runsOf(await dispatcher.runDue(), schedule)).toEqual([]);

    clock.now = dueAt;
    const runs = runsOf(await dispatcher.runDue(), schedule);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ scheduleId: rowId(schedule.id), outcome: "started", dueAt });
    const job = runs[0]!.outcome === "started" ? runs[0]!.job : null;
    expect(job).toMatchObject({ status: "QUEUED", kind: "RECORD_SYNC", sourceUrl: feedUrl, scheduledFor: dueAt });

    const after = (await node(user, schedule.id))!;
    expect(after.lastRun).toEqual({ id: encodeGlobalID("CollectionJob", job!.id), status: "QUEUED" });
    expect(after.lastRunAt).toBe(dueAt.toISOString());
    expect(new Date(after.nextRunAt!).getTime()).toBeGreaterThan(dueAt.getTime() + 364 * 86_400_000);
    // The run is in the customer's jobs list like any other job.
    const jobs = await t.gql<{ jobs: { edges: Array<{ node: { id: string } }> } }>(`{ jobs { edges { node { id } } } }`, { token: user.token });
    expect(jobs.body.data!.jobs.edges.map((edge) => edge.node.id)).toEqual([after.lastRun!.id]);
    expect(runsOf(await dispatcher.runDue(), schedule)).toEqual([]);
  });

  test("a run due while the previous run is still going is skipped and counted, not queued twice", async () => {
    const user = await admin();
    const schedule = await created(user, { cron: "0 12 * * *" });
    const firstDue = new Date(schedule.nextRunAt!);
    const clock = { now: firstDue };
    const dispatcher = dispatcherAt(clock);
    const [first] = runsOf(await dispatcher.runDue(), schedule);
    expect(first!.outcome).toBe("started");

    // No worker runs here: the first run is still QUEUED a day later.
    clock.now = new Date(firstDue.getTime() + 86_400_000);
    const [second] = runsOf(await dispatcher.runDue(), schedule);
    expect(second).toMatchObject({ outcome: "skipped", dueAt: clock.now });
    let view = (await node(user, schedule.id))!;
    expect(view).toMatchObject({ skippedRuns: 1, lastSkippedAt: clock.now.toISOString(), lastRunAt: firstDue.toISOString() });
    expect(await t.db.prisma.collectionJob.count({ where: { scheduleId: rowId(schedule.id) } })).toBe(1);

    // Once it has ended, the next due run starts a job again.
    await t.db.prisma.collectionJob.update({ where: { id: rowId(view.lastRun!.id) }, data: { status: "SUCCEEDED" } });
    clock.now = new Date(firstDue.getTime() + 2 * 86_400_000);
    const [third] = runsOf(await dispatcher.runDue(), schedule);
    expect(third!.outcome).toBe("started");
    view = (await node(user, schedule.id))!;
    expect(view).toMatchObject({ skippedRuns: 1, lastRunAt: clock.now.toISOString(), lastRun: { status: "QUEUED" } });
    expect(await t.db.prisma.collectionJob.count({ where: { scheduleId: rowId(schedule.id) } })).toBe(2);
  });

  test("pausing stops a schedule's runs and resuming times the next one from now; deleting removes it", async () => {
    const user = await admin();
    const schedule = await created(user, { cron: "0 * * * *" });
    const farFuture = { now: new Date(Date.now() + 10 * 86_400_000) };
    const dispatcher = dispatcherAt(farFuture);
    await change(user, "pauseSyncSchedule", schedule.id);
    expect(runsOf(await dispatcher.runDue(), schedule)).toEqual([]);

    const resumed = (await change(user, "resumeSyncSchedule", schedule.id)).body.data!.resumeSyncSchedule!.schedule;
    expect(new Date(resumed.nextRunAt!).getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);
    expect(runsOf(await dispatcher.runDue(), schedule)).toHaveLength(1);

    await remove(user, schedule.id);
    farFuture.now = new Date(farFuture.now.getTime() + 86_400_000);
    expect(runsOf(await dispatcher.runDue(), schedule)).toEqual([]);
    // Its past run stays in the jobs list.
    expect(await t.db.prisma.collectionJob.count({ where: { scheduleId: rowId(schedule.id) } })).toBe(1);
  });

  test("two dispatchers (two workers) that find one run due start it once", async () => {
    const user = await admin();
    const schedules = await Promise.all([created(user, { cron: "0 3 * * *" }), created(user, { cron: "0 3 * * *" })]);
    const dueAt = new Date(schedules[0]!.nextRunAt!);
    // On PostgreSQL the second dispatcher has its own connection pool, as another process would.
    const other = usingPostgres ? await openDatabase(t.config, { url: process.env.TEST_DATABASE_URL }) : null;
    try {
      const clock = { now: dueAt };
      const [one, two] = await Promise.all([dispatcherAt(clock).runDue(), dispatcherAt(clock, other?.prisma).runDue()]);
      const started = [...one, ...two].filter((run) => schedules.some((schedule) => rowId(schedule.id) === run.scheduleId));
      expect(started.map((run) => run.scheduleId).sort()).toEqual(schedules.map((schedule) => rowId(schedule.id)).sort());
      for (const schedule of schedules) {
        expect(await t.db.prisma.collectionJob.count({ where: { scheduleId: rowId(schedule.id) } })).toBe(1);
      }
    } finally {
      await other?.close();
    }
    // And the database itself refuses a second job for one schedule and due time.
    const job = await t.db.prisma.collectionJob.findFirstOrThrow({ where: { scheduleId: rowId(schedules[0]!.id) } });
    await expect(
      t.db.prisma.collectionJob.create({
        data: { customerId: job.customerId, kind: "RECORD_SYNC", sourceUrl: feedUrl, scheduleId: job.scheduleId, scheduledFor: job.scheduledFor },
      }),
    ).rejects.toThrow();
  });
});

describe("for real", () => {
  // Its own app and queue, with a worker (and so a dispatcher) running: the runs started above
  // by the injected clocks would otherwise queue ahead of this one.
  test("with a worker running, a per-second schedule starts jobs on time and they run", async () => {
    const live = await startJobTestApp({ worker: true });
    try {
      const { admin: user } = await live.seed.customerWithAdmin();
      const response = await live.gql<{ createSyncSchedule: { schedule: ScheduleView } }>(
        `mutation($input: CreateSyncScheduleInput!) { createSyncSchedule(input: $input) { schedule { id } } }`,
        { token: user.token, variables: { input: { sourceUrl: feedUrl, cron: "* * * * * *", timeZone: "UTC" } } },
      );
      expect(response.body.errors).toBeUndefined();
      const id = response.body.data!.createSyncSchedule.schedule.id;
      const read = async () =>
        (await live.gql<{ node: ScheduleView }>(`query($id: ID!) { node(id: $id) { ... on SyncSchedule { ${scheduleFields} } } }`, {
          token: user.token,
          variables: { id },
        })).body.data!.node;
      const deadline = Date.now() + 20_000;
      let view = await read();
      while (Date.now() < deadline && view.lastRun?.status !== "SUCCEEDED") {
        await new Promise((resolve) => setTimeout(resolve, 200));
        view = await read();
      }
      expect(view.lastRun?.status).toBe("SUCCEEDED");
      const jobs = await live.db.prisma.collectionJob.findMany({ where: { scheduleId: rowId(id) } });
      // Never before its due time.
      for (const job of jobs) expect(job.createdAt.getTime()).toBeGreaterThanOrEqual(job.scheduledFor!.getTime());
      await live.gql(`mutation($id: ID!) { pauseSyncSchedule(input: { id: $id }) { schedule { id } } }`, {
        token: user.token,
        variables: { id },
      });
      const count = await live.db.prisma.collectionJob.count({ where: { scheduleId: rowId(id) } });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await live.db.prisma.collectionJob.count({ where: { scheduleId: rowId(id) } })).toBe(count);
    } finally {
      await live.closeAll();
    }
  }, 60_000);
});
