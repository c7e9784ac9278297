// The operator's view: liveness, readiness that follows the database away and back,
// Prometheus metrics that move with traffic, and JSON logs joined by a request id that
// round-trips and never holds a token or an e-mail address.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { createLogger } from "../src/logger.js";
import { type App, createApp, createServices } from "../src/server.js";
import { LogCapture } from "./helpers/log-capture.js";
import { Seed } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";

let t: TestApp;
const logs = new LogCapture();

beforeAll(async () => {
  t = await startTestApp(
    { RESPONSE_CACHE_TTL_MS: "60000", LOG_LEVEL: "debug" },
    { logger: createLogger("debug", logs) },
  );
});
afterAll(() => t.close());

const get = (app: App, path: string, headers: Record<string, string> = {}) =>
  app.fetch(`http://yoga${path}`, { headers });

/** The value of one sample in Prometheus text, e.g. sample(text, 'x_total{code="A"}'); 0 if absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("health", () => {
  test("GET /health answers 200 while the process serves", async () => {
    expect((await get(t.app, "/health")).status).toBe(200);
  });

  test("GET /ready answers 200 while the database answers", async () => {
    expect((await get(t.app, "/ready")).status).toBe(200);
  });
});

describe("readiness follows the database", () => {
  // A PostgreSQL (PGlite over the wire protocol) on a loopback port that the test stops and
  // restarts; the app reaches it through its ordinary PostgreSQL pool.
  let pglite: PGlite;
  let server: PGLiteSocketServer;
  let port: number;
  let db: Database;
  let app: App;
  let services: ReturnType<typeof createServices>;
  const outageLogs = new LogCapture();

  const startServer = async () => {
    server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port, maxConnections: 16 });
    await server.start();
  };

  beforeAll(async () => {
    pglite = await PGlite.create();
    port = 0;
    await startServer();
    port = ((server as unknown as { server: import("node:net").Server }).server.address() as { port: number }).port;
    const config = loadConfig({
      NODE_ENV: "test",
      LOG_LEVEL: "debug",
      JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "testapp-observability-")),
      DATABASE_CONNECT_TIMEOUT_MS: "300",
      READINESS_TIMEOUT_MS: "500",
      DATABASE_POOL_SIZE: "2",
    });
    db = await openDatabase(config, { url: `postgresql://postgres@127.0.0.1:${port}/postgres` });
    await migrate(db);
    services = createServices(config, db, { logger: createLogger("debug", outageLogs) });
    app = createApp(services);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await server?.stop();
    await pglite?.close();
  });

  test("503 with the reason while the database is unreachable, 200 again once it is back", async () => {
    expect((await get(app, "/ready")).status).toBe(200);

    await server.stop();
    const down = await get(app, "/ready");
    expect(down.status).toBe(503);
    expect((await down.json()).reason).toMatch(/\S/);

    await startServer();
    await expect.poll(async () => (await get(app, "/ready")).status, { timeout: 5_000, interval: 100 }).toBe(200);
  });

  test("requests that cannot reach the database get masked errors with their request id, logged with it", async () => {
    const seed = new Seed(db, services.tokens);
    const customer = await seed.customer();
    const known = await customer.user(); // remembered by the verified-user cache below
    const stranger = await customer.user(); // never seen: authentication needs the database
    const ask = (token: string, requestId: string) =>
      app.fetch("http://yoga/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": requestId },
        body: JSON.stringify({ query: "{ records { totalCount } }" }),
      });
    await services.userChanges.ready;
    expect((await ask(known.token, "warm-up")).status).toBe(200);
    await server.stop();
    try {
      // Authenticated from memory; the resolver's query fails: SERVICE_UNAVAILABLE (use-database-faults).
      const failed = await ask(known.token, "outage-1");
      // The user lookup itself fails: the request cannot be judged at all.
      const unavailable = await ask(stranger.token, "outage-2");
      expect(unavailable.status).toBe(503);
      for (const [response, requestId, code] of [
        [failed, "outage-1", "SERVICE_UNAVAILABLE"],
        [unavailable, "outage-2", "SERVICE_UNAVAILABLE"],
      ] as const) {
        expect(response.headers.get("x-request-id")).toBe(requestId);
        const body = await response.json();
        expect(body.errors[0].extensions).toMatchObject({ code, requestId });
        // No SQL, no stack, no connection details reach the client.
        expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|SELECT|Prisma|at \w+ \(/);
        const errorLines = outageLogs.lines.filter((line) => line.level === 50 && line.requestId === requestId);
        expect(errorLines.length).toBeGreaterThan(0);
      }
      // Every error line belongs to a request (none logged without its id).
      expect(outageLogs.lines.filter((line) => line.level === 50).every((line) => line.requestId)).toBe(true);
      expect(outageLogs.raw).not.toContain(known.token);
      expect(outageLogs.raw).not.toContain(known.email);
    } finally {
      await startServer();
    }
  });
});

describe("metrics", () => {
  test("GET /metrics is Prometheus text, and the series move when requests run", async () => {
    const { customer: acme, admin: alice } = await t.seed.customerWithAdmin();
    await acme.records(3, () => ({}));
    const before = await (await get(t.app, "/metrics")).text();

    const query = "query CountRecords { records { totalCount } }";
    await t.gql(query, { token: alice.token });
    await t.gql(query, { token: alice.token }); // a cache hit
    await t.gql("{ records { totalCount } }"); // no token: UNAUTHENTICATED

    const response = await get(t.app, "/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const after = await response.text();
    const delta = (series: string) => sample(after, series) - sample(before, series);

    expect(delta('testapp_graphql_requests_total{operation_name="CountRecords"}')).toBe(2);
    expect(delta('testapp_graphql_requests_total{operation_name="anonymous"}')).toBe(1);
    expect(delta('testapp_graphql_request_duration_seconds_count{operation_name="CountRecords"}')).toBe(2);
    expect(delta('testapp_graphql_errors_total{code="UNAUTHENTICATED"}')).toBe(1);
    expect(delta("testapp_response_cache_misses_total")).toBe(1);
    expect(delta("testapp_response_cache_hits_total")).toBe(1);
    expect(delta("testapp_sql_statements_total")).toBeGreaterThan(0);
    expect(after).toMatch(/^testapp_db_pool_connections_in_use \d+/m);
    expect(after).toMatch(/^testapp_db_pool_waiting_requests \d+/m);
    expect(sample(after, "testapp_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sample(after, "testapp_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    // Every series is ours.
    const names = after.split("\n").filter((line) => line && !line.startsWith("#"));
    expect(names.every((line) => line.startsWith("testapp_"))).toBe(true);
  });
});

describe("request id and logs", () => {
  test("x-request-id round-trips, and every log line of the request carries it", async () => {
    const { admin: alice } = await t.seed.customerWithAdmin();
    const response = await t.gql("{ viewer { user { email } } }", {
      token: alice.token,
      headers: { "x-request-id": "req-abc.123" },
    });
    expect(response.headers.get("x-request-id")).toBe("req-abc.123");
    const lines = logs.lines.filter((line) => line.requestId === "req-abc.123");
    expect(lines.some((line) => line.msg === "request")).toBe(true);
    expect(logs.raw).not.toContain(alice.token);
    expect(logs.raw).not.toContain(alice.email);
  });

  test("without one (or with an unusable one) a fresh id is made and returned", async () => {
    const first = await get(t.app, "/graphql?query=%7B__typename%7D", { accept: "application/json" });
    const second = await get(t.app, "/graphql?query=%7B__typename%7D", {
      accept: "application/json",
      "x-request-id": "bad id with spaces\u0007",
    });
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(first.headers.get("x-request-id")).toMatch(uuid);
    expect(second.headers.get("x-request-id")).toMatch(uuid);
    expect(first.headers.get("x-request-id")).not.toBe(second.headers.get("x-request-id"));
  });
});
