// `npm run bench:stats`: what Query.recordStats costs as a customer grows. Uncached latency of
// the dashboard's query through the real Yoga handler for the bench customer (BENCH_RECORDS,
// 2,000) and the large one (BENCH_LARGE_RECORDS, 200,000), which must stay flat; beside it, the
// data access alone: the rollup statement, and the plain GROUP BY over the rows that gives the
// same answer (checked equal). Then what the rollup triggers cost the bulk seed: the seed's
// statement with and without them. Results: a table on stdout, bench/results/record-stats-<date>.json,
// and its section of BENCHMARKS.md. Same data and database as `npm run bench` (BENCH_DATABASE_URL).
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { insertBulkRecordsFor } from "../prisma/seed.js";
import { AccessTokens } from "../src/auth/access-tokens.js";
import { loadConfig } from "../src/config.js";
import { loadEnvFile } from "../src/env-file.js";
import type { Database } from "../src/db/database.js";
import { openDatabase } from "../src/db/database.js";
import { inScriptTransaction } from "../src/db/sql-script-runner.js";
import type { TenantScopedClient } from "../src/db/tenant-scope.js";
import { Prisma } from "../src/generated/prisma/client.js";
import { assembleRecordStats, fetchRecordStats, type RecordStatsRow } from "../src/queries/record-stats.js";
import { closeServices, createApp, createServices } from "../src/server.js";
import { firstDayOf, type MonthRange, resolveMonthRange } from "../src/stats/month-range.js";
import { commandLine, postgresVersion } from "./environment.js";
import { firstDifference } from "./query.js";
import {
  latestRecordStatsResults,
  RECORD_STATS_RESULTS_PREFIX,
  type RecordStatsBenchResults,
  recordStatsSection,
  type Timing,
  writeRecordStatsSection,
} from "./record-stats-report.js";
import { markdownTable } from "./markdown-table.js";
import { type BenchCustomer, prepareBenchData } from "./seed-bench-data.js";
import { benchDir, positiveInt, projectDir, readSettings } from "./settings.js";

// Settings from .env (src/env-file.ts), before any of them is read.
loadEnvFile();

const log = (line: string) => console.log(`[bench:stats] ${line}`);

// The dashboard's call: every field, the default range (the last 12 months).
const statsQuery = `query Dashboard { recordStats { fromMonth toMonth totalRecords
  recordsByCategory { categoryCode count } recordsByMonth { month count }
  attachmentCount attachmentBytes jobsByStatus { status count } } }`;

// The same numbers counted from the rows: what recordStats would cost without the rollups.
const groupBySql = (customerId: string, range: MonthRange) => {
  const from = Prisma.sql`${firstDayOf(range.from)}::date`;
  const until = Prisma.sql`(${firstDayOf(range.to)}::date + interval '1 month')`;
  return Prisma.sql`
    SELECT 'category' AS "dimension", "categoryCode" AS "key", count(*)::int AS "count", 0::float8 AS "bytes"
    FROM "Record" WHERE "customerId" = ${customerId}::uuid GROUP BY "categoryCode"
    UNION ALL
    SELECT 'month', to_char("createdDate" AT TIME ZONE 'UTC', 'YYYY-MM'), count(*)::int, 0
    FROM "Record" WHERE "customerId" = ${customerId}::uuid
      AND "createdDate" >= ${from} AT TIME ZONE 'UTC' AND "createdDate" < ${until} AT TIME ZONE 'UTC'
    GROUP BY 2
    UNION ALL
    SELECT 'attachments', '', count(*)::int, coalesce(sum("sizeBytes"), 0)::float8
    FROM "Attachment" WHERE "customerId" = ${customerId}::uuid
    UNION ALL
    SELECT 'jobs', "status"::text, count(*)::int, 0
    FROM "CollectionJob" WHERE "customerId" = ${customerId}::uuid
      AND "createdAt" >= ${from} AT TIME ZONE 'UTC' AND "createdAt" < ${until} AT TIME ZONE 'UTC'
    GROUP BY "status"`;
};

const groupByRecordStats = async (db: TenantScopedClient, range: MonthRange) =>
  assembleRecordStats(await db.$queryTenant<RecordStatsRow>((customerId) => groupBySql(customerId, range)), range);

