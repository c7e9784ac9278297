// The job tests' app: the real Yoga handler and database, an in-process worker (optional),
// a private pg-boss schema so test files sharing one PostgreSQL never take each other's
// jobs, and one helper per operation (start, cancel, read, wait, subscribe).
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { recordChangeAnnouncer } from "../../src/cache/follow-record-changes.js";
import type { ResolveHost } from "../../src/jobs/feed-address.js";
import { startJobWorker, type JobWorker } from "../../src/jobs/worker.js";
import { startTestApp, type TestApp } from "./test-app.js";

export type JobTestApp = TestApp & {
  worker: JobWorker | null;
  /** Record ids each onRecordsChanged call reported, per customer. */
  changedRecords: Map<string, string[]>;
  closeAll(): Promise<void>;
};

export const jobTestEnvironment = (queueSchema: string) => ({
  SYNC_ALLOWED_HOSTS: "127.0.0.1",
  JOB_QUEUE_SCHEMA: queueSchema,
  JOB_MAX_ATTEMPTS: "3",
  JOB_RETRY_DELAY_SECONDS: "1",
  JOB_POLL_INTERVAL_SECONDS: "0.5",
  JOB_LEASE_SECONDS: "10",
  SYNC_MAX_RESPONSE_BYTES: "20000",
  SYNC_REQUEST_TIMEOUT_MS: "3000",
});

export async function startJobTestApp(options: {
  worker: boolean;
  /** More settings for the app (e.g. the response cache). */
  environment?: NodeJS.ProcessEnv;
  /** Also announce changed records through the database, as npm start's worker does (cache eviction). */
  announceRecordChanges?: boolean;
  /** The worker's resolver of feed host names (tests of DNS answers). */
  resolveHost?: ResolveHost;
}): Promise<JobTestApp> {
  const queueSchema = `pgboss_test_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const t = await startTestApp({ ...jobTestEnvironment(queueSchema), WORKER_CONCURRENCY: "2", ...options.environment });
  const changedRecords = new Map<string, string[]>();
  const announce = recordChangeAnnouncer(t.db);
  const worker = options.worker
    ? await startJobWorker({
        config: t.config,
        database: t.db,
        queue: t.services.jobs.queue,
        logger: t.services.logger,
        events: t.services.jobs.events,
        resolveHost: options.resolveHost,
        storage: t.services.storage,
        onRecordsChanged: async (customerId, ids) => {
          changedRecords.set(customerId, [...(changedRecords.get(customerId) ?? []), ...ids]);
          if (options.announceRecordChanges) await announce(customerId, ids);
        },
      })
    : null;
  return {
    ...t,
    worker,
    changedRecords,
    async closeAll() {
      await worker?.stop();
      await t.services.jobs.close();
      if (t.db.pool) await t.db.pool.query(`DROP SCHEMA IF EXISTS ${queueSchema} CASCADE`);
      await t.close();
    },
  };
}

const jobFields = "id kind status attempts progress recordsDone pagesDone recordsTotal error result startedAt finishedAt";

export type JobView = {
  id: string;
  kind: string;
  status: string;
  attempts: number;
  progress: number | null;
  recordsDone: number;
  pagesDone: number;
  recordsTotal: number | null;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  result: { created: number; updated: number; unchanged: number; rejected: number; pages: number; rejections: Array<{ referenceNumber: string | null; reason: string }> } | null;
};

export async function syncRecords(t: TestApp, token: string, sourceUrl: string, idempotencyKey?: string) {
  return t.gql<{ syncRecords: { jobId: string; status: string; job: JobView } }>(
    `mutation($input: SyncRecordsInput!) { syncRecords(input: $input) { jobId status job { ${jobFields} } } }`,
    { token, variables: { input: { sourceUrl, idempotencyKey } } },
  );
}

/** Starts a sync that must be accepted; returns the job's id. */
export async function startSync(t: TestApp, token: string, sourceUrl: string, idempotencyKey?: string) {
  const response = await syncRecords(t, token, sourceUrl, idempotencyKey);
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.syncRecords.jobId;
}

export async function cancelJob(t: TestApp, token: string, id: string) {
  return t.gql<{ cancelJob: { job: JobView } }>(
    `mutation($id: ID!) { cancelJob(input: { id: $id }) { job { ${jobFields} } } }`,
    { token, variables: { id } },
  );
}

export async function readJob(t: TestApp, token: string, id: string): Promise<JobView | null> {
  const response = await t.gql<{ node: JobView | null }>(
    `query($id: ID!) { node(id: $id) { ... on CollectionJob { ${jobFields} } } }`,
    { token, variables: { id } },
  );
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.node;
}

/** Polls the job through the API until `done` holds; fails the test after `timeoutMs`. */
export async function waitForJob(
  t: TestApp,
  token: string,
  id: string,
  done: (job: JobView) => boolean = (job) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(job.status),
  timeoutMs = 20_000,
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  let job: JobView | null = null;
  while (Date.now() < deadline) {
    job = await readJob(t, token, id);
    if (job && done(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} did not reach the expected state in ${timeoutMs} ms; last seen: ${JSON.stringify(job)}`);
}

export type SseEvent = { event: string; data: any };

/** Subscribes over SSE through the real handler and collects events until the stream ends. */
export async function collectJobUpdates(t: TestApp, token: string, jobId: string, timeoutMs = 20_000): Promise<SseEvent[]> {
  const query = `subscription($id: ID!) { jobUpdated(jobId: $id) { id status progress recordsDone pagesDone recordsTotal attempts result } }`;
  const url = `http://yoga/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: jobId }))}`;
  const response = await t.app.fetch(url, {
    headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return text
    .split("\n\n")
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return event ? { event, data: data ? JSON.parse(data) : null } : null;
    })
    .filter((event): event is SseEvent => event !== null);
}

export type OpenSubscription = {
  status: number;
  /** The next SSE event; fails after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Disconnects, as a browser closing the tab would. */
  close(): Promise<void>;
};

/** Opens a jobUpdated subscription over SSE and reads its events one at a time. */
export async function openJobSubscription(t: TestApp, token: string, jobId: string): Promise<OpenSubscription> {
  const query = `subscription($id: ID!) { jobUpdated(jobId: $id) { id status progress } }`;
  const url = `http://yoga/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: jobId }))}`;
  const controller = new AbortController();
  const response = await t.app.fetch(url, {
    headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const parse = (block: string): SseEvent | null => {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return event ? { event, data: data ? JSON.parse(data) : null } : null;
  };
  return {
    status: response.status,
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parse(block);
          if (event) return event;
          continue;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error("no SSE event in time");
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no SSE event in time")), left)),
        ]);
        if (chunk.done) return { event: "end-of-stream", data: null };
        buffer += chunk.value;
      }
    },
    async close() {
      controller.abort();
      await reader.cancel().catch(() => {});
    },
  };
}
