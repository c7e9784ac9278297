// The API process as `npm start` runs it (src/api-process.ts: HTTP server, job worker, file
// sweep, listeners), in this process, with every SQL statement it sends counted
// (bench/statement-log.ts): through a counting proxy on PostgreSQL, on the instance itself when
// embedded. Used by `npm run bench:idle` and by test/idle-cost.test.ts.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serveApi } from "../src/api-process.js";
import { type Config, loadConfig } from "../src/config.js";
import { type Database, openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import type { AppServices } from "../src/context.js";
import { createServices } from "../src/server.js";
import { countPgliteStatements, type StatementLog, startCountingProxy } from "./statement-log.js";

export type IdleApi = {
  config: Config;
  services: AppServices;
  log: StatementLog;
  /** A record feed on loopback that answers one empty page (a sync of it does almost nothing). */
  feedUrl: string;
  /** Queues a sync through the API (HTTP) for a fresh customer; returns the job's database id. */
  enqueueSync(): Promise<string>;
  /** Resolves with the job's row once it has ended (heard through job events, not polled). */
  jobEnded(jobId: string): Promise<{ createdAt: Date; startedAt: Date | null }>;
  close(): Promise<void>;
};

export async function startIdleApi(options: {
  /** PostgreSQL; unset: an embedded database in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** More settings (e.g. the pollers' intervals). */
  environment?: NodeJS.ProcessEnv;
}): Promise<IdleApi> {
  const proxy = options.databaseUrl ? await startCountingProxy(options.databaseUrl) : null;
  const queueSchema = `pgboss_idle_${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  const feed = await startEmptyFeed();
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: proxy?.url ?? "",
    DATA_DIR: options.dataDir,
    JWT_SECRET: "idle-bench-secret-that-is-long-enough-0123456789",
    LOG_LEVEL: "silent",
    JOB_QUEUE_SCHEMA: queueSchema,
    SYNC_ALLOWED_HOSTS: "127.0.0.1",
    HOST: "127.0.0.1",
    RESPONSE_CACHE_TTL_MS: "0",
    ...options.environment,
  });
  const database: Database = await openDatabase(config);
  await migrate(database);
  const log = proxy?.log ?? countPgliteStatements(database.pglite!);
  const services = createServices(config, database);
  const api = await serveApi(services, { port: 0 });

  async function enqueueSync(): Promise<string> {
    const customer = await database.prisma.customer.create({ data: { name: "Idle", slug: `idle-${randomUUID()}` } });
    const user = await database.prisma.user.create({
      data: { customerId: customer.id, email: `admin@${customer.slug}.test`, role: "ADMIN" },
    });
    const token = await services.tokens.sign({ userId: user.id, customerId: customer.id });
    const response = await fetch(`http://127.0.0.1:${api.port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: "mutation($url: String!) { syncRecords(input: { sourceUrl: $url }) { job { id } } }",
        variables: { url: feed.url },
      }),
    });
    const body = (await response.json()) as { data?: { syncRecords: { job: { id: string } } }; errors?: unknown };
    if (!body.data) throw new Error(`syncRecords failed: ${JSON.stringify(body.errors)}`);
    const row = await database.prisma.collectionJob.findFirstOrThrow({ where: { customerId: customer.id } });
    return row.id;
  }

  const ended = (status: string) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(status);
  async function jobEnded(jobId: string) {
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        void stopWatching.then((stop) => stop());
        resolve();
      };
      const stopWatching = services.jobs.events.watchAll((snapshot) => {
        if (snapshot.id === jobId && ended(snapshot.status)) finish();
      });
      // It may have ended before the watcher was in place.
      void stopWatching
        .then(() => database.prisma.collectionJob.findUnique({ where: { id: jobId } }))
        .then((row) => row && ended(row.status) && finish());
    });
    return database.prisma.collectionJob.findUniqueOrThrow({ where: { id: jobId } });
  }

  return {
    config,
    services,
    log,
    feedUrl: feed.url,
    enqueueSync,
    jobEnded,
    async close() {
      await api.stop(); // closes the database too
      if (proxy) {
        const cleanup = await openDatabase(config, { url: options.databaseUrl });
        await cleanup.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS ${queueSchema} CASCADE`);
        await cleanup.close();
        await proxy.close();
      }
      await new Promise<void>((resolve) => feed.server.close(() => resolve()));
    },
  };
}

async function startEmptyFeed(): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ records: [], nextCursor: null }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed`, server };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
