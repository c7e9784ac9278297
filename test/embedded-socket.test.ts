// The embedded database served to CLI commands through the server's socket (issue 12, points
// 9 and 10), in process: the server's own code and a pg client on its socket (as `npm run
// token` / `db:seed` connect while the server runs). User changes made through the socket are
// heard at once; a socket client's transaction and the API's statements never interleave: no
// acknowledged API write is lost, a tenant's failing statement cannot abort the client's
// transaction, a client idle in its transaction is cut off; db:seed succeeds while the API writes.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { closeServices, createServices } from "../src/server.js";
import type { SeededUser } from "./helpers/seed.js";
import { type TestApp, testAppOver } from "./helpers/test-app.js";

const IDLE_TRANSACTION_MS = 1_500;
const projectDir = path.resolve(import.meta.dirname, "..");
const environment = {
  NODE_ENV: "test",
  JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
  LOG_LEVEL: "silent",
  EMBEDDED_SOCKET_IDLE_TRANSACTION_MS: String(IDLE_TRANSACTION_MS),
  RESPONSE_CACHE_TTL_MS: "60000",
  RESPONSE_CACHE_METADATA: "true",
  WORKER_CONCURRENCY: "0",
};

let dataDir: string;
let t: TestApp;
let socketUrl: string;
const clients: pg.Client[] = [];

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-socket-"));
  const config = loadConfig({ ...environment, DATA_DIR: dataDir });
  const db = await openDatabase(config); // the folder and its socket, as npm start opens them
  await migrate(db);
  const services = createServices(config, db);
  t = testAppOver(config, db, services, () => closeServices(services));
  // The lock file as a CLI command reads it (readEmbeddedServerLock ignores this process's own lock).
  const lock = JSON.parse(fs.readFileSync(path.join(dataDir, "embedded-db.lock.json"), "utf8")) as { port: number };
  socketUrl = `postgresql://postgres@127.0.0.1:${lock.port}/postgres`;
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => {})));
  await t?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A client of the socket, as a CLI command is. */
async function socketClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: socketUrl });
  client.on("error", () => {});
  await client.connect();
  clients.push(client);
  return client;
}

const createRecord = `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`;
const create = (user: SeededUser, referenceNumber: string) =>
  t.gql(createRecord, { token: user.token, variables: { input: { referenceNumber, categoryCode: "CAT001", title: "x" } } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("user changes made through the socket (point 9)", () => {
  it("a user disabled by a socket client is refused at once, cache hits included", async () => {
    const { customer, admin } = await t.seed.customerWithAdmin();
    await customer.record();
    const query = `{ records(first: 5) { totalCount } }`;
    expect((await t.gql(query, { token: admin.token })).body.errors).toBeUndefined();
    const hit = await t.gql(query, { token: admin.token });
    expect(hit.body.extensions?.responseCache?.hit).toBe(true);

    const client = await socketClient();
    await client.query(`UPDATE "User" SET enabled = false WHERE id = $1`, [admin.id]);
    const refused = await t.gql(query, { token: admin.token });
    expect(refused.status).toBe(401);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("a user moved to another customer by a socket client reads the new customer's data at once", async () => {
    const { customer: from, admin } = await t.seed.customerWithAdmin();
    const { customer: to } = await t.seed.customerWithAdmin();
    await from.record({ referenceNumber: "FROM-1" });
    await to.record({ referenceNumber: "TO-1" });
    const query = `{ records(first: 5) { edges { node { referenceNumber } } } }`;
    const before = await t.gql(query, { token: admin.token });
    expect(before.body.data.records.edges).toEqual([{ node: { referenceNumber: "FROM-1" } }]);
    await t.gql(query, { token: admin.token }); // cached

    const client = await socketClient();
    await client.query(`UPDATE "User" SET "customerId" = $1 WHERE id = $2`, [to.id, admin.id]);
    const after = await t.gql(query, { token: admin.token });
    // Either refused (the token names the old customer) or the new customer's data: never the old one's.
    if (after.body.errors) expect(after.body.errors[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    else expect(after.body.data.records.edges).toEqual([{ node: { referenceNumber: "TO-1" } }]);
  });
});

describe("a socket client's transaction and the API's statements (point 10)", () => {
  it("an API write acknowledged while a client's transaction is open survives the client's rollback", async () => {
    const { customer, admin } = await t.seed.customerWithAdmin();
    const client = await socketClient();
    await client.query("BEGIN");
    await client.query(`UPDATE "Customer" SET name = name WHERE id = $1`, [customer.id]);
    const write = create(admin, "KEPT-1"); // waits for the client's turn to end
    await sleep(300);
    await client.query("ROLLBACK");
    const response = await write;
    expect(response.body.errors).toBeUndefined();
    expect(await t.db.prisma.record.count({ where: { customerId: customer.id, referenceNumber: "KEPT-1" } })).toBe(1);
  });

  it("a tenant's failing statement cannot abort a client's transaction, and the next tenant's request works", async () => {
    const { customer, admin } = await t.seed.customerWithAdmin();
    const { admin: other } = await t.seed.customerWithAdmin();
    expect((await create(admin, "DUP-1")).body.errors).toBeUndefined();
    const client = await socketClient();
    await client.query("BEGIN");
    await client.query(`UPDATE "Customer" SET name = 'Renamed in a transaction' WHERE id = $1`, [customer.id]);
    const duplicate = create(admin, "DUP-1"); // a unique violation, inside the client's transaction before the fix
    await sleep(300);
    await client.query(`UPDATE "Customer" SET name = name || ' (twice)' WHERE id = $1`, [customer.id]);
    await client.query("COMMIT");
    expect((await duplicate).body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const stored = await t.db.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    expect(stored.name).toBe("Renamed in a transaction (twice)");
    expect((await create(other, "NEXT-1")).body.errors).toBeUndefined();
  });

  it("a client that keeps its transaction idle is cut off and rolled back; the API waits no longer than that", async () => {
    const { customer, admin } = await t.seed.customerWithAdmin();
    const client = await socketClient();
    await client.query("BEGIN");
    await client.query(`UPDATE "Customer" SET name = 'never committed' WHERE id = $1`, [customer.id]);
    const started = performance.now();
    const response = await create(admin, "AFTER-IDLE-1");
    expect(response.body.errors).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(IDLE_TRANSACTION_MS + 3_000);
    await expect(client.query("COMMIT")).rejects.toThrow();
    expect((await t.db.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } })).name).not.toBe("never committed");
  });

  it("db:seed through the socket succeeds while the API writes, and every acknowledged write is kept", async () => {
    const { customer, admin } = await t.seed.customerWithAdmin();
    const seed = promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "src/cli/seed.ts", "--customers", "4", "--records", "1000"],
      { cwd: projectDir, env: { ...process.env, ...environment, DATA_DIR: dataDir, DATABASE_URL: "" }, timeout: 120_000 },
    );
    let done = false;
    const acknowledged: string[] = [];
    const writes = (async () => {
      for (let index = 0; !done; index++) {
        const response = await create(admin, `DURING-SEED-${index}`);
        expect(response.body.errors).toBeUndefined();
        acknowledged.push(`DURING-SEED-${index}`);
        await sleep(20);
      }
    })();
    const { stdout } = await seed.finally(() => (done = true));
    await writes;
    expect(stdout).toMatch(/Bulk seed of .*\+2,000 records/);
    expect(acknowledged.length).toBeGreaterThan(0);
    const kept = await t.db.prisma.record.count({ where: { customerId: customer.id, referenceNumber: { in: acknowledged } } });
    expect(kept).toBe(acknowledged.length);
  }, 150_000);
});
