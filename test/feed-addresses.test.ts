// DNS rebinding: a feed host that is allowed by name but resolves to a loopback, private,
// link-local or unspecified address is refused unless SYNC_ALLOWED_HOSTS names that address;
// each request resolves its host once and connects to the address it checked. The resolver is
// one the test controls; the feed is a real server on 127.0.0.1. End to end through the API
// and the worker on the embedded database and PostgreSQL (TEST_DATABASE_URL).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressRange, type ResolveHost } from "../src/jobs/feed-address.js";
import { PermanentJobError, TransientJobError } from "../src/jobs/job-errors.js";
import { type FeedClientOptions, fetchFeedJson } from "../src/jobs/record-sync/feed-client.js";
import { type FeedServer, feedRecords, pagedFeed, startFeedServer } from "./helpers/feed-server.js";
import { type JobTestApp, startJobTestApp, startSync, waitForJob } from "./helpers/job-app.js";

let feed: FeedServer;
let port: string;
beforeAll(async () => {
  feed = await startFeedServer();
  port = new URL(feed.origin).port;
});
afterAll(() => feed?.close());

/** A resolver that answers `answers` in turn (the last one again when they run out) and counts calls. */
function scriptedResolver(...answers: string[][]): ResolveHost & { calls: number } {
  const resolve = async () => {
    const answer = answers[Math.min(resolve.calls, answers.length - 1)]!;
    resolve.calls += 1;
    return answer.map((address) => ({ address, family: address.includes(":") ? (6 as const) : (4 as const) }));
  };
  resolve.calls = 0;
  return resolve;
}

const options = (allowedHosts: string[], resolveHost: ResolveHost): FeedClientOptions => ({
  allowedHosts,
  timeoutMs: 3_000,
  maxResponseBytes: 100_000,
  userAgent: "test",
  resolveHost,
});

/** The feed's URL under another host name, which only the injected resolver knows. */
const named = (url: string, host: string) => url.replace("127.0.0.1", host);
const fetchPage = (url: string, allowed: string[], resolve: ResolveHost) =>
  fetchFeedJson(url, options(allowed, resolve), new AbortController().signal);

