// `npm run load-test`: a bounded load test on loopback. One API process on PostgreSQL; 50
// connections for 60 s send mixed reads and writes as two customers. It passes only with
// zero 5xx answers, zero cross-tenant results, and every acknowledged write found in the
// database afterwards (created records exist with the acknowledged values; each record's
// title is the last one acknowledged for it). Figures go to bench/results/load-<date>.json.
//
//   LOAD_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/testapp_bench npm run load-test
//   (LOAD_DURATION_S, default 60; LOAD_CONNECTIONS, default 50; LOAD_PORT, default 4811)
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { AccessTokens } from "../src/auth/access-tokens.js";
import { loadConfig } from "../src/config.js";
import { loadEnvFile } from "../src/env-file.js";
import { openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { buildApi, startScriptCommand, startServer } from "./servers.js";
import { benchDir } from "./settings.js";

// Settings from .env (src/env-file.ts), before any of them is read.
loadEnvFile();

const databaseUrl = process.env.LOAD_DATABASE_URL ?? process.env.BENCH_DATABASE_URL;
if (!databaseUrl) {
  console.error("LOAD_DATABASE_URL (a PostgreSQL database) is required, e.g. postgresql://postgres@127.0.0.1:5432/testapp_bench");
  process.exit(2);
}
const durationS = Number(process.env.LOAD_DURATION_S ?? 60);
const connections = Number(process.env.LOAD_CONNECTIONS ?? 50);
const port = Number(process.env.LOAD_PORT ?? 4811);
const jwtSecret = `load-test-secret-${randomUUID()}`;

type Tenant = { name: "A" | "B"; customerId: string; token: string; prefix: string; seededIds: string[] };

const config = loadConfig({ DATABASE_URL: databaseUrl, NODE_ENV: "production", JWT_SECRET: jwtSecret, LOG_LEVEL: "silent" });
const db = await openDatabase(config);
await migrate(db);
const tokens = new AccessTokens(jwtSecret);
const run = randomUUID().slice(0, 8);

async function createTenant(name: "A" | "B"): Promise<Tenant> {
  const prefix = `LT${name}-${run}`;
  const customer = await db.prisma.customer.create({ data: { name: `Load ${name}`, slug: `load-${name.toLowerCase()}-${run}` } });
  const user = await db.prisma.user.create({ data: { customerId: customer.id, email: `load-${name}-${run}@load.test`, role: "ADMIN" } });
  const seeded = await db.prisma.record.createManyAndReturn({
    data: Array.from({ length: 200 }, (_, index) => ({
      customerId: customer.id,
      referenceNumber: `${prefix}-S${index}`,
      categoryCode: `CAT00${index % 10}`,
      title: "seeded",
      createdDate: new Date(Date.UTC(2026, 0, 1) + (index % 50) * 3_600_000),
    })),
  });
  return {
    name,
    customerId: customer.id,
    token: await tokens.sign({ userId: user.id, customerId: customer.id }, "2h"),
    prefix,
    seededIds: seeded.map((record) => encodeGlobalID("Record", record.id)),
  };
}

const tenants = [await createTenant("A"), await createTenant("B")];
buildApi();
const server = await startServer(
  {
    key: "load",
    label: "API under mixed load",
    // As npm start runs it (built just above).
    ...startScriptCommand(),
    env: {
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      JWT_SECRET: jwtSecret,
      LOG_LEVEL: "warn",
      WORKER_CONCURRENCY: "0",
      // Two customers at full speed would be refused by the per-customer limit (429, tested
      // elsewhere); this measures the API itself.
      RATE_LIMIT_PER_MINUTE: "0",
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: "0",
    },
  },
  port,
  fs.mkdtempSync(path.join(os.tmpdir(), "testapp-load-")),
);

const latencies: number[] = [];
const statusCounts = new Map<number, number>();
let fiveXx = 0;
let crossTenant = 0;
let graphqlErrors = 0;
const created = new Map<string, { tenant: Tenant; referenceNumber: string }>();
const lastTitle = new Map<string, string>();

async function send(tenant: Tenant, query: string, variables: Record<string, unknown>) {
  const started = performance.now();
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${tenant.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  latencies.push(performance.now() - started);
  statusCounts.set(response.status, (statusCounts.get(response.status) ?? 0) + 1);
  if (response.status >= 500) fiveXx += 1;
  // Any reference number of the other customer in the body is a leak.
  const other = tenants.find((candidate) => candidate !== tenant)!;
  if (text.includes(other.prefix)) crossTenant += 1;
  const body = JSON.parse(text) as { data?: any; errors?: unknown[] };
  if (body.errors) graphqlErrors += 1;
  return body;
}

const pageQuery = `query($filter: RecordFilter, $after: String) { records(first: 20, filter: $filter, after: $after) {
  totalCount edges { node { id referenceNumber title attachmentCount } } pageInfo { endCursor } } }`;

async function connectionLoop(index: number, deadline: number) {
  let sequence = 0;
  const mine: string[] = [];
  while (performance.now() < deadline) {
    const tenant = tenants[(index + sequence) % 2]!;
    const pick = Math.random();
    sequence += 1;
    if (pick < 0.4) {
      const page = await send(tenant, pageQuery, { filter: { categoryCode: `CAT00${sequence % 10}` } });
      const after = page.data?.records?.pageInfo?.endCursor;
      if (after) await send(tenant, pageQuery, { filter: { categoryCode: `CAT00${sequence % 10}` }, after });
    } else if (pick < 0.55) {
      const id = tenant.seededIds[sequence % tenant.seededIds.length];
      // Also ask for the other customer's ids: they must come back null.
      const foreign = tenants.find((t) => t !== tenant)!.seededIds[sequence % 200];
      await send(tenant, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Record { referenceNumber } } }`, { ids: [id, foreign] });
    } else if (pick < 0.8 || mine.length === 0) {
      const referenceNumber = `${tenant.prefix}-W${index}-${sequence}`;
      const result = await send(
        tenant,
        `mutation($input: CreateRecordInput!) { createRecord(input: $input) { record { id referenceNumber } } }`,
        { input: { referenceNumber, categoryCode: "CAT001", title: "created" } },
      );
      const id = result.data?.createRecord?.record?.id as string | undefined;
      if (id) {
        created.set(id, { tenant, referenceNumber });
        if (tenant.name === "A") mine.push(id); // updates go to this connection's own A records only
      }
    } else {
      const id = mine[sequence % mine.length]!;
      const title = `updated ${index}-${sequence}`;
      const result = await send(
        tenants[0]!,
        `mutation($input: UpdateRecordInput!) { updateRecord(input: $input) { record { id title } } }`,
        { input: { id, title } },
      );
      if (result.data?.updateRecord?.record?.title === title) lastTitle.set(id, title);
    }
  }
}

console.log(`[load] ${connections} connections for ${durationS} s against ${server.url} (pid ${server.pid})`);
const started = performance.now();
const deadline = started + durationS * 1000;
await Promise.all(Array.from({ length: connections }, (_, index) => connectionLoop(index, deadline)));
const elapsedS = (performance.now() - started) / 1000;
const peakRssMb = server.peakRssMb();
await server.stop();

// Every acknowledged write must be in the database, with the acknowledged values.
const rows = await db.prisma.record.findMany({
  where: { customerId: { in: tenants.map((tenant) => tenant.customerId) } },
  select: { id: true, customerId: true, referenceNumber: true, title: true },
});
const byGlobalId = new Map(rows.map((row) => [encodeGlobalID("Record", row.id), row]));
let lostWrites = 0;
for (const [id, write] of created) {
  const row = byGlobalId.get(id);
  if (!row || row.customerId !== write.tenant.customerId || row.referenceNumber !== write.referenceNumber) lostWrites += 1;
}
for (const [id, title] of lastTitle) if (byGlobalId.get(id)?.title !== title) lostWrites += 1;

latencies.sort((a, b) => a - b);
const percentile = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 10) / 10;
const figures = {
  date: new Date().toISOString(),
  durationS: Math.round(elapsedS * 10) / 10,
  connections,
  requests: latencies.length,
  requestsPerSecond: Math.round(latencies.length / elapsedS),
  latencyMs: { p50: percentile(50), p95: percentile(95), p99: percentile(99), max: percentile(100) },
  statusCounts: Object.fromEntries(statusCounts),
  graphqlErrorBodies: graphqlErrors,
  acknowledgedCreates: created.size,
  acknowledgedUpdates: lastTitle.size,
  fiveXx,
  crossTenant,
  lostWrites,
  peakRssMb,
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}`,
};
const valid = fiveXx === 0 && crossTenant === 0 && lostWrites === 0;
fs.mkdirSync(path.join(benchDir, "results"), { recursive: true });
const file = path.join(benchDir, "results", `load-${figures.date.replace(/[:.]/g, "-").slice(0, 19)}Z.json`);
fs.writeFileSync(file, `${JSON.stringify({ ...figures, valid }, null, 2)}\n`);
console.log(JSON.stringify(figures, null, 2));
console.log(valid ? `[load] PASS (written to ${path.relative(process.cwd(), file)})` : "[load] FAIL: 5xx, cross-tenant results or lost writes");
await db.close();
process.exit(valid ? 0 : 1);
