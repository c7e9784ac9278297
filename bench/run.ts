// `npm run bench`: the same request Q against four servers, one at a time, each its own
// process, loaded by wrk (another process) with the same connections and duration:
//   (A) the API, response cache off   (B) the API, cache on and warm
//   (C) the API, DataLoaders off (N+1) (D) bare node:http + pg, one json_agg statement
// Every response is checked (bench/check-responses.lua); any failure makes the run invalid.
// Then how cost grows: page size 10/50/100, and 2,000 vs 200,000 records, on A and D.
// Results: a table on stdout, bench/results/<date>.json, BENCHMARKS.md.
// Environment: BENCH_DATABASE_URL (a real PostgreSQL; without it, embedded PGlite with a
// warning), BENCH_DURATION_S (10), BENCH_CONNECTIONS (20), BENCH_THREADS (2), BENCH_WARMUP_S (2),
// BENCH_PAGE_SIZE (50), BENCH_PAGE_SIZES (10,50,100), BENCH_RECORDS (2000),
// BENCH_LARGE_RECORDS (200000), BENCH_ATTACHMENTS (5), BENCH_CUSTOMERS (5), BENCH_SCALING (on|off),
// BENCH_API_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=bench/results/prof"), BENCH_NOTE.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AccessTokens } from "../src/auth/access-tokens.js";
import { loadConfig } from "../src/config.js";
import { loadEnvFile } from "../src/env-file.js";
import { openDatabase } from "../src/db/database.js";
import { benchRequestBody, firstDifference } from "./query.js";
import {
  type BenchResults,
  type CurvePoint,
  evaluateTargets,
  printSummary,
  type ServerResult,
  writeBenchmarksMd,
  writeResultsJson,
} from "./report.js";
import { prepareBenchData } from "./seed-bench-data.js";
import { type RunningServer, type ServerVariant, buildApi, startScriptCommand, startServer } from "./servers.js";
import { readSettings, SUGGESTED_DATABASE_URL, benchDir } from "./settings.js";
import { countStatements, type StatementCase, type StatementCount } from "./statements.js";
import { runWrk, type WrkResult, wrkVersion } from "./wrk.js";
import { commandLine, postgresVersion } from "./environment.js";

// Settings from .env (src/env-file.ts), before any of them is read.
loadEnvFile();

const log = (line: string) => console.log(`[bench] ${line}`);

function banner(lines: string[]): void {
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  const rule = "!".repeat(width);
  console.warn(`\n${rule}\n${lines.map((line) => `! ${line.padEnd(width - 4)} !`).join("\n")}\n${rule}\n`);
}

type Case = { name: string; customer: "main" | "large"; first: number };

async function fetchOnce(url: string, token: string, first: number): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: benchRequestBody(first),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, text: await response.text() };
}

/** Counters of the server's /metrics, when it has them (null otherwise). */
async function scrapeMetrics(url: string): Promise<{ statements: number; requests: number; cacheHits: number } | null> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return null;
    const text = await response.text();
    const sum = (name: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
    if (!text.includes("testapp_sql_statements_total")) return null;
    return {
      statements: sum("testapp_sql_statements_total"),
      requests: sum("testapp_graphql_requests_total"),
      cacheHits: sum("testapp_response_cache_hits_total"),
    };
  } catch {
    return null;
  }
}

