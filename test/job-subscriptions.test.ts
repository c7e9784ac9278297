// jobUpdated subscriptions at scale: a disconnect ends the work at once, a subscription costs
// no SQL while its job is unchanged (it wakes on the job event bus, never by polling), and
// open subscriptions are capped per customer. Through the real Yoga handler over SSE, on the
// embedded database and on PostgreSQL (TEST_DATABASE_URL), with Redis when REDIS_URL is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelJob, type JobTestApp, openJobSubscription, type OpenSubscription, startJobTestApp, startSync } from "./helpers/job-app.js";
import type { SeededUser } from "./helpers/seed.js";

const CAP = 45;
let t: JobTestApp;

beforeAll(async () => {
  // No worker: the jobs stay QUEUED (unchanged) unless a test changes them.
  t = await startJobTestApp({ worker: false, environment: { JOB_SUBSCRIPTIONS_PER_CUSTOMER: String(CAP) } });
});
afterAll(() => t?.closeAll());

async function adminWithJob(): Promise<{ admin: SeededUser; jobId: string }> {
  const { admin } = await t.seed.customerWithAdmin();
  const jobId = await startSync(t, admin.token, "http://127.0.0.1:9/feed");
  return { admin, jobId };
}

/** Opens a subscription and reads its first event (the job as it is now). */
async function subscribed(token: string, jobId: string): Promise<OpenSubscription> {
  const subscription = await openJobSubscription(t, token, jobId);
  const first = await subscription.next();
  expect(first.data?.data?.jobUpdated).toMatchObject({ status: "QUEUED" });
  return subscription;
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const slots = () => t.services.jobs.subscriptionSlots;
const followed = () => t.services.jobs.events.followedJobs;

describe("jobUpdated subscriptions", () => {
  it("end at once when the client disconnects, while the job is unchanged", async () => {
    const { admin, jobId } = await adminWithJob();
    const customerId = admin.customerId;
    const subscription = await subscribed(admin.token, jobId);
    expect(slots().openFor(customerId)).toBe(1);
    expect(followed()).toBe(1);
    await subscription.close();
    // Not at the job's next change (there is none): now.
    await eventually(() => slots().openFor(customerId) === 0 && followed() === 0, 500);
  });

  it("cost no SQL while 40 clients connect, wait and disconnect and the job stays unchanged", async () => {
    const { admin, jobId } = await adminWithJob();
    const first = await subscribed(admin.token, jobId);
    const { statements } = await t.db.statements.measure(async () => {
      const clients = await Promise.all(Array.from({ length: 40 }, () => subscribed(admin.token, jobId)));
      expect(slots().openFor(admin.customerId)).toBe(41);
      // Longer than any re-read interval a polling follower would use.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      await Promise.all(clients.map((client) => client.close()));
      await eventually(() => slots().openFor(admin.customerId) === 1);
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
    expect(statements).toBe(0);

    // Positive control: a change of the job reaches the remaining subscriber, which then completes.
    expect((await cancelJob(t, admin.token, jobId)).body.errors).toBeUndefined();
    expect((await first.next()).data.data.jobUpdated).toMatchObject({ id: jobId, status: "CANCELLED" });
    expect((await first.next()).event).toBe("complete");
    await eventually(() => slots().openFor(admin.customerId) === 0 && followed() === 0);
  }, 30_000);

  it("are capped per customer with a typed error, freed on disconnect, and other customers are unaffected", async () => {
    const { admin, jobId } = await adminWithJob();
    const open = await Promise.all(Array.from({ length: CAP }, () => subscribed(admin.token, jobId)));

    const refused = await openJobSubscription(t, admin.token, jobId);
    const event = await refused.next();
    const error = event.data?.errors?.[0];
    expect(error?.extensions).toMatchObject({ code: "RATE_LIMITED", limit: "JOB_SUBSCRIPTIONS_PER_CUSTOMER", max: CAP });
    expect(error?.message).toMatch(/JOB_SUBSCRIPTIONS_PER_CUSTOMER/);
    await refused.close();
    expect(slots().openFor(admin.customerId)).toBe(CAP);

    const other = await adminWithJob();
    const theirs = await subscribed(other.admin.token, other.jobId);

    await open[0]!.close();
    await eventually(() => slots().openFor(admin.customerId) === CAP - 1);
    const again = await subscribed(admin.token, jobId);

    await Promise.all([...open.slice(1), again, theirs].map((subscription) => subscription.close()));
    await eventually(() => slots().openFor(admin.customerId) === 0 && slots().openFor(other.admin.customerId) === 0);
    await eventually(() => followed() === 0);
  }, 30_000);

  it("free the slot when the job is not found, and give a followed job's held snapshot to no other customer", async () => {
    const { admin, jobId } = await adminWithJob();
    // The owner follows it, so this process holds its snapshot.
    const owner = await subscribed(admin.token, jobId);
    const stranger = await adminWithJob();
    const subscription = await openJobSubscription(t, stranger.admin.token, jobId);
    const event = await subscription.next();
    expect(event.data?.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    await subscription.close();
    expect(slots().openFor(stranger.admin.customerId)).toBe(0);
    await owner.close();
    await eventually(() => followed() === 0);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)(
    "catch up on a change made while the listening connection was down (PostgreSQL), without polling",
    async () => {
      const { admin, jobId } = await adminWithJob();
      const subscription = await subscribed(admin.token, jobId);
      // Drop this database's listening connections, then change the job before they are back.
      await t.db.pool!.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = 'testapp-listener' AND datname = current_database()`,
      );
      expect((await cancelJob(t, admin.token, jobId)).body.errors).toBeUndefined();
      expect((await subscription.next()).data.data.jobUpdated).toMatchObject({ status: "CANCELLED" });
      expect((await subscription.next()).event).toBe("complete");
    },
  );
});
