// GraphiQL hands out alice's ADMIN dev token only to a browser on this machine: a loopback
// peer with no proxy headers. Before, anyone who reached the port (HOST defaulted to 0.0.0.0)
// got GraphiQL with the token pre-filled.
import os from "node:os";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHttpServer } from "../src/server.js";
import { ensureDemoUser } from "./helpers/demo-user.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
let production: TestApp;

beforeAll(async () => {
  [t, production] = await Promise.all([startTestApp(), startTestApp({ NODE_ENV: "production" })]);
  await ensureDemoUser(t.db);
});
afterAll(() => Promise.all([t.close(), production.close()]));

const browser = { accept: "text/html" };

/** GET the GraphiQL page as node:http would hand it over from a peer at `remoteAddress`. */
const pageFrom = (app: TestApp["app"], remoteAddress: string | undefined) =>
  (app.fetch as (url: string, init: RequestInit, serverContext: object) => Promise<Response>)(
    "http://yoga/graphql",
    { headers: browser },
    { req: { socket: { remoteAddress } } },
  );
const carriesToken = (page: string) => /Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.test(page);

/** The app on a real port bound to `host`; GETs the GraphiQL page through `host`. */
async function pageOver(host: string, headers: Record<string, string> = {}) {
  const server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/graphql`;
    const response = await fetch(url, { headers: { ...browser, ...headers } });
    return { status: response.status, page: await response.text() };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** An address of this machine that is not loopback, if it has one. */
const outsideAddress = Object.values(os.networkInterfaces())
  .flat()
  .find((entry) => entry && !entry.internal && entry.family === "IPv4")?.address;

describe("the dev token in GraphiQL", () => {
  test("a browser on this machine (loopback, no proxy) gets it (the control)", async () => {
    const { status, page } = await pageOver("127.0.0.1");
    expect(status).toBe(200);
    expect(page).toContain("TestApp API");
    expect(carriesToken(page)).toBe(true);
  });

  test.skipIf(!outsideAddress)("a client from another address gets GraphiQL without it (real port)", async () => {
    const { status, page } = await pageOver(outsideAddress!);
    expect(status).toBe(200);
    expect(page).toContain("TestApp API");
    expect(carriesToken(page)).toBe(false);
  });

  test("a client whose peer is not loopback gets GraphiQL without it", async () => {
    for (const remoteAddress of ["203.0.113.7", "192.168.1.20", "::ffff:10.0.0.1", "fd00::2", undefined]) {
      const response = await pageFrom(t.app, remoteAddress);
      const page = await response.text();
      expect(response.status).toBe(200);
      expect(page).toContain("TestApp API");
      expect(carriesToken(page), String(remoteAddress)).toBe(false);
    }
  });

  test.each(["x-forwarded-for", "forwarded", "x-real-ip"])(
    "a request forwarded by a proxy on this machine (%s) gets GraphiQL without it",
    async (header) => {
      const { page } = await pageOver("127.0.0.1", { [header]: header === "forwarded" ? "for=203.0.113.7" : "203.0.113.7" });
      expect(page).toContain("TestApp API");
      expect(carriesToken(page)).toBe(false);
    },
  );

  test("production serves no GraphiQL, from loopback either", async () => {
    const response = await pageFrom(production.app, "127.0.0.1");
    const page = await response.text();
    expect(page).not.toContain("TestApp API");
    expect(carriesToken(page)).toBe(false);
  });
});