describe("feed addresses", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.8.9.10", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["0.0.0.0", "unspecified"],
    ["100.64.0.1", "carrierGradeNat"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "linkLocal"],
  ])("refuses %s (%s) when the allow-list names only the host, before connecting", async (address, range) => {
    expect(addressRange(address)).toBe(range);
    const url = named(feed.route(pagedFeed(feedRecords(1, "x"), 5)), "feed.test");
    const error = await fetchPage(url, ["feed.test"], scriptedResolver([address])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentJobError);
    expect((error as Error).message).toMatch(new RegExp(`feed.test resolves to ${address.replace(/\./g, "\\.")}, a ${range} address.*SYNC_ALLOWED_HOSTS`));
    expect(feed.hits(url)).toBe(0);
  });

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])("takes a public address such as %s", (address) => {
    expect(addressRange(address)).toBe("unicast");
  });

  it("reads a private address the allow-list names, connecting to it under the host's name", async () => {
    const url = named(feed.route(pagedFeed(feedRecords(2, "named"), 5)), "feed.test");
    const resolver = scriptedResolver(["127.0.0.1"]);
    const { body } = await fetchPage(url, ["feed.test", "127.0.0.1"], resolver);
    expect((body as { records: unknown[] }).records).toHaveLength(2);
    expect(feed.hostHeaders(url)).toEqual([`feed.test:${port}`]);
    expect(resolver.calls).toBe(1);
    // host:port entries name the address on that port only.
    const other = named(feed.route(pagedFeed([], 5)), "feed.test");
    await expect(fetchPage(other, ["feed.test", `127.0.0.1:${port}`], scriptedResolver(["127.0.0.1"]))).resolves.toBeTruthy();
    await expect(fetchPage(other, ["feed.test", "127.0.0.1:1"], scriptedResolver(["127.0.0.1"]))).rejects.toThrow(/loopback/);
  });

  it("resolves once per request and connects to the checked address, however the name is rebound", async () => {
    const url = named(feed.route(pagedFeed(feedRecords(1, "rebind"), 5)), "feed.test");
    // Checked first, then rebound to an unreachable private address for whoever asks next: a
    // client that resolved again to connect would go there (and fail) on every request.
    const resolver = scriptedResolver(["127.0.0.1"], ["10.255.255.1"], ["127.0.0.1"], ["10.255.255.1"]);
    await fetchPage(url, ["feed.test", "127.0.0.1"], resolver);
    expect(resolver.calls).toBe(1);
    await expect(fetchPage(url, ["feed.test", "127.0.0.1"], resolver)).rejects.toThrow(/10\.255\.255\.1, a private address/);
    await fetchPage(url, ["feed.test", "127.0.0.1"], resolver);
    expect(resolver.calls).toBe(3);
    expect(feed.hits(url)).toBe(2);
  });

  it("takes the first usable address of several, and refuses when none is", async () => {
    const url = named(feed.route(pagedFeed([], 5)), "feed.test");
    await fetchPage(url, ["feed.test", "127.0.0.1"], scriptedResolver(["10.0.0.1", "127.0.0.1"]));
    expect(feed.hits(url)).toBe(1);
    await expect(fetchPage(url, ["feed.test"], scriptedResolver(["10.0.0.1", "127.0.0.1"]))).rejects.toThrow(/10\.0\.0\.1, a private/);
  });

  it("checks every redirect hop's address too", async () => {
    const target = named(feed.route(pagedFeed([], 5)), "inner.test");
    const start = named(feed.route(() => ({ status: 302, headers: { location: target } })), "feed.test");
    const resolve: ResolveHost = async (host) => [{ address: host === "inner.test" ? "169.254.169.254" : "127.0.0.1", family: 4 }];
    await expect(fetchPage(start, ["feed.test", "inner.test", "127.0.0.1"], resolve)).rejects.toThrow(
      /inner\.test resolves to 169\.254\.169\.254, a linkLocal address/,
    );
    expect(feed.hits(start)).toBe(1);
  });

  it("retries a host that does not resolve", async () => {
    const failing: ResolveHost = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    };
    const error = await fetchPage("http://nowhere.test/feed", ["nowhere.test"], failing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientJobError);
    expect((error as Error).message).toMatch(/Could not resolve the feed host nowhere\.test \(ENOTFOUND\)/);
  });
});

describe("a sync whose allowed host resolves to a private address", () => {
  let t: JobTestApp;
  beforeAll(async () => {
    t = await startJobTestApp({
      worker: true,
      environment: { SYNC_ALLOWED_HOSTS: "feed.test,rebound.test,127.0.0.1" },
      resolveHost: async (host) => [{ address: host === "rebound.test" ? "10.0.0.7" : "127.0.0.1", family: 4 }],
    });
  });
  afterAll(() => t?.closeAll());

  it("fails at once with the reason, reading nothing; the listed address is read", async () => {
    const { admin } = await t.seed.customerWithAdmin();
    const refusedUrl = named(feed.route(pagedFeed(feedRecords(3, "dns"), 5)), "rebound.test");
    const refused = await waitForJob(t, admin.token, await startSync(t, admin.token, refusedUrl));
    expect(refused).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(refused.error).toMatch(/rebound\.test resolves to 10\.0\.0\.7, a private address/);
    expect(feed.hits(refusedUrl)).toBe(0);

    const allowedUrl = named(feed.route(pagedFeed(feedRecords(3, "dns-ok"), 5)), "feed.test");
    const allowed = await waitForJob(t, admin.token, await startSync(t, admin.token, allowedUrl));
    expect(allowed).toMatchObject({ status: "SUCCEEDED" });
    expect(feed.hostHeaders(allowedUrl)).toEqual([`feed.test:${port}`]);
  });
});
