// The bench's outputs: a table on stdout, bench/results/<date>.json, and BENCHMARKS.md.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CurvePoint, curveChartSvg } from "./curve-chart.js";
import { markdownTable } from "./markdown-table.js";
import { latestRecordStatsResults, recordStatsSection } from "./record-stats-report.js";
import { carriedSections, readMarkedSection } from "./marked-section.js";
import type { BenchData } from "./seed-bench-data.js";
import type { StatementCount } from "./statements.js";
import type { WrkResult } from "./wrk.js";

export type { CurvePoint };

export type ServerResult = {
  key: string;
  label: string;
  env: Record<string, string>;
  /** The response of every case was deep-equal to D's data before the load. */
  verified: boolean;
  failures: string[];
  responseBytes?: number;
  run: WrkResult | null;
  peakRssMb: number | null;
  /**
   * The server's CPU time per request over the measured run (ms): unlike req/s, barely
   * moved by what else the machine runs, so runs on a busy machine still compare.
   */
  cpuMsPerRequest?: number | null;
  /** VmHWM right after the server answered /health (start-up: module loading, migrations). */
  startupPeakRssMb?: number | null;
  statements: {
    /** Counted in-process (bench/statements.ts); D: 1 by construction. */
    inProcess: StatementCount | null;
    /** From the server's /metrics over the measured run, when it exports them. */
    underLoad: number | null;
  };
  cacheHitsUnderLoad: number | null;
};

export type Target = { name: string; goal: string; actual: string; status: "met" | "NOT met" | "n/a" };

export type BenchResults = {
  date: string;
  valid: boolean;
  problems: string[];
  command: string;
  note: string | null;
  machine: Record<string, unknown>;
  settings: {
    database: "postgresql" | "pglite";
    durationS: number;
    connections: number;
    threads: number;
    pageSize: number;
    pageSizes: number[];
    attachmentsPerRecord: number;
  };
  data: (Omit<BenchData, "main" | "large"> & { main: Record<string, unknown>; large: Record<string, unknown> }) | undefined;
  query: string;
  servers: ServerResult[];
  statementCounts: Record<string, Record<string, StatementCount>>;
  curve: CurvePoint[];
  /** The Lua check counted a deliberately wrong body and an "errors" body (run on D). */
  checkerControl: { wrongBodyCounted: boolean; errorsBodyCounted: boolean } | null;
  targets: Target[];
  totalSeconds: number;
};

const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function server(results: BenchResults, key: string): ServerResult | undefined {
  return results.servers.find((candidate) => candidate.key === key);
}

function rps(results: BenchResults, key: string): number | null {
  const run = server(results, key)?.run;
  return run && run.failures.total === 0 ? run.requestsPerSecond : null;
}

export function ratio(results: BenchResults, top: string, bottom: string): number | null {
  const a = rps(results, top);
  const b = rps(results, bottom);
  return a !== null && b ? round(a / b) : null;
}

export function evaluateTargets(results: BenchResults): Target[] {
  const status = (value: number | null, ok: (value: number) => boolean): Target["status"] =>
    value === null ? "n/a" : ok(value) ? "met" : "NOT met";
  const targets: Target[] = [];
  const a = server(results, "A");
  const d = server(results, "D");
  const counts = a?.statements.inProcess;
  targets.push({
    name: "SQL statements per request for Q (auth included), A",
    goal: "≤ 2 (a user's first: ≤ 3)",
    actual: counts ? `${counts.first} on a user's first request, ${counts.steady} after` : "n/a",
    status: counts ? (counts.first <= 3 && counts.steady <= 2 ? "met" : "NOT met") : "n/a",
  });
  for (const [top, bottom, goal] of [["A", "D", 0.5], ["B", "D", 3], ["A", "C", 3]] as const) {
    const value = ratio(results, top, bottom);
    targets.push({ name: `requests/s ${top}/${bottom}`, goal: `≥ ${goal}`, actual: value === null ? "n/a" : String(value), status: status(value, (v) => v >= goal) });
  }
  const p99A = a?.run?.latencyMs.p99 ?? null;
  const p99D = d?.run?.latencyMs.p99 ?? null;
  const p99Ratio = p99A !== null && p99D ? round(p99A / p99D) : null;
  targets.push({
    name: `p99 latency of A within 3× D's, at ${results.settings.connections} connections${results.settings.connections === 20 ? "" : " (target is at 20)"}`,
    goal: "A/D ≤ 3",
    actual: p99Ratio === null ? "n/a" : `${p99A} ms / ${p99D} ms = ${p99Ratio}`,
    status: status(p99Ratio, (value) => value <= 3),
  });
  targets.push({
    name: "peak RSS of A",
    goal: "≤ 300 MB",
    actual: a?.peakRssMb == null ? "n/a" : `${a.peakRssMb} MB`,
    status: status(a?.peakRssMb ?? null, (value) => value <= 300),
  });
  const curveCounts = Object.values(results.statementCounts.A ?? {}).map((count) => count.steady);
  targets.push({
    name: "A's statements per request constant over page size and data size",
    goal: "one value",
    actual: curveCounts.length ? [...new Set(curveCounts)].join(", ") : "n/a",
    status: curveCounts.length < 2 ? "n/a" : new Set(curveCounts).size === 1 ? "met" : "NOT met",
  });
  return targets;
}

