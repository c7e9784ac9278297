// The database goes away and comes back; the pool runs dry. A real PostgreSQL server the test
// owns (PGlite over the wire protocol on a loopback port, stopped and restarted at will),
// reached through the app's ordinary bounded pg pool of ONE connection.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { isDatabaseUnavailable } from "../src/db/database-faults.js";
import { type App, closeServices, createApp, createServices } from "../src/server.js";
import { Seed, type SeededUser } from "./helpers/seed.js";

let pglite: PGlite;
let server: PGLiteSocketServer;
let port = 0;
let db: Database;
let app: App;
let services: ReturnType<typeof createServices>;
let alice: SeededUser;
let dataDir: string;

const startServer = async () => {
  server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port, maxConnections: 16 });
  await server.start();
  port = ((server as unknown as { server: import("node:net").Server }).server.address() as { port: number }).port;
};

const ask = async (query = "{ records(first: 5) { totalCount } }") => {
  const response = await app.fetch("http://yoga/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: await response.json() };
};

beforeAll(async () => {
  pglite = await PGlite.create();
  await startServer();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-faults-"));
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
    DATA_DIR: dataDir,
    DATABASE_POOL_SIZE: "1",
    DATABASE_CONNECT_TIMEOUT_MS: "300",
    READINESS_TIMEOUT_MS: "500",
  });
  db = await openDatabase(config, { url: `postgresql://postgres@127.0.0.1:${port}/postgres` });
  await migrate(db);
  services = createServices(config, db);
  app = createApp(services);
  const customer = await new Seed(db, services.tokens).customer();
  alice = await customer.user();
  await customer.records(3, () => ({}));
  await services.userChanges.ready;
}, 60_000);

afterAll(async () => {
  await (services ? closeServices(services) : db?.close());
  await server?.stop();
  await pglite?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function expectUnavailable(response: { status: number; body: any }) {
  expect(response.status).toBe(503);
  expect(response.body.errors[0].extensions.code).toBe("SERVICE_UNAVAILABLE");
  // No SQL, no stack, no connection details reach the client.
  expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|SELECT|Prisma|timeout exceeded|at \w+ \(/);
}

describe("database down", () => {
  test("requests get SERVICE_UNAVAILABLE (503), /ready 503; both recover by themselves", async () => {
    const warm = await ask();
    expect(warm.body).toEqual({ data: { records: { totalCount: 3 } } });

    await server.stop();
    try {
      // The user is remembered, so the request reaches its resolver, whose query fails.
      expectUnavailable(await ask());
      expect((await app.fetch("http://yoga/ready")).status).toBe(503);
    } finally {
      await startServer();
    }
    await expect.poll(async () => (await ask()).status, { timeout: 10_000, interval: 100 }).toBe(200);
    expect((await ask()).body).toEqual({ data: { records: { totalCount: 3 } } });
    expect((await app.fetch("http://yoga/ready")).status).toBe(200);
  });
});

describe("pool exhausted", () => {
  test("a request waits at most DATABASE_CONNECT_TIMEOUT_MS for a connection, then gets SERVICE_UNAVAILABLE", async () => {
    const held = await db.pool!.connect(); // the pool's only connection
    try {
      const waiting = [ask(), ask(), ask()];
      for (const response of await Promise.all(waiting)) expectUnavailable(response);
      // No pile-up: nothing still queued for a connection once they have answered.
      expect(db.poolStats()!.waiting).toBe(0);
    } finally {
      held.release();
    }
    expect((await ask()).body).toEqual({ data: { records: { totalCount: 3 } } });
  });

  test("the same with row-level security, whose reads wait for a transaction of their own", async () => {
    const config = { ...services.config, rowLevelSecurity: true };
    const rlsApp = createApp(createServices(config, db));
    const askRls = async () => {
      const response = await rlsApp.fetch("http://yoga/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ query: "{ records(first: 5) { totalCount edges { node { id } } } }" }),
      });
      return { status: response.status, body: await response.json() };
    };
    const held = await db.pool!.connect();
    try {
      for (const response of await Promise.all([askRls(), askRls()])) expectUnavailable(response);
    } finally {
      held.release();
    }
    expect((await askRls()).body.data.records.totalCount).toBe(3);
  });
});

describe("isDatabaseUnavailable", () => {
  test("knows connection failures, and nothing else", () => {
    expect(isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }))).toBe(true);
    expect(isDatabaseUnavailable(new Error("x", { cause: new Error("timeout exceeded when trying to connect") }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("shutdown"), { code: "57P01" }))).toBe(true);
    const noTransactionInTime = "Transaction API error: Unable to start a transaction in the given time.";
    expect(isDatabaseUnavailable(Object.assign(new Error(noTransactionInTime), { code: "P2028" }))).toBe(true);
    const closedTransaction = "Transaction API error: Transaction already closed: A commit cannot be executed on a committed transaction.";
    expect(isDatabaseUnavailable(Object.assign(new Error(closedTransaction), { code: "P2028" }))).toBe(false);
    // Controls: bugs and bad SQL stay unexpected (masked as INTERNAL_SERVER_ERROR).
    expect(isDatabaseUnavailable(new TypeError("undefined is not a function"))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("syntax error"), { code: "42601" }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error("unique"), { code: "P2002" }))).toBe(false);
  });
});