const round = (value: number) => Math.round(value * 100) / 100;

/** Runs `work` one call at a time: a warm-up, then `samples` timed calls. */
async function time(work: () => Promise<unknown>, samples: number): Promise<Timing> {
  for (let i = 0; i < Math.min(20, samples); i++) await work();
  const durations: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await work();
    durations.push(performance.now() - started);
  }
  durations.sort((a, b) => a - b);
  const at = (quantile: number) => round(durations[Math.min(durations.length - 1, Math.floor(quantile * durations.length))]!);
  return { samples, p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99), meanMs: round(durations.reduce((a, b) => a + b, 0) / samples) };
}

class RolledBack extends Error {}

/** The bulk seed's statement for a fresh customer, timed, then rolled back; triggers on or off. */
async function timeSeed(db: Database, records: number, attachmentsPerRecord: number, withTriggers: boolean): Promise<number> {
  let ms = 0;
  try {
    await inScriptTransaction(db, async (tx) => {
      if (!withTriggers) {
        await tx.exec(`ALTER TABLE "Record" DISABLE TRIGGER "Record_stats_insert";
                       ALTER TABLE "Attachment" DISABLE TRIGGER "Attachment_stats_insert"`);
      }
      const [customer] = await tx.query<{ id: string }>(`INSERT INTO "Customer" ("name", "slug") VALUES ('Seed timing', $1) RETURNING id`, [
        `seed-timing-${randomUUID()}`,
      ]);
      const started = performance.now();
      await insertBulkRecordsFor(tx, [customer!.id], records, attachmentsPerRecord);
      // The deltas' apply, which COMMIT would run.
      await tx.exec("SET CONSTRAINTS ALL IMMEDIATE");
      ms = performance.now() - started;
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return Math.round(ms);
}

async function main() {
  const settings = readSettings();
  const samples = positiveInt("BENCH_STATS_SAMPLES", 300);
  const seedRecords = positiveInt("BENCH_SEED_RECORDS", 100_000);
  const seedRuns = positiveInt("BENCH_SEED_RUNS", 3);
  const started = Date.now();
  const loadAverageAtStart = os.loadavg().map(round);
  if (!settings.databaseUrl) log("BENCH_DATABASE_URL is not set: the EMBEDDED PGlite; these figures are NOT representative.");

  // The API's configuration, as server A of `npm run bench` has it: production, no cache.
  const config = loadConfig({
    NODE_ENV: "production",
    JWT_SECRET: settings.jwtSecret,
    LOG_LEVEL: "silent",
    WORKER_CONCURRENCY: "0",
    RESPONSE_CACHE_TTL_MS: "0",
    RATE_LIMIT_PER_MINUTE: "0",
    DATABASE_URL: settings.databaseUrl ?? "",
    DATA_DIR: settings.pgliteDir,
    ROW_LEVEL_SECURITY: process.env.ROW_LEVEL_SECURITY ?? "off",
  });
  const db = await openDatabase(config);
  const services = createServices(config, db);
  const cases: RecordStatsBenchResults["cases"] = [];
  let sameAnswer = true;
  const seed = { withoutTriggersMs: [] as number[], withTriggersMs: [] as number[] };
  try {
    const data = await prepareBenchData(db, settings, log);
    await services.userChanges.ready;
    const app = createApp(services);
    const signer = new AccessTokens(settings.jwtSecret, {});
    const range = resolveMonthRange({}, new Date());
    log(`the last 12 months; ${samples} samples per case`);

    const request = (token: string) => async () => {
      const response = await app.fetch("http://bench/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: statsQuery, operationName: "Dashboard" }),
      });
      const body = (await response.json()) as { data?: { recordStats: { totalRecords: number } }; errors?: unknown };
      if (response.status !== 200 || body.errors) throw new Error(`recordStats failed (${response.status}): ${JSON.stringify(body).slice(0, 300)}`);
      return body.data!.recordStats;
    };
    const customers: Array<[string, BenchCustomer]> = [
      ["bench customer", data.main],
      ["large customer", data.large],
    ];
    for (const [label, customer] of customers) {
      const token = await signer.sign({ userId: customer.userId, customerId: customer.customerId }, "2h");
      const send = request(token);
      const statements: number[] = [];
      for (let i = 0; i < 3; i++) statements.push((await db.statements.measure(send)).statements);
      const answer = await send();
      if (answer.totalRecords !== customer.records) throw new Error(`${label}: totalRecords ${answer.totalRecords}, expected ${customer.records}`);
      log(`API recordStats, ${label} (${customer.records} records)…`);
      cases.push({ what: "API request, recordStats (rollups)", records: customer.records, attachments: customer.attachments, timing: await time(send, samples), statements });
    }
    for (const [label, customer] of customers) {
      const scoped = services.tenantDbFor(customer.customerId);
      const fromRollups = await fetchRecordStats(scoped, range);
      const fromRows = await groupByRecordStats(scoped, range);
      const difference = firstDifference(fromRollups, fromRows, "recordStats");
      if (difference) {
        sameAnswer = false;
        log(`${label}: the GROUP BY and the rollups differ at ${difference}`);
      }
      log(`SQL alone, ${label}: the rollup statement, then the GROUP BY…`);
      cases.push({ what: "rollup statement alone", records: customer.records, attachments: customer.attachments, timing: await time(() => fetchRecordStats(scoped, range), samples), statements: null });
      // The GROUP BY is slow at size: fewer samples there keep the run short.
      const groupBySamples = customer === data.large ? Math.max(10, Math.round(samples / 10)) : samples;
      cases.push({ what: "plain GROUP BY over the rows", records: customer.records, attachments: customer.attachments, timing: await time(() => groupByRecordStats(scoped, range), groupBySamples), statements: null });
    }
    for (let run = 0; run < seedRuns; run++) {
      log(`seed ${seedRecords} records × ${settings.attachmentsPerRecord} attachments, run ${run + 1} of ${seedRuns}: without the triggers, then with…`);
      seed.withoutTriggersMs.push(await timeSeed(db, seedRecords, settings.attachmentsPerRecord, false));
      seed.withTriggersMs.push(await timeSeed(db, seedRecords, settings.attachmentsPerRecord, true));
    }
  } finally {
    await closeServices(services);
  }

  const results: RecordStatsBenchResults = {
    date: new Date(started).toISOString(),
    command: commandLine("bench:stats"),
    note: process.env.BENCH_NOTE ?? null,
    machine: {
      cpu: `${os.cpus()[0]?.model ?? "unknown"} × ${os.cpus().length}`,
      node: process.version,
      database: settings.databaseUrl ? await postgresVersion(settings.databaseUrl) : "embedded PGlite (NOT representative)",
      loadAverageAtStart,
      loadAverageAtEnd: os.loadavg().map(round),
    },
    settings: {
      database: settings.databaseUrl ? "postgresql" : "pglite",
      samples,
      seedRecords,
      seedAttachmentsPerRecord: settings.attachmentsPerRecord,
      seedRuns,
    },
    cases,
    sameAnswer,
    seed,
    totalSeconds: Math.round((Date.now() - started) / 1000),
  };
  const resultsDir = path.join(benchDir, "results");
  fs.mkdirSync(resultsDir, { recursive: true });
  const suffix = results.settings.database === "pglite" ? "-pglite" : "";
  const file = path.join(resultsDir, `${RECORD_STATS_RESULTS_PREFIX}${results.date.replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}${suffix}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const latest = latestRecordStatsResults(resultsDir)!;
  writeRecordStatsSection(path.join(projectDir, "BENCHMARKS.md"), recordStatsSection(latest.results, path.relative(projectDir, latest.file)));
  console.log(
    markdownTable(
      ["what", "records", "p50 ms", "p95 ms", "mean ms", "SQL/req"],
      cases.map((c) => [c.what, c.records, c.timing.p50Ms, c.timing.p95Ms, c.timing.meanMs, c.statements?.join("/") ?? null]),
    ).join("\n"),
  );
  log(`same answer from the GROUP BY: ${sameAnswer}; seed without triggers ${seed.withoutTriggersMs.join(", ")} ms, with ${seed.withTriggersMs.join(", ")} ms`);
  log(`results: ${path.relative(projectDir, file)}; BENCHMARKS.md section rewritten; ${results.totalSeconds} s in all`);
  process.exit(sameAnswer ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