function table(header: string[], rows: Array<Array<string | number | null>>): string[] {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? "–" : String(cell))));
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...cells.map(line)];
}


const serverHeader = ["server", "req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req", "SQL/req", "SQL/req (load)", "peak RSS MB (start)", "failures"];

function serverRows(results: BenchResults): Array<Array<string | number | null>> {
  return results.servers.map((s) => [
    `(${s.key}) ${s.label}`,
    s.run?.requestsPerSecond ?? null,
    s.run?.latencyMs.p50 ?? null,
    s.run?.latencyMs.p95 ?? null,
    s.run?.latencyMs.p99 ?? null,
    s.cpuMsPerRequest ?? null,
    s.statements.inProcess ? (s.statements.inProcess.first === s.statements.inProcess.steady ? `${s.statements.inProcess.steady}` : `${s.statements.inProcess.steady} (1st: ${s.statements.inProcess.first})`) : null,
    s.statements.underLoad,
    s.peakRssMb === null ? null : `${s.peakRssMb} (${s.startupPeakRssMb ?? "–"})`,
    s.run ? s.run.failures.total + s.run.socketErrors.connect + s.run.socketErrors.read + s.run.socketErrors.write + s.run.socketErrors.timeout : s.failures.length ? "FAILED" : null,
  ]);
}

const curveHeader = ["server", "records", "page size", "req/s", "p50 ms", "p95 ms", "p99 ms", "SQL/req"];

function curveRows(results: BenchResults): Array<Array<string | number | null>> {
  return [...results.curve]
    .sort((x, y) => x.server.localeCompare(y.server) || x.records - y.records || x.pageSize - y.pageSize)
    .map((point) => [point.server, point.records, point.pageSize, point.requestsPerSecond, point.p50Ms, point.p95Ms, point.p99Ms, point.statementsPerRequest]);
}

export function printSummary(results: BenchResults): void {
  console.log("");
  console.log(table(serverHeader, serverRows(results)).join("\n"));
  console.log("");
  console.log(`ratios (req/s): A/D ${ratio(results, "A", "D") ?? "–"}   B/D ${ratio(results, "B", "D") ?? "–"}   A/C ${ratio(results, "A", "C") ?? "–"}`);
  if (results.curve.length) {
    console.log("\nhow cost grows:");
    console.log(table(curveHeader, curveRows(results)).join("\n"));
  }
  console.log("\ntargets:");
  console.log(table(["target", "goal", "actual", "status"], results.targets.map((t) => [t.name, t.goal, t.actual, t.status])).join("\n"));
  const b = server(results, "B");
  const a = server(results, "A");
  if (b?.statements.inProcess && a?.statements.inProcess && b.statements.inProcess.steady === a.statements.inProcess.steady && a.statements.inProcess.steady > 0) {
    console.log("\nnote: B ran as many statements as A on repeated requests: RESPONSE_CACHE_TTL_MS is not honoured (no response cache), so B ≈ A.");
  }
  console.log(`\n${results.valid ? "VALID run: every response matched the verified data." : "INVALID run (see problems)."}`);
}

