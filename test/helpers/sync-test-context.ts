// A test file's job app (with an in-process worker) and feed server, started before its
// tests and closed after them, and a fresh customer with an ADMIN per test (syncs of one
// customer run one at a time).
import { afterAll, beforeAll } from "vitest";
import { type FeedServer, startFeedServer } from "./feed-server.js";
import { type JobTestApp, startJobTestApp } from "./job-app.js";
import type { SeededCustomer, SeededUser } from "./seed.js";

export type SyncTestContext = {
  readonly t: JobTestApp;
  readonly feed: FeedServer;
  freshCustomer(): Promise<{ customer: SeededCustomer; admin: SeededUser }>;
};

export function useSyncTestContext(): SyncTestContext {
  let t: JobTestApp | undefined;
  let feed: FeedServer | undefined;
  beforeAll(async () => {
    feed = await startFeedServer();
    t = await startJobTestApp({ worker: true });
  });
  afterAll(async () => {
    await t?.closeAll();
    await feed?.close();
  });
  return {
    get t() {
      return t!;
    },
    get feed() {
      return feed!;
    },
    async freshCustomer() {
      const customer = await t!.seed.customer();
      return { customer, admin: await customer.user({ role: "ADMIN" }) };
    },
  };
}
