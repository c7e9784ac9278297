// Opens the database the configuration names: PostgreSQL through a bounded pg pool
// when DATABASE_URL is set, otherwise the embedded PGlite in DATA_DIR.
// The Prisma client returned here is NOT tenant-scoped: it is for system code
// (authentication, migrations, seed, jobs). Request code gets createTenantScopedClient().
import fs from "node:fs";
import path from "node:path";
// PGlite is imported only when used: its WASM module costs ~40 MB of memory at import.
import type { PGlite } from "@electric-sql/pglite";
import type { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Config } from "../config.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { readEmbeddedServerLock, writeEmbeddedServerLock } from "./embedded-server-lock.js";
import { EmbeddedSessionTurns } from "./embedded-session-turns.js";
import { SocketNotifications, withSocketNotifications } from "./socket-notifications.js";
import { withTenantTransactions } from "./tenant-transactions.js";
import { withReadReplicas } from "./read-replicas.js";
import { StatementCounter, withStatementCounter } from "./statement-counter.js";

export type PoolStats = { total: number; idle: number; inUse: number; waiting: number; max: number };

export interface Database {
  /** "embedded": this process holds the PGlite folder; "embedded-client": another process does. */
  kind: "postgres" | "embedded" | "embedded-client";
  prisma: PrismaClient;
  statements: StatementCounter;
  /** Set when this process holds an embedded PGlite (tests, the server). */
  pglite?: PGlite;
  /** Set when queries go over the wire (PostgreSQL, or another process's embedded socket). */
  pool?: pg.Pool;
  /** Set when this process serves its embedded database to other processes: their NOTIFYs. */
  socketNotifications?: SocketNotifications;
  poolStats(): PoolStats | undefined;
  /** Resolves when the database answers `SELECT 1` within the timeout; rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export type OpenDatabaseOptions = {
  /** An already opened PGlite (tests clone a migrated one). */
  pglite?: PGlite;
  /** Overrides config.database.url (tests, CLI). */
  url?: string;
};

export async function openDatabase(config: Config, options: OpenDatabaseOptions = {}): Promise<Database> {
  const url = options.url ?? config.database.url;
  if (url) return openPostgres(url, config, config.database.replicaUrls);
  if (options.pglite) return openEmbedded(options.pglite, async () => {});

  const lock = readEmbeddedServerLock(config.dataDir);
  if (lock) {
    // Another process holds the folder: talk to it over its loopback socket.
    const viaSocket = await openPostgres(`postgresql://postgres@127.0.0.1:${lock.port}/postgres`, {
      ...config,
      database: { ...config.database, poolSize: 1, statementTimeoutMs: 0 },
    });
    return { ...viaSocket, kind: "embedded-client" };
  }
  return openEmbeddedFolder(config.dataDir, config.database.socketIdleTransactionMs);
}

/** Where the embedded database of DATA_DIR lives. */
export const embeddedDatabaseFolder = (dataDir: string) => path.join(dataDir, "pgdata");

/** True when DATA_DIR holds an initialized embedded database (or a server holds it). */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return (
    fs.existsSync(path.join(embeddedDatabaseFolder(dataDir), "PG_VERSION")) || readEmbeddedServerLock(dataDir) !== undefined
  );
}

/**
 * Commands that only use a database (token, worker) must not create an empty one in a folder
 * that is not the server's: the message a user sees instead, naming the folder and DATA_DIR.
 */
export function missingEmbeddedDatabaseMessage(config: Config): string | undefined {
  if (config.database.url || embeddedDatabaseExists(config.dataDir)) return undefined;
  return (
    `there is no embedded database in ${embeddedDatabaseFolder(config.dataDir)} ` +
    `(DATA_DIR=${config.dataDir}). Set DATA_DIR (in the environment or .env) to the folder the server ` +
    "uses, or DATABASE_URL for PostgreSQL; to create one here: npm run db:seed (or npm start)"
  );
}

