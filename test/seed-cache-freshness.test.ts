// Issue 15, point 4: nothing stale after writes outside GraphQL. db:seed run while a server
// serves (the embedded database through its socket, or PostgreSQL) tells every instance's
// response cache, in memory and in Redis: a cached totalCount is fresh right after the seed.
import { execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { createFreshPostgres, type FreshPostgres } from "./helpers/fresh-postgres.js";
import { freePort } from "./helpers/process-api.js";

const run = promisify(execFile);
const projectDir = path.resolve(import.meta.dirname, "..");
const postgresUrl = process.env.TEST_DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const countQuery = "{ records(first: 1) { totalCount } }";

const variants = [
  { cache: "in memory", redis: undefined },
  ...(redisUrl ? [{ cache: "in Redis", redis: redisUrl }] : []),
];

describe.each(variants)("a cached totalCount after db:seed through a running server, cache $cache", ({ redis }) => {
  test("is fresh right after the seed", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-seed-cache-"));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    let fresh: FreshPostgres | undefined;
    if (postgresUrl) {
      fresh = await createFreshPostgres(postgresUrl);
      cleanups.push(() => fresh!.drop());
    }
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "development",
      LOG_LEVEL: "silent",
      DATA_DIR: dataDir,
      DATABASE_URL: fresh?.url ?? "",
      JWT_SECRET: "",
      PORT: String(port),
      HOST: "127.0.0.1",
      WORKER_CONCURRENCY: "0",
      FILE_SWEEP_INTERVAL_SECONDS: "0",
      RESPONSE_CACHE_TTL_MS: "60000",
      RESPONSE_CACHE_METADATA: "true",
      REDIS_URL: redis ?? "",
      REDIS_KEY_PREFIX: `test-seed-cache-${randomUUID().slice(0, 8)}:`,
    };
    const cli = (entry: string, args: string[]) =>
      run(process.execPath, ["--import", "tsx", entry, ...args], { cwd: projectDir, env, timeout: 120_000 });
    // PostgreSQL is not seeded by npm start; the embedded database is.
    if (fresh) await cli("src/cli/seed.ts", []);

    const server = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: projectDir, env, stdio: "ignore" });
    cleanups.push(async () => {
      if (server.exitCode !== null) return;
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    });
    await expect
      .poll(() => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0), { timeout: 60_000, interval: 250 })
      .toBe(200);
    // Through the running server's socket on the embedded database.
    const token = (await cli("src/cli/token.ts", ["--email", "alice@acme.test"])).stdout.trim();
    const count = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: countQuery }),
      });
      const body = (await response.json()) as { data: { records: { totalCount: number } }; extensions?: { responseCache?: { hit: boolean } } };
      return { totalCount: body.data.records.totalCount, hit: body.extensions?.responseCache?.hit };
    };

    const before = await count();
    expect(await count()).toEqual({ totalCount: before.totalCount, hit: true }); // cached now

    // Bulk records for acme and globex, written outside any GraphQL mutation.
    const seeded = await cli("src/cli/seed.ts", ["--customers", "2", "--records", "7"]);
    expect(seeded.stdout).toContain("+14 records");

    expect(await count()).toEqual({ totalCount: before.totalCount + 7, hit: false });
  }, 240_000);
});
