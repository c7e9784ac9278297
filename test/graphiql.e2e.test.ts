// GraphiQL in a real headless browser, with the internet cut off: every asset must come from
// this server, and the header editor must already hold the demo user's dev token, so running
// a query needs nothing typed but the query.
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createHttpServer } from "../src/server.js";
import { ensureDemoUser } from "./helpers/demo-user.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

const chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((file) => fs.existsSync(file));
const skipReason = "SKIPPED: no chromium found (install it with: apt-get install -y chromium)";

let t: TestApp;
let server: ReturnType<typeof createHttpServer>;
let origin: string;
let browser: Browser | undefined;
let expectedSlug: string;

beforeAll(async () => {
  if (!chromiumPath) return;
  t = await startTestApp();
  // The demo user the dev token is for (the database may be shared with other test files).
  expectedSlug = await ensureDemoUser(t.db);
  server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await t?.close();
});

test.skipIf(!chromiumPath)(
  `GraphiQL loads offline with the dev token prefilled and runs { viewer { customer { slug } } }${chromiumPath ? "" : ` — ${skipReason}`}`,
  async () => {
    const context = await browser!.newContext();
    const page = await context.newPage();
    // The internet is cut off: anything not from this server is refused and remembered.
    const foreign: string[] = [];
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    const query = "{ viewer { customer { slug } } }";
    await page.goto(`${origin}/graphql?query=${encodeURIComponent(query)}`);
    await page.locator(".graphiql-execute-button").click({ timeout: 20_000 });
    const response = page.locator(".result-window, .graphiql-response");
    await expect
      .poll(async () => (await response.first().innerText()).replace(/\s+/g, " "), { timeout: 20_000 })
      .toContain(`"slug": "${expectedSlug}"`);
    expect(foreign).toEqual([]);
    await context.close();
  },
  60_000,
);
