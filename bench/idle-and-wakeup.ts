// `npm run bench:idle`: what the API process costs its database while nothing happens, and how
// soon a queued job starts. Runs the process as `npm start` does (bench/idle-api.ts), lets it
// settle (BENCH_IDLE_WARMUP_SECONDS, 15), counts every statement it sends over
// BENCH_IDLE_SECONDS (60; a shorter window is scaled to a minute), then queues BENCH_JOBS (20)
// syncs one at a time, each after a random idle gap, and takes each job's enqueue-to-start time
// from its row (startedAt - createdAt). PostgreSQL when BENCH_DATABASE_URL is set, else embedded.
// Prints a table and writes bench/results/idle-<date>.json.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadEnvFile } from "../src/env-file.js";
import { commandLine, postgresVersion } from "./environment.js";
import { median, sleep, startIdleApi } from "./idle-api.js";
import { benchDir, positiveInt } from "./settings.js";

loadEnvFile();
const log = (line: string) => console.log(`[bench:idle] ${line}`);

async function main() {
  const databaseUrl = process.env.BENCH_DATABASE_URL?.trim() || undefined;
  const warmupSeconds = positiveInt("BENCH_IDLE_WARMUP_SECONDS", 15);
  const idleSeconds = positiveInt("BENCH_IDLE_SECONDS", 60);
  const jobs = positiveInt("BENCH_JOBS", 20);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-bench-idle-"));
  const database = databaseUrl ? await postgresVersion(databaseUrl) : "embedded PGlite";
  log(`${database}; warm-up ${warmupSeconds} s, idle window ${idleSeconds} s, ${jobs} jobs`);

  const api = await startIdleApi({ databaseUrl, dataDir });
  try {
    await sleep(warmupSeconds * 1000);
    const mark = api.log.count;
    await sleep(idleSeconds * 1000);
    const idleStatements = api.log.count - mark;
    const perMinute = (idleStatements * 60) / idleSeconds;
    const breakdown = api.log.breakdown(mark).slice(0, 10);

    const latenciesMs: number[] = [];
    for (let i = 0; i < jobs; i++) {
      // Idle between jobs, so each one has to wake a waiting worker.
      await sleep(300 + Math.random() * 1_000);
      const jobId = await api.enqueueSync();
      const row = await api.jobEnded(jobId);
      if (!row.startedAt) throw new Error(`job ${jobId} ended without starting`);
      latenciesMs.push(row.startedAt.getTime() - row.createdAt.getTime());
    }
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const results = {
      date: new Date().toISOString(),
      command: commandLine("bench:idle"),
      database,
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg().map((value) => Number(value.toFixed(2))),
      idle: { warmupSeconds, windowSeconds: idleSeconds, statements: idleStatements, perMinute, breakdown },
      wakeup: {
        jobs,
        medianMs: median(latenciesMs),
        p90Ms: sorted[Math.floor(sorted.length * 0.9)] ?? null,
        maxMs: sorted.at(-1) ?? null,
        latenciesMs,
      },
    };
    log(`idle: ${idleStatements} statements in ${idleSeconds} s = ${perMinute.toFixed(1)} a minute`);
    for (const { statement, count } of breakdown) log(`  ${String(count).padStart(5)}  ${statement}`);
    log(
      `enqueue-to-start over ${jobs} jobs: median ${results.wakeup.medianMs.toFixed(0)} ms, ` +
        `p90 ${results.wakeup.p90Ms} ms, max ${results.wakeup.maxMs} ms`,
    );
    const file = path.join(benchDir, "results", `idle-${results.date.replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await api.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
