// Issue 15, point 7: the GraphiQL page (~9 MB of HTML, assets inlined) is served compressed as
// the client accepts it, with an ETag so that a reload is a 304 without a body; a changed page
// (the welcome text goes once there are users) gets a new ETag.
import zlib from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { chooseEncoding } from "../src/plugins/use-graphiql-page.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { usingPostgres } from "./helpers/test-database.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const page = async (headers: Record<string, string> = {}) => {
  const response = await t.app.fetch("http://yoga/graphql", { headers: { accept: "text/html", ...headers } });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
};

test("brotli, gzip or none as the client accepts, the same page each way, and a reload is a 304", async () => {
  const plain = await page();
  expect(plain.response.status).toBe(200);
  expect(plain.response.headers.get("content-encoding")).toBeNull();
  expect(plain.response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const html = plain.bytes.toString();
  expect(html.includes("<title>TestApp API</title>")).toBe(true);

  const br = await page({ "accept-encoding": "gzip, deflate, br, zstd" });
  expect(br.response.headers.get("content-encoding")).toBe("br");
  expect(zlib.brotliDecompressSync(br.bytes).toString()).toBe(html);

  const gzip = await page({ "accept-encoding": "gzip, deflate" });
  expect(gzip.response.headers.get("content-encoding")).toBe("gzip");
  expect(zlib.gunzipSync(gzip.bytes).toString()).toBe(html);

  for (const each of [plain, br, gzip]) {
    expect(each.response.headers.get("vary")).toBe("accept-encoding");
    expect(each.response.headers.get("etag")).toBe(plain.response.headers.get("etag"));
  }
  expect(br.bytes.length).toBeLessThan(plain.bytes.length / 3);
  expect(gzip.bytes.length).toBeLessThan(plain.bytes.length / 3);

  const reload = await page({ "accept-encoding": "gzip, br", "if-none-match": plain.response.headers.get("etag")! });
  expect(reload.response.status).toBe(304);
  expect(reload.bytes.length).toBe(0);
  console.log(
    `GraphiQL bytes over the wire: identity ${plain.bytes.length}, br ${br.bytes.length}, gzip ${gzip.bytes.length}, reload 304: 0`,
  );
});

// The shared PostgreSQL test database always has other files' users: there, the welcome text
// (and its change) is tested on a new database of its own, by test/next-steps.test.ts.
test.skipIf(usingPostgres)("a changed page (users now exist: no welcome text) has a new ETag, so the old one gets the page again", async () => {
  const before = await page({ "accept-encoding": "br" });
  // (includes, not toContain: a failure would print 9 MB of HTML)
  expect(zlib.brotliDecompressSync(before.bytes).toString().includes("The database has no users yet")).toBe(true);
  await t.seed.customerWithAdmin();
  const after = await page({ "accept-encoding": "br", "if-none-match": before.response.headers.get("etag")! });
  expect(after.response.status).toBe(200);
  expect(after.response.headers.get("etag")).not.toBe(before.response.headers.get("etag"));
  expect(zlib.brotliDecompressSync(after.bytes).toString().includes("The database has no users yet")).toBe(false);
});

test("the encoding chosen from Accept-Encoding", () => {
  expect(chooseEncoding(null)).toBe("identity");
  expect(chooseEncoding("")).toBe("identity");
  expect(chooseEncoding("identity")).toBe("identity");
  expect(chooseEncoding("br;q=0, gzip")).toBe("gzip");
  expect(chooseEncoding("br;q=0.5")).toBe("br");
  expect(chooseEncoding("gzip;q=0")).toBe("identity");
  expect(chooseEncoding("*")).toBe("gzip");
  expect(chooseEncoding("BR")).toBe("br");
});

test("production serves no GraphiQL page", async () => {
  const production = await startTestApp({ NODE_ENV: "production", JWT_SECRET: "x".repeat(40) });
  try {
    const response = await production.app.fetch("http://yoga/graphql", { headers: { accept: "text/html" } });
    expect(response.headers.get("content-type") ?? "").not.toContain("text/html");
  } finally {
    await production.close();
  }
});
