// `npm run feed:example`, as README's quick tour runs it: the real command in a child process,
// on loopback, and a sync of it through the API that ends with every record applied.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type JobTestApp, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let feed: ChildProcess;
let feedUrl: string;
let output = "";
let t: JobTestApp;

beforeAll(async () => {
  feed = spawn("npm", ["run", "-s", "feed:example", "--", "--port", "0", "--page-delay-ms", "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  feedUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`feed:example did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /^Example record feed: (\S+)/m.exec(output)?.[1];
      if (url && output.includes("SYNC_ALLOWED_HOSTS=")) {
        clearTimeout(timer);
        resolve(url);
      }
    };
    feed.stdout!.on("data", onData);
    feed.stderr!.on("data", onData);
    feed.once("exit", (code) => reject(new Error(`feed:example exited with ${code}:\n${output}`)));
  });
  t = await startJobTestApp({ worker: true });
});

afterAll(async () => {
  await t?.closeAll();
  if (feed && feed.exitCode === null) {
    const exited = new Promise((resolve) => feed.once("exit", resolve));
    feed.kill("SIGTERM");
    await exited;
  }
});

test("serves on loopback and says which SYNC_ALLOWED_HOSTS entry lets the API read it", async () => {
  const url = new URL(feedUrl);
  expect(url.hostname).toBe("127.0.0.1");
  expect(output).toContain(`SYNC_ALLOWED_HOSTS=${url.host}`);
  const first = await (await fetch(feedUrl)).json();
  expect(first).toMatchObject({ total: 12, nextCursor: "page-2" });
  expect(first.records).toHaveLength(5);
  const unknown = await fetch(`${feedUrl}?cursor=nope`);
  expect(unknown.status).toBe(400);
});

test("a sync of the example feed applies its twelve records", async () => {
  const { customer, admin } = await t.seed.customerWithAdmin();
  const job = await waitForJob(t, admin.token, await startSync(t, admin.token, feedUrl));
  expect(job).toMatchObject({ status: "SUCCEEDED", error: null });
  expect(job.result).toMatchObject({ created: 12, rejected: 0, pages: 3 });
  const records = await t.db.prisma.record.findMany({ where: { customerId: customer.id }, include: { attachments: true } });
  expect(records).toHaveLength(12);
  expect(records.every((record) => record.attachments.length === 1)).toBe(true);
});

test("stops on SIGTERM", async () => {
  const exited = new Promise<number | null>((resolve) => feed.once("exit", resolve));
  feed.kill("SIGTERM");
  expect(await exited).toBe(0);
  await expect(fetch(feedUrl)).rejects.toThrow();
});
