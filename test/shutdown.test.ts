// SIGTERM, as an orchestrator sends it: the real entry point (`node --import tsx src/main.ts`,
// embedded database in a temp DATA_DIR) stops accepting connections, finishes the request
// that is still arriving, releases everything and exits 0.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";

const projectDir = path.resolve(import.meta.dirname, "..");
let child: ChildProcess | undefined;
let dataDir: string | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with the dev token once the server printed it (it is listening by then). */
function waitForDevToken(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    process.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Authorization: Bearer (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    process.on("exit", (code) => reject(new Error(`server exited with ${code} before serving:\n${output}`)));
  });
}

test("SIGTERM: stops accepting, finishes the in-flight request, exits 0", { timeout: 90_000 }, async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-shutdown-"));
  const port = await freePort();
  child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: projectDir,
    env: {
      ...process.env,
      NODE_ENV: "development",
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      DATABASE_URL: "",
      WORKER_CONCURRENCY: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)));
  const token = await waitForDevToken(child);

  // A request whose body is still arriving when SIGTERM comes.
  const body = JSON.stringify({ query: "{ viewer { user { email } } records(first: 2) { totalCount } }" });
  const half = Math.floor(body.length / 2);
  const request = http.request({
    host: "127.0.0.1",
    port,
    path: "/graphql",
    method: "POST",
    headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}` },
  });
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    request.on("response", (response) => {
      let text = "";
      response.on("data", (chunk: Buffer) => (text += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode!, text }));
    });
    request.on("error", reject);
  });
  request.write(body.slice(0, half));
  await new Promise((resolve) => setTimeout(resolve, 200)); // the server has the connection

  child.kill("SIGTERM");
  // New connections are refused once it stopped listening.
  await expect
    .poll(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          () => "accepted",
          () => "refused",
        ),
      { timeout: 10_000, interval: 100 },
    )
    .toBe("refused");

  request.end(body.slice(half));
  const response = await answered;
  expect(response.status).toBe(200);
  const parsed = JSON.parse(response.text);
  expect(parsed.errors).toBeUndefined();
  expect(parsed.data.viewer.user.email).toBe("alice@acme.test");
  expect(await exited).toBe(0);
});