export function writeResultsJson(results: BenchResults, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const suffix = results.settings.database === "pglite" ? "-pglite" : "";
  const file = path.join(dir, `${results.date.replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}${suffix}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

/** The curve chart, beside BENCHMARKS.md (rewritten with it). */
const CURVE_CHART = "bench/curves.svg";

export function writeBenchmarksMd(results: BenchResults, file: string, jsonPath: string): void {
  const m = results.machine;
  const s = results.settings;
  const lines: string[] = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (bench/run.ts) from its latest run; the raw figures are in",
    `\`${jsonPath}\`. Rerun to regenerate this file.`,
    "",
  ];
  if (!results.valid) lines.push("> **INVALID RUN**: some responses failed the check; the figures below mean nothing.", "");
  if (s.database === "pglite") lines.push("> **Embedded PGlite**: these figures are NOT representative; set `BENCH_DATABASE_URL` to a real PostgreSQL.", "");
  if (results.note) lines.push(`> **Note:** ${results.note}`, "");
  lines.push(
    "## What is measured",
    "",
    "One request Q for one customer, against four servers, each its own process, one at a time,",
    `loaded by wrk (a separate process; ${s.threads} threads, ${s.connections} connections, ${s.durationS} s after a short warm-up):`,
    "",
    "```graphql",
    `{ ${results.query} }`,
    "```",
    "",
    "(sent as `query BenchPage($first: Int!)` with `first` in the variables, by POST, with the bench",
    "customer's admin token signed with the servers' JWT_SECRET).",
    "",
    "- **A**: the API as `npm start` runs it (built, then `node` with the start script's flags and",
    "  entry), NODE_ENV=production, response cache off (`RESPONSE_CACHE_TTL_MS=0`).",
    "- **B**: the API, response cache on and warm (`RESPONSE_CACHE_TTL_MS=600000`).",
    "- **C**: the API with DataLoader batching off (`DATALOADER_BATCHING=off`): the N+1 baseline.",
    "- **D**: `bench/ceiling-server.ts`, bare `node:http` + `pg` answering the same data with one",
    "  hand-written `json_agg` statement (it verifies the same JWT; no GraphQL): the practical ceiling.",
    "",
    "Every response is checked: before the load each server's data is deep-compared with D's; under",
    "load wrk's Lua `response()` hook (bench/check-responses.lua) compares every body with the verified",
    "one and counts `\"errors\"` bodies, non-200 answers and other bodies. Any failure (or socket",
    "error/timeout) makes the run invalid. SQL statements per request are counted in-process on the same",
    "database (bench/statements.ts: the real app, `db.statements.measure()` around one request; \"1st\" is a",
    "user's first request, authentication lookup included, the plain figure the steady state); the",
    "\"(load)\" column is the server's own `/metrics` counters over the measured run (background work of",
    "the process included; D: 1 by construction). Peak RSS is `VmHWM` of the server process after the",
    "load; in brackets, right after start-up. The response check has a positive control each run: a",
    `deliberately wrong expected body and a refused token must be counted as failures (${results.checkerControl ? (results.checkerControl.wrongBodyCounted && results.checkerControl.errorsBodyCounted ? "it passed" : "it FAILED") : "not run"}).`,
    "",
    "## Machine and command",
    "",
    `- CPU: ${m.cpu}; memory ${m.memoryGb} GB; ${m.os}; Node ${m.node}; ${m.wrk}`,
    `- Database: ${m.database}; load average at the end: ${(m.loadAverageAtEnd as number[]).join(", ")}`,
    `- Date: ${results.date}; the whole run took ${results.totalSeconds} s`,
    "",
    "```sh",
    results.command,
    "```",
    "",
  );
  if (results.data) {
    const d = results.data;
    lines.push(
      "## Data",
      "",
      `- Bench customer \`${d.main.slug}\`: ${d.main.records} records, ${d.main.attachments} attachments (${s.attachmentsPerRecord} per record).`,
      `- Large customer \`${d.large.slug}\` (data-size point of the curve): ${d.large.records} records.`,
      `- ${d.customers} customers; ${d.totalRecords} records and ${d.totalAttachments} attachments in the database.`,
      "",
    );
  }
  lines.push(
    "## Results",
    "",
    ...markdownTable(serverHeader, serverRows(results)),
    "",
    `Ratios of requests/s: **A/D ${ratio(results, "A", "D") ?? "–"}**, **B/D ${ratio(results, "B", "D") ?? "–"}**, **A/C ${ratio(results, "A", "C") ?? "–"}**.`,
    "",
    "## Targets: where we stand",
    "",
    ...markdownTable(["target", "goal", "actual", "status"], results.targets.map((t) => [t.name, t.goal, t.actual, t.status])),
    "",
  );
  if (results.curve.length) {
    lines.push(
      "## How cost grows",
      "",
      "Page size at fixed data (the bench customer), and data size at a fixed page size (the large",
      "customer), on A and D. Statements per request must stay constant and latency near flat.",
      "",
      ...markdownTable(curveHeader, curveRows(results)),
      "",
      `![Requests per second and p99 latency by page size, A and D](${CURVE_CHART})`,
      "",
    );
    fs.writeFileSync(path.join(path.dirname(file), CURVE_CHART), curveChartSvg(results.curve));
  }
  const statementRows = Object.entries(results.statementCounts).flatMap(([key, counts]) =>
    Object.entries(counts).map(([name, count]) => [key, name, count.sequence.join(" / ")]),
  );
  if (statementRows.length) {
    lines.push(
      "## SQL statements per request, in-process",
      "",
      "Three requests in a row per case (case = customer@page size): the first may look the user up",
      "and fill caches.",
      "",
      ...markdownTable(["server", "case", "statements (1st / 2nd / 3rd)"], statementRows),
      "",
    );
  }
  if (results.problems.length) lines.push("## Problems", "", ...results.problems.map((problem) => `- ${problem}`), "");
  // The dashboard statistics' own bench (npm run bench:stats): its latest run, carried over.
  const statsRun = latestRecordStatsResults(path.join(path.dirname(file), "bench", "results"));
  if (statsRun) lines.push(...recordStatsSection(statsRun.results, path.relative(path.dirname(file), statsRun.file)), "");
  // The sections other commands own (bench:start, bench:idle), carried over as they stand.
  for (const markers of carriedSections) {
    const section = readMarkedSection(file, markers);
    if (section.length) lines.push(...section, "");
  }
  lines.push(
    "## Running it",
    "",
    "```sh",
    "apt-get install -y wrk                                         # the load generator",
    "psql -h 127.0.0.1 -U postgres -c 'create database testapp_bench'  # once",
    "BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/testapp_bench npm run bench",
    "```",
    "",
    "The first run seeds the data (idempotent; later runs reuse it). Knobs: `BENCH_DURATION_S` (10),",
    "`BENCH_CONNECTIONS` (20), `BENCH_THREADS` (2), `BENCH_WARMUP_S` (2), `BENCH_PAGE_SIZE` (50),",
    "`BENCH_PAGE_SIZES` (10,50,100), `BENCH_RECORDS` (2000), `BENCH_LARGE_RECORDS` (200000),",
    "`BENCH_ATTACHMENTS` (5), `BENCH_CUSTOMERS` (5), `BENCH_SCALING=off` (skip the curve), `BENCH_SERVERS=A` (D and A only),",
    "`BENCH_API_NODE_FLAGS` (e.g. `--cpu-prof --cpu-prof-dir=bench/results/prof`, server A only),",
    "`BENCH_NOTE` (a remark printed into this file). Without `BENCH_DATABASE_URL` the bench runs on the",
    "embedded PGlite (each server on its own copy of the data folder) and says loudly that the figures",
    "are not representative. The run exits 1 when it is invalid.",
    "",
  );
  // Hand-written observations (profiles, caveats) live in bench/notes.md and are carried over.
  const notes = path.join(path.dirname(fileURLToPath(import.meta.url)), "notes.md");
  if (fs.existsSync(notes)) lines.push(fs.readFileSync(notes, "utf8").trimEnd(), "");
  fs.writeFileSync(file, lines.join("\n"));
}
