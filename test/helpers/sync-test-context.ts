// A test file's job app (with an in-process worker) and feed server, started before its
// tests and closed after them, and a fresh customer with an ADMIN per test (syncs of one
// customer run one at a time). A file calls useSyncTestContext() once and imports `t` and
// `feed`: live bindings (ES modules), set by its beforeAll, so no file copies them over.
import { afterAll, beforeAll } from "vitest";
import { type FeedServer, startFeedServer } from "./feed-server.js";
import { type JobTestApp, startJobTestApp } from "./job-app.js";

export let t: JobTestApp;
export let feed: FeedServer;

export function useSyncTestContext(): void {
  beforeAll(async () => {
    feed = await startFeedServer();
    t = await startJobTestApp({ worker: true });
  });
  afterAll(async () => {
    await t?.closeAll();
    await feed?.close();
  });
}

export const freshCustomer = () => t.seed.customerWithAdmin();