async function main() {
  const settings = readSettings();
  const started = Date.now();
  const wrk = wrkVersion();
  if (!wrk) {
    console.error(
      "[bench] wrk is not installed; the bench needs it as its load generator.\n" +
        "        Debian/Ubuntu: apt-get install -y wrk    (others: https://github.com/wg/wrk)",
    );
    process.exit(2);
  }
  const embedded = !settings.databaseUrl;
  if (embedded) {
    banner([
      "BENCH_DATABASE_URL is not set: benchmarking on the EMBEDDED PGlite.",
      "PGlite runs one query at a time in WebAssembly: these figures are NOT",
      "representative of the API on PostgreSQL. For real figures:",
      `  psql -h 127.0.0.1 -U postgres -c 'create database testapp_bench'`,
      `  BENCH_DATABASE_URL=${SUGGESTED_DATABASE_URL} npm run bench`,
    ]);
  }
  log(`wrk ${wrk}; ${settings.threads} threads, ${settings.connections} connections, ${settings.durationS} s per run`);

  // The environment every API process gets; the variants add theirs.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-bench-run-"));
  const baseEnv: Record<string, string> = {
    NODE_ENV: "production",
    JWT_SECRET: settings.jwtSecret,
    LOG_LEVEL: "warn",
    WORKER_CONCURRENCY: "0",
    RESPONSE_CACHE_METADATA: "false",
    // One bench customer sends thousands of requests a second: the per-customer rate limit
    // would refuse most of them, and measure the limiter instead of the API.
    RATE_LIMIT_PER_MINUTE: "0",
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: "0",
    DATABASE_URL: settings.databaseUrl ?? "",
    DATA_DIR: settings.pgliteDir,
  };

  // 1. Data, tokens, and the in-process statement counts (the bench process alone holds
  //    the database meanwhile: on PGlite, no server may have it open yet).
  const seedConfig = loadConfig({ ...baseEnv, LOG_LEVEL: "silent" });
  const db = await openDatabase(seedConfig);
  let data;
  let statementCounts: Record<string, Record<string, StatementCount>> = {};
  const tokens: Record<"main" | "large", string> = { main: "", large: "" };
  const cases: Case[] = [{ name: `main@${settings.pageSize}`, customer: "main", first: settings.pageSize }];
  if (settings.scaling) {
    for (const size of settings.pageSizes) {
      if (size !== settings.pageSize) cases.push({ name: `main@${size}`, customer: "main", first: size });
    }
    cases.push({ name: `large@${settings.pageSize}`, customer: "large", first: settings.pageSize });
  }
  try {
    data = await prepareBenchData(db, settings, log);
    log(
      `data: bench customer ${data.main.slug} ${data.main.records} records / ${data.main.attachments} attachments; ` +
        `large ${data.large.slug} ${data.large.records}; ${data.customers} customers, ` +
        `${data.totalRecords} records and ${data.totalAttachments} attachments in all` +
        (data.seedMs ? ` (seeded in ${(data.seedMs / 1000).toFixed(1)} s)` : " (already seeded)"),
    );
    const signer = new AccessTokens(settings.jwtSecret, { issuer: seedConfig.jwt.issuer, audience: seedConfig.jwt.audience });
    tokens.main = await signer.sign({ userId: data.main.userId, customerId: data.main.customerId }, "2h");
    tokens.large = await signer.sign({ userId: data.large.userId, customerId: data.large.customerId }, "2h");
    const statementCases: StatementCase[] = cases.map((c) => ({ name: c.name, token: tokens[c.customer], first: c.first }));
    log("counting SQL statements per request in-process (A, B, C)…");
    statementCounts = {
      A: await countStatements(db, { ...baseEnv, RESPONSE_CACHE_TTL_MS: "0" }, statementCases),
      B: await countStatements(db, { ...baseEnv, RESPONSE_CACHE_TTL_MS: "600000" }, statementCases.slice(0, 1)),
      C: await countStatements(db, { ...baseEnv, RESPONSE_CACHE_TTL_MS: "0", DATALOADER_BATCHING: "off" }, statementCases),
    };
    for (const [key, counts] of Object.entries(statementCounts)) {
      log(`  ${key}: ${Object.entries(counts).map(([name, count]) => `${name} ${count.sequence.join("/")}`).join(", ")}`);
    }
  } finally {
    await db.close();
  }

  // 2. The servers, one at a time. D first: its data is the reference for the others.
  // The API as npm start runs it: compiled first, then node with the start script's flags.
  buildApi();
  const { entry: apiEntry, nodeFlags: apiFlags } = startScriptCommand();
  const allVariants: ServerVariant[] = [
    { key: "D", label: "node:http + pg, one json_agg statement (ceiling)", entry: "bench/ceiling-server.ts", env: {} },
    { key: "A", label: "API, response cache off", entry: apiEntry, env: { RESPONSE_CACHE_TTL_MS: "0" }, nodeFlags: [...apiFlags, ...settings.apiNodeFlags] },
    { key: "B", label: "API, response cache on, warm", entry: apiEntry, env: { RESPONSE_CACHE_TTL_MS: "600000" }, nodeFlags: apiFlags },
    { key: "C", label: "API, DataLoaders off (N+1 baseline)", entry: apiEntry, env: { RESPONSE_CACHE_TTL_MS: "0", DATALOADER_BATCHING: "off" }, nodeFlags: apiFlags },
  ];
  // D always runs: its data is what the others are checked against.
  const variants = allVariants.filter((variant) => variant.key === "D" || settings.servers.includes(variant.key));
  const reference = new Map<string, unknown>();
  const servers: ServerResult[] = [];
  const curve: CurvePoint[] = [];
  const problems: string[] = [];
  let checkerControl: BenchResults["checkerControl"] = null;

  for (const [index, variant] of variants.entries()) {
    const env: Record<string, string> = { ...baseEnv, ...variant.env };
    if (embedded) {
      // Two processes must never open one PGlite folder: each server gets its own copy.
      const copy = path.join(runDir, `data-${variant.key}`);
      fs.cpSync(path.join(settings.pgliteDir, "pgdata"), path.join(copy, "pgdata"), { recursive: true });
      env.DATA_DIR = copy;
      env.CEILING_PGLITE_DIR = path.join(copy, "pgdata");
    }
    log(`(${variant.key}) ${variant.label}: starting…`);
    const result: ServerResult = {
      key: variant.key,
      label: variant.label,
      env: variant.env,
      verified: false,
      failures: [],
      run: null,
      peakRssMb: null,
      statements: {
        inProcess: variant.key === "D" ? { first: 1, steady: 1, sequence: [1, 1, 1] } : (statementCounts[variant.key]?.[cases[0]!.name] ?? null),
        underLoad: variant.key === "D" ? 1 : null,
      },
      cacheHitsUnderLoad: null,
    };
    servers.push(result);
    let server: RunningServer | undefined;
    try {
      server = await startServer({ ...variant, env }, settings.basePort + index, path.join(runDir, "logs"));
      result.startupPeakRssMb = server.peakRssMb();
      // Before the load: one response per case, deep-compared with D's data.
      const expectedBodies = new Map<string, string>();
      for (const benchCase of cases) {
        const { status, text } = await fetchOnce(server.url, tokens[benchCase.customer], benchCase.first);
        let parsed: { data?: unknown; errors?: unknown } | undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          // reported below
        }
        if (status !== 200 || !parsed || parsed.errors !== undefined || parsed.data === undefined) {
          result.failures.push(`${benchCase.name}: status ${status}, body ${text.slice(0, 300)}`);
          continue;
        }
        if (variant.key === "D") reference.set(benchCase.name, parsed.data);
        const difference = firstDifference(parsed.data, reference.get(benchCase.name));
        if (difference) result.failures.push(`${benchCase.name}: data differs from D at ${difference}`);
        else expectedBodies.set(benchCase.name, text);
      }
      const mainCase = cases[0]!;
      if (!expectedBodies.has(mainCase.name)) throw new Error(`verification failed: ${result.failures.join("; ")}`);
      result.verified = result.failures.length === 0;
      result.responseBytes = Buffer.byteLength(expectedBodies.get(mainCase.name)!);

      const load = async (benchCase: Case, durationS: number): Promise<WrkResult> => {
        const outcome = await runWrk({
          url: server!.url,
          requestBody: benchRequestBody(benchCase.first),
          expectedBody: expectedBodies.get(benchCase.name)!,
          token: tokens[benchCase.customer],
          connections: settings.connections,
          threads: settings.threads,
          durationS,
        });
        const socket = outcome.socketErrors;
        const socketErrors = socket.connect + socket.read + socket.write + socket.timeout;
        if (outcome.failures.total > 0 || socketErrors > 0) {
          result.failures.push(
            `${benchCase.name} (${durationS} s): ${outcome.failures.errorBodies} "errors" bodies, ${outcome.failures.non200} non-200, ` +
              `${outcome.failures.mismatches} other bodies, ${socketErrors} socket errors/timeouts of ${outcome.checkedResponses}`,
          );
        }
        return outcome;
      };

      // Positive control, once (on D): the Lua check must count a body that differs from the
      // expected one and an "errors" body (a refused token), or its zero failures mean nothing.
      if (variant.key === "D") {
        const control = { connections: 2, threads: 1, durationS: 1, url: server.url, requestBody: benchRequestBody(mainCase.first) };
        const wrongBody = await runWrk({ ...control, expectedBody: `${expectedBodies.get(mainCase.name)!} `, token: tokens.main });
        const refused = await runWrk({ ...control, expectedBody: expectedBodies.get(mainCase.name)!, token: "not-a-valid-token" });
        checkerControl = {
          wrongBodyCounted: wrongBody.checkedResponses > 0 && wrongBody.failures.mismatches === wrongBody.checkedResponses,
          errorsBodyCounted: refused.checkedResponses > 0 && refused.failures.errorBodies === refused.checkedResponses,
        };
        if (!checkerControl.wrongBodyCounted || !checkerControl.errorsBodyCounted) {
          problems.push(`the response check failed its positive control: ${JSON.stringify({ wrongBody: wrongBody.failures, refused: refused.failures })}`);
        }
        log(`response check control: wrong body counted ${checkerControl.wrongBodyCounted}, "errors" body counted ${checkerControl.errorsBodyCounted}`);
      }

      // Warm-up (JIT, pools; fills B's cache), then the measured run.
      const warmupS = Number(process.env.BENCH_WARMUP_S ?? 2);
      if (warmupS > 0) await load(mainCase, warmupS);
      const before = await scrapeMetrics(server.url);
      const cpuBefore = server.cpuMs();
      log(`(${variant.key}) wrk ${settings.durationS} s…`);
      result.run = await load(mainCase, settings.durationS);
      const cpuAfter = server.cpuMs();
      const after = await scrapeMetrics(server.url);
      result.peakRssMb = server.peakRssMb();
      if (cpuBefore !== null && cpuAfter !== null && result.run.requests > 0) {
        result.cpuMsPerRequest = Math.round(((cpuAfter - cpuBefore) / result.run.requests) * 100) / 100;
      }
      if (before && after && after.requests > before.requests) {
        // The server's own counters over the measured run (GraphQL requests only, not scrapes).
        result.statements.underLoad = Math.round(((after.statements - before.statements) / (after.requests - before.requests)) * 100) / 100;
        result.cacheHitsUnderLoad = after.cacheHits - before.cacheHits;
      }
      log(
        `(${variant.key}) ${result.run.requestsPerSecond} req/s, p50 ${result.run.latencyMs.p50} ms, p99 ${result.run.latencyMs.p99} ms, ` +
          `CPU ${result.cpuMsPerRequest ?? "–"} ms/req, peak RSS ${result.peakRssMb} MB, failures ${result.run.failures.total}`,
      );

      // How cost grows (A and D): the other page sizes and the large customer.
      if (settings.scaling && (variant.key === "A" || variant.key === "D")) {
        curve.push(curvePoint(variant.key, mainCase, result.run, data.main.records, statementFor(variant.key, mainCase.name)));
        for (const benchCase of cases.slice(1)) {
          if (!expectedBodies.has(benchCase.name)) continue;
          log(`(${variant.key}) curve ${benchCase.name}: wrk ${settings.durationS} s…`);
          const outcome = await load(benchCase, settings.durationS);
          const records = benchCase.customer === "main" ? data.main.records : data.large.records;
          curve.push(curvePoint(variant.key, benchCase, outcome, records, statementFor(variant.key, benchCase.name)));
        }
      }
    } catch (error) {
      result.failures.push((error as Error).message);
      log(`(${variant.key}) FAILED: ${(error as Error).message}`);
    } finally {
      await server?.stop();
    }
  }

  function statementFor(key: string, caseName: string): number | null {
    if (key === "D") return 1;
    const count = statementCounts[key]?.[caseName];
    return count ? count.steady : null;
  }

  for (const server of servers) {
    for (const failure of server.failures) problems.push(`(${server.key}) ${failure}`);
  }
  const machine = {
    cpu: `${os.cpus()[0]?.model ?? "unknown"} × ${os.cpus().length}`,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    wrk,
    database: embedded ? "embedded PGlite (NOT representative)" : await postgresVersion(settings.databaseUrl!),
    loadAverageAtEnd: os.loadavg().map((value) => Math.round(value * 100) / 100),
  };
  const results: BenchResults = {
    date: new Date(started).toISOString(),
    valid: problems.length === 0,
    problems,
    command: commandLine("bench"),
    note: process.env.BENCH_NOTE ?? null,
    machine,
    settings: {
      database: embedded ? "pglite" : "postgresql",
      durationS: settings.durationS,
      connections: settings.connections,
      threads: settings.threads,
      pageSize: settings.pageSize,
      pageSizes: settings.pageSizes,
      attachmentsPerRecord: settings.attachmentsPerRecord,
    },
    data: data && { ...data, main: { ...data.main, userId: undefined }, large: { ...data.large, userId: undefined } },
    query: `records(first: ${settings.pageSize}) { edges { node { referenceNumber categoryCode createdDate attachments(first: 10) { edges { node { filename } } } } } }`,
    servers,
    statementCounts,
    curve,
    checkerControl,
    targets: [],
    totalSeconds: Math.round((Date.now() - started) / 1000),
  };
  results.targets = evaluateTargets(results);
  const jsonFile = writeResultsJson(results, path.join(benchDir, "results"));
  writeBenchmarksMd(results, path.join(benchDir, "..", "BENCHMARKS.md"), path.relative(path.join(benchDir, ".."), jsonFile));
  printSummary(results);
  log(`results: ${jsonFile}; summary: BENCHMARKS.md; ${results.totalSeconds} s in all`);
  fs.rmSync(runDir, { recursive: true, force: true });
  if (!results.valid) {
    banner(["THIS RUN IS INVALID: some responses failed the check.", ...problems.map((problem) => problem.slice(0, 110))]);
    process.exit(1);
  }
  process.exit(0);
}

function curvePoint(server: string, benchCase: Case, run: WrkResult, records: number, statements: number | null): CurvePoint {
  return {
    server,
    case: benchCase.name,
    records,
    pageSize: benchCase.first,
    requestsPerSecond: run.requestsPerSecond,
    p50Ms: run.latencyMs.p50,
    p95Ms: run.latencyMs.p95,
    p99Ms: run.latencyMs.p99,
    statementsPerRequest: statements,
    failures: run.failures.total,
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
