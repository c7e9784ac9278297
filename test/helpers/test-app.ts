// One app per test file: its own database, the real Yoga handler, requests through
// yoga.fetch (full HTTP semantics, no port).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Config, loadConfig } from "../../src/config.js";
import type { AppServices } from "../../src/context.js";
import type { Database } from "../../src/db/database.js";
import { type App, closeServices, createApp, createServices } from "../../src/server.js";
import { type GraphQLResponse, postGraphQL } from "./graphql-request.js";
import { Seed } from "./seed.js";
import { openTestDatabase } from "./test-database.js";

export type { GraphQLResponse } from "./graphql-request.js";

export type TestApp = {
  app: App;
  db: Database;
  config: Config;
  services: AppServices;
  seed: Seed;
  gql<Data = any>(
    query: string,
    options?: { variables?: Record<string, unknown>; token?: string; headers?: Record<string, string> },
  ): Promise<GraphQLResponse<Data>>;
  close(): Promise<void>;
};

export async function startTestApp(
  environment: NodeJS.ProcessEnv = {},
  overrides: Parameters<typeof createServices>[2] = {},
): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-test-"));
  const config = loadConfig({
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    JWT_SECRET: "test-secret-that-is-long-enough-for-hs256-0123456789",
    LOG_LEVEL: "silent",
    // Test files share one Redis (REDIS_URL): each file its own keys.
    REDIS_KEY_PREFIX: `test-${path.basename(dataDir)}:`,
    ...environment,
  });
  const db = await openTestDatabase(config);
  const services = createServices(config, db, overrides);
  return testAppOver(config, db, services, async () => {
    await closeServices(services);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
}

/** A TestApp over services built elsewhere (tests that own their database server); `close` is theirs. */
export function testAppOver(config: Config, db: Database, services: AppServices, close: () => Promise<void>): TestApp {
  const app = createApp(services);
  return {
    app,
    db,
    config,
    services,
    seed: new Seed(db, services.tokens),
    gql: (query, options) => postGraphQL(async (url, init) => app.fetch(url, init), "http://yoga/graphql", query, options),
    close,
  };
}