async function openEmbeddedFolder(dataDir: string, socketIdleTransactionMs: number): Promise<Database> {
  const folder = embeddedDatabaseFolder(dataDir);
  fs.mkdirSync(folder, { recursive: true });
  const { PGlite } = await import("@electric-sql/pglite");
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket");
  const pglite = await PGlite.create({ dataDir: folder });
  // The server's code and the socket's clients take the one session in turns.
  const turns = new EmbeddedSessionTurns(pglite, socketIdleTransactionMs);
  const socketNotifications = new SocketNotifications();
  const socketServer = new PGLiteSocketServer({
    db: turns.forSocket(withSocketNotifications(pglite, socketNotifications)),
    host: "127.0.0.1",
    port: 0,
    maxConnections: 16,
  });
  turns.attach(socketServer);
  await socketServer.start();
  const releaseLock = writeEmbeddedServerLock(dataDir, socketPort(socketServer));
  const database = await openEmbedded(turns.forApi(), async () => {
    releaseLock();
    await socketServer.stop();
    await pglite.close();
  });
  return { ...database, socketNotifications };
}

function socketPort(server: PGLiteSocketServer): number {
  // The server listens on an ephemeral port; its net.Server knows which.
  const netServer = (server as unknown as { server?: import("node:net").Server }).server;
  const address = netServer?.address();
  if (!address || typeof address === "string") throw new Error("embedded database socket has no port");
  return address.port;
}

async function openEmbedded(pglite: PGlite, closeFolder: () => Promise<void>): Promise<Database> {
  const { PrismaPGlite } = await import("pglite-prisma-adapter");
  const statements = new StatementCounter();
  const prisma = new PrismaClient({ adapter: withTenantTransactions(withStatementCounter(new PrismaPGlite(pglite), statements)) });
  return {
    kind: "embedded",
    prisma,
    statements,
    pglite,
    poolStats: () => undefined,
    ping: (timeoutMs) => withTimeout(pglite.query("SELECT 1").then(() => {}), timeoutMs),
    async close() {
      await prisma.$disconnect();
      await closeFolder();
    },
  };
}

/** `replicaUrls`: read replicas for API requests' plain reads (read-replicas.ts). */
async function openPostgres(url: string, config: Config, replicaUrls: string[] = []): Promise<Database> {
  const { poolSize } = config.database;
  const pool = newPool(url, config, "testapp-api");
  const replicaPools = replicaUrls.map((replicaUrl) => newPool(replicaUrl, config, "testapp-api-replica"));
  const statements = new StatementCounter();
  const adapter = withReadReplicas(
    new PrismaPg(pool),
    replicaPools.map((replicaPool) => new PrismaPg(replicaPool)),
  );
  const prisma = new PrismaClient({ adapter: withTenantTransactions(withStatementCounter(adapter, statements)) });
  return {
    kind: "postgres",
    prisma,
    statements,
    pool,
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      inUse: pool.totalCount - pool.idleCount,
      waiting: pool.waitingCount,
      max: poolSize,
    }),
    ping: (timeoutMs) => withTimeout(pool.query("SELECT 1").then(() => {}), timeoutMs),
    async close() {
      await prisma.$disconnect();
      await Promise.all([pool, ...replicaPools].map((each) => each.end()));
    },
  };
}

function newPool(url: string, config: Config, applicationName: string): pg.Pool {
  const { poolSize, connectTimeoutMs, statementTimeoutMs, idleTimeoutMs } = config.database;
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Bounds both opening a connection and waiting for a free one from the pool.
    connectionTimeoutMillis: connectTimeoutMs,
    idleTimeoutMillis: idleTimeoutMs,
    statement_timeout: statementTimeoutMs || undefined,
    application_name: applicationName,
  });
  // An idle client that loses its connection emits here; without a listener the process dies.
  pool.on("error", () => {});
  return pool;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
