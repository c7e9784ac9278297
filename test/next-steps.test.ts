// Issue 15, point 3: say what to do next. With no users in the database, npm start prints the
// exact command that seeds it, GraphiQL's opening text says the same (outside production), and
// db:seed prints the users it created (demo and generated admins) and the token command. The
// printed commands are run as printed.
import { type ChildProcess, exec, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { migrate } from "../src/db/migrate.js";
import { closeServices, createServices } from "../src/server.js";
import { createFreshPostgres, type FreshPostgres } from "./helpers/fresh-postgres.js";
import { startTestApp, type TestApp, testAppOver } from "./helpers/test-app.js";

const shell = promisify(exec);
const projectDir = path.resolve(import.meta.dirname, "..");
const postgresUrl = process.env.TEST_DATABASE_URL;
const cliEnvironment: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development", LOG_LEVEL: "silent", DATABASE_URL: "", JWT_SECRET: "" };
delete cliEnvironment.DATA_DIR;
// What the commands print is run as printed, by a shell in the project folder.
const runPrinted = (command: string, env: NodeJS.ProcessEnv = cliEnvironment) =>
  shell(command, { cwd: projectDir, env, timeout: 120_000 });

let fresh: FreshPostgres | undefined;
let folder: string;
beforeAll(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-next-steps-"));
  if (postgresUrl) fresh = await createFreshPostgres(postgresUrl);
});
afterAll(async () => {
  await fresh?.drop();
  fs.rmSync(folder, { recursive: true, force: true });
});

/** An app over a database with no users: a fresh clone (embedded) or a new PostgreSQL database. */
async function appWithoutUsers(): Promise<TestApp> {
  if (!fresh) return startTestApp();
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: fresh.url, DATA_DIR: folder, JWT_SECRET: "x".repeat(40) });
  const db = await openDatabase(config);
  await migrate(db);
  const services = createServices(config, db);
  return testAppOver(config, db, services, () => closeServices(services));
}

test("GraphiQL's opening text says how to seed while there are no users, and stops once there are", async () => {
  const t = await appWithoutUsers();
  try {
    const page = async () => (await t.app.fetch("http://yoga/graphql", { headers: { accept: "text/html" } })).text();
    const before = await page();
    // (includes, not toContain: a failure would print 9 MB of HTML)
    expect(before.includes("The database has no users yet")).toBe(true);
    expect(before.includes(fresh ? `DATABASE_URL=${fresh.url} DATA_DIR=${folder} npm run db:seed` : "npm run db:seed")).toBe(true);
    expect(before.includes("npm run -s token -- --email alice@acme.test")).toBe(true);
    const { customer } = await t.seed.customerWithAdmin();
    expect((await page()).includes("The database has no users yet")).toBe(false);
    // The new PostgreSQL database is empty again for the start-up test below.
    if (fresh) await t.db.prisma.customer.delete({ where: { id: customer.id } });
  } finally {
    await t.close();
  }
});

describe.runIf(postgresUrl)("npm start on a new PostgreSQL database (no users: it is not seeded at start)", () => {
  let server: ChildProcess;
  let output = "";
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  afterAll(async () => {
    if (server?.exitCode === null) {
      server.kill("SIGTERM");
      await new Promise((resolve) => server.once("exit", resolve));
    }
  });

  test("prints the seed command; run as printed, db:seed lists the users and the token command, which works", async () => {
    server = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: projectDir,
      env: { ...cliEnvironment, DATABASE_URL: fresh!.url, PORT: String(port), HOST: "127.0.0.1", WORKER_CONCURRENCY: "0", DATA_DIR: folder },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toContain("then get a token:");
    const seed = /The database has no users yet[\s\S]*?with:\n {2}(.+)\n/.exec(output)?.[1];
    // DATA_DIR too: the dev JWT secret lives there, and the token must be one this server accepts.
    expect(seed).toBe(`DATABASE_URL=${fresh!.url} DATA_DIR=${folder} npm run db:seed`);

    const seeded = await runPrinted(seed!);
    expect(seeded.stdout).toContain("Users created (3): alice@acme.test (ADMIN), carol@acme.test (VIEWER), bob@globex.test (ADMIN)");
    const tokenCommand = /A token for one of them:\n {2}(.+)\n/.exec(seeded.stdout)?.[1];
    expect(tokenCommand).toBe(`DATABASE_URL=${fresh!.url} DATA_DIR=${folder} npm run -s token -- --email alice@acme.test`);

    const token = (await runPrinted(tokenCommand!)).stdout.trim();
    const answer = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ viewer { user { email } } }" }),
    }).then((response) => response.json());
    expect(answer).toMatchObject({ data: { viewer: { user: { email: "alice@acme.test" } } } });
    expect(answer.errors).toBeUndefined();
  }, 180_000);
});

test("a bulk db:seed prints every user it created (demo users and generated admins) and the token command", async () => {
  const dataDir = path.join(folder, "bulk");
  const env = fresh ? { ...cliEnvironment, DATABASE_URL: fresh.url } : { ...cliEnvironment, DATA_DIR: dataDir };
  const { stdout } = await runPrinted("npm run -s db:seed -- --customers 4", env);
  const users = /Users created \((\d+)\): (.+)/.exec(stdout);
  // PostgreSQL: the demo users were seeded by the test above; the embedded database is new.
  const expected = [
    ...(fresh ? [] : ["alice@acme.test (ADMIN)", "carol@acme.test (VIEWER)", "bob@globex.test (ADMIN)"]),
    "admin@bulk-001.test (ADMIN)",
    "admin@bulk-002.test (ADMIN)",
  ];
  expect(users?.[2]).toBe(expected.join(", "));
  const tokenCommand = /A token for one of them:\n {2}(.+)\n/.exec(stdout)?.[1];
  expect(tokenCommand).toMatch(/npm run -s token -- --email (alice@acme\.test|admin@bulk-001\.test)$/);
  const token = (await runPrinted(tokenCommand!, env)).stdout.trim();
  expect(token.split(".")).toHaveLength(3);
}, 180_000);
