// `npm start` on the embedded database holds the PGlite folder; `npm run token` must still
// print a token that server accepts (it reaches the folder through the server's socket).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";

const run = promisify(execFile);
let server: ChildProcess;
let dataDir: string;
let port: number;
const environment = () => ({
  ...process.env,
  NODE_ENV: "development",
  DATA_DIR: dataDir,
  PORT: String(port),
  WORKER_CONCURRENCY: "0",
  LOG_LEVEL: "warn",
  DATABASE_URL: "",
  JWT_SECRET: "",
});

async function waitForHealth(deadline: number) {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("server did not become healthy");
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-cli-"));
  port = 20_000 + Math.floor(Math.random() * 20_000);
  server = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env: environment(), stdio: "ignore" });
  await waitForHealth(Date.now() + 45_000);
}, 60_000);

afterAll(async () => {
  server?.kill("SIGTERM");
  await new Promise((resolve) => server?.once("exit", resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test("npm run token prints a token the running server accepts", async () => {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/token.ts", "--email", "carol@acme.test"], {
    env: environment(),
    timeout: 30_000,
  });
  const token = stdout.trim();
  expect(token.split(".")).toHaveLength(3);
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ viewer { user { email role } customer { slug } } }" }),
  });
  expect(await response.json()).toMatchObject({
    data: { viewer: { user: { email: "carol@acme.test", role: "VIEWER" }, customer: { slug: "acme" } } },
  });
}, 40_000);

test("an unknown email is a clear error and a non-zero exit", async () => {
  await expect(
    run(process.execPath, ["--import", "tsx", "src/cli/token.ts", "--email", "nobody@acme.test"], {
      env: environment(),
      timeout: 30_000,
    }),
  ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("no user with email nobody@acme.test") });
}, 40_000);
