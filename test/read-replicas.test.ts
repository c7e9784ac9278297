// Read replicas (DATABASE_REPLICA_URLS): a request's plain reads go to a replica, its writes,
// transactions and every read after its first write go to the primary; code outside a request
// (workers, migrations, this test's own checks) always uses the primary. The "replica" is a
// second database on the test server holding the same customer with a different attachment,
// so each answer shows which database it came from.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { encodeGlobalID } from "@pothos/plugin-relay";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { isReplicaSafe } from "../src/db/read-replicas.js";
import { createHttpServer } from "../src/server.js";
import type { SeededUser } from "./helpers/seed.js";
import { startTestApp, type TestApp } from "./helpers/test-app.js";
import { usingPostgres } from "./helpers/test-database.js";

describe("which statements a replica may answer", () => {
  it("plain SELECTs only: no writes, no locking reads, no CTEs (they may write)", () => {
    expect(isReplicaSafe(`SELECT "id" FROM "Record" WHERE "customerId" = $1`)).toBe(true);
    expect(isReplicaSafe(`  select 1`)).toBe(true);
    expect(isReplicaSafe(`SELECT * FROM "CollectionJob" WHERE id = $1 FOR UPDATE`)).toBe(false);
    expect(isReplicaSafe(`SELECT * FROM t FOR NO KEY UPDATE SKIP LOCKED`)).toBe(false);
    expect(isReplicaSafe(`INSERT INTO "Record" (id) VALUES ($1) RETURNING id`)).toBe(false);
    expect(isReplicaSafe(`WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved`)).toBe(false);
  });
});

describe.skipIf(!usingPostgres)("read replicas (PostgreSQL: a second database plays the replica)", () => {
  const replicaName = `testapp_replica_${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  let adminPool: pg.Pool;
  let replica: Database;
  let t: TestApp;
  let server: Server;
  let origin: string;
  let admin: SeededUser;
  let recordId: string;

  const attachmentsQuery = (id: string) =>
    `{ node(id: "${id}") { ... on Record { attachments(first: 5) { edges { node { filename } } } } } }`;
  const filenames = (record: any): string[] => record.attachments.edges.map((edge: any) => edge.node.filename);

  /** Over real HTTP: each request runs in its own read-your-writes scope (createHttpServer). */
  async function overHttp(query: string, variables?: Record<string, unknown>) {
    const response = await fetch(`${origin}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: any; errors?: unknown[] };
  }

  beforeAll(async () => {
    const primaryUrl = new URL(process.env.TEST_DATABASE_URL!);
    adminPool = new pg.Pool({ connectionString: primaryUrl.toString(), max: 1 });
    await adminPool.query(`CREATE DATABASE ${replicaName}`);
    const replicaUrl = Object.assign(new URL(primaryUrl), { pathname: `/${replicaName}` }).toString();
    replica = await openDatabase(loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent" }), { url: replicaUrl });
    await migrate(replica);

    t = await startTestApp({ DATABASE_REPLICA_URLS: replicaUrl });
    const customer = await t.seed.customer();
    admin = await customer.user();
    const record = await customer.record({ title: "On both" });
    recordId = record.id;
    const [attachment] = await customer.attachments(record.id, 1);
    await t.db.prisma.attachment.update({ where: { id: attachment!.id }, data: { filename: "primary.pdf" } });

    // The replica holds the same rows (as replication would), except the attachment's name.
    const row = await t.db.prisma.customer.findUniqueOrThrow({ where: { id: customer.id } });
    await replica.prisma.customer.create({ data: row });
    const { token: _token, ...user } = admin;
    await replica.prisma.user.create({ data: user });
    await replica.prisma.record.create({ data: record });
    await replica.prisma.attachment.create({ data: { ...attachment!, filename: "replica.pdf" } });

    server = createHttpServer(t.app, { readReplicas: true });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await t?.close();
    await replica?.close();
    await adminPool?.query(`DROP DATABASE IF EXISTS ${replicaName} WITH (FORCE)`);
    await adminPool?.end();
  });

  it("a request's reads come from the replica", async () => {
    const body = await overHttp(attachmentsQuery(encodeGlobalID("Record", recordId)));
    expect(body.errors).toBeUndefined();
    expect(filenames(body.data.node)).toEqual(["replica.pdf"]);
  });

  it("outside a request (workers, system code) every read goes to the primary", async () => {
    const rows = await t.db.prisma.attachment.findMany({ where: { recordId }, select: { filename: true } });
    expect(rows).toEqual([{ filename: "primary.pdf" }]);
  });

  it("a write goes to the primary, and the same request's reads after it too", async () => {
    const body = await overHttp(
      `mutation($input: UpdateRecordInput!) {
        updateRecord(input: $input) { record { title attachments(first: 5) { edges { node { filename } } } } }
      }`,
      { input: { id: encodeGlobalID("Record", recordId), title: "Changed on the primary" } },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.updateRecord.record.title).toBe("Changed on the primary");
    // Read after the write, in the same request: the primary's attachment, not the replica's.
    expect(filenames(body.data.updateRecord.record)).toEqual(["primary.pdf"]);
    expect((await t.db.prisma.record.findUniqueOrThrow({ where: { id: recordId } })).title).toBe("Changed on the primary");
    expect((await replica.prisma.record.findUniqueOrThrow({ where: { id: recordId } })).title).toBe("On both");
    // The next request reads from the replica again.
    const next = await overHttp(attachmentsQuery(encodeGlobalID("Record", recordId)));
    expect(filenames(next.data.node)).toEqual(["replica.pdf"]);
  });

  it("a created record lands on the primary only", async () => {
    const referenceNumber = `REPLICA-${randomUUID().slice(0, 8)}`;
    const body = await overHttp(
      `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id } } }`,
      { input: { referenceNumber, categoryCode: "CAT001", title: "New" } },
    );
    expect(body.errors).toBeUndefined();
    expect(await t.db.prisma.record.count({ where: { referenceNumber } })).toBe(1);
    expect(await replica.prisma.record.count({ where: { referenceNumber } })).toBe(0);
  });
});
