// The job backlog on /metrics: per queue, the ready jobs no worker has taken and the age of the
// oldest, read on scrape with one statement. No worker runs here, so what is sent stays queued.
import { Prisma } from "../src/generated/prisma/client.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type JobTestApp, startJobTestApp, startSync } from "./helpers/job-app.js";

let t: JobTestApp;

beforeAll(async () => {
  t = await startJobTestApp({ worker: false });
});
afterAll(() => t?.closeAll());

async function scrape(): Promise<string> {
  const response = await t.app.fetch("http://yoga/metrics");
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one series, e.g. sample(text, 'testapp_jobs_queued{kind="record-sync"}'); undefined if absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const queued = (text: string, kind: string) => sample(text, `testapp_jobs_queued{kind="${kind}"}`);
const oldest = (text: string, kind: string) => sample(text, `testapp_jobs_queued_oldest_age_seconds{kind="${kind}"}`);

describe("job backlog metrics", () => {
  test("every queue reports 0 while nothing waits", async () => {
    await t.services.jobs.queue.started();
    const text = await scrape();
    for (const kind of ["record-sync", "record-sync-gave-up", "job-cleanup"]) {
      expect(queued(text, kind)).toBe(0);
      expect(oldest(text, kind)).toBe(0);
    }
  });

  test("queued syncs are counted, and the oldest one's wait is its age", async () => {
    const feedUrl = "http://127.0.0.1:9/feed";
    for (let i = 0; i < 3; i++) {
      const { admin } = await t.seed.customerWithAdmin();
      await startSync(t, admin.token, feedUrl);
    }
    // Make one of them look as if it had waited 90 s for a worker.
    const schema = Prisma.raw(`"${t.config.jobs.queueSchema}".job`);
    await t.db.prisma.$executeRaw`
      UPDATE ${schema} SET start_after = now() - interval '90 seconds', created_on = now() - interval '90 seconds'
       WHERE id = (SELECT id FROM ${schema} WHERE name = 'record-sync' ORDER BY created_on LIMIT 1)`;

    const text = await scrape();
    expect(queued(text, "record-sync")).toBe(3);
    expect(oldest(text, "record-sync")).toBeGreaterThanOrEqual(90);
    expect(oldest(text, "record-sync")).toBeLessThan(120);
    expect(queued(text, "job-cleanup")).toBe(0);
    expect(text).toContain("# TYPE testapp_jobs_queued gauge");
  });

  test("a job waiting out a retry delay is not backlog", async () => {
    const schema = Prisma.raw(`"${t.config.jobs.queueSchema}".job`);
    const before = queued(await scrape(), "record-sync")!;
    await t.db.prisma.$executeRaw`
      UPDATE ${schema} SET state = 'retry', start_after = now() + interval '1 hour'
       WHERE id = (SELECT id FROM ${schema} WHERE name = 'record-sync' AND state = 'created' ORDER BY created_on DESC LIMIT 1)`;
    expect(queued(await scrape(), "record-sync")).toBe(before - 1);
  });

  test("both gauges cost one statement per scrape", async () => {
    await scrape();
    const { statements } = await t.db.statements.measure(() => scrape());
    expect(statements).toBe(1);
  });
});
