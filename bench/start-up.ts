// `npm run bench:start`: how long a newcomer waits. In a fresh clone of this checkout (its
// node_modules and generated Prisma client borrowed, as `npm ci` would leave them; no dist/,
// no data), `npm start` on the embedded database: the time to /health 200 and to the printed
// dev token, on the first start (build, initdb, migrations, demo seed) and on a warm restart
// (nothing changed). Then the GraphiQL page's bytes over the wire, per encoding, and a reload.
// Prints a table, writes bench/results/start-up-<date>.json and its section of BENCHMARKS.md.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { loadEnvFile } from "../src/env-file.js";
import { markdownTable } from "./markdown-table.js";
import { startUpMarkers, writeMarkedSection } from "./marked-section.js";
import { benchDir, projectDir } from "./settings.js";
import { freePort } from "../test/helpers/free-port.js";

loadEnvFile();


type StartTimes = { healthMs: number; tokenMs: number; built: boolean };

/** `npm start` in `dir`; resolves once both /health answered 200 and the token was printed. */
async function timeStart(dir: string, env: NodeJS.ProcessEnv, port: number): Promise<{ times: StartTimes; stop: () => Promise<void> }> {
  const started = performance.now();
  const child = spawn("npm", ["start"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  let tokenMs = 0;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (!tokenMs && output.includes("Authorization: Bearer")) tokenMs = performance.now() - started;
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  let healthMs = 0;
  while (!healthMs || !tokenMs) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    if (performance.now() - started > 300_000) throw new Error(`npm start not ready in 300 s:\n${output}`);
    if (!healthMs) {
      const status = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0);
      if (status === 200) healthMs = performance.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const stop = async () => {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid!, "SIGTERM"); // npm and the server it exec'd
    await exited;
  };
  return { times: { healthMs: Math.round(healthMs), tokenMs: Math.round(tokenMs), built: output.includes("building dist/") }, stop };
}

/** Body bytes of GET /graphql as a browser asks for it (http: no transparent decoding). */
function graphiqlBytes(port: number, headers: Record<string, string>): Promise<{ status: number; bytes: number; etag: string | undefined; encoding: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path: "/graphql", headers: { accept: "text/html", ...headers } }, (response) => {
        let bytes = 0;
        response.on("data", (chunk: Buffer) => (bytes += chunk.length));
        response.on("end", () =>
          resolve({
            status: response.statusCode!,
            bytes,
            etag: response.headers.etag,
            encoding: String(response.headers["content-encoding"] ?? "identity"),
          }),
        );
      })
      .on("error", reject);
  });
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-start-up-"));
  const clone = path.join(work, "clone");
  try {
    execFileSync("git", ["clone", "-q", "--no-hardlinks", projectDir, clone]);
    fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(clone, "node_modules"));
    fs.cpSync(path.join(projectDir, "src", "generated"), path.join(clone, "src", "generated"), { recursive: true });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: "development",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: path.join(work, "data"),
      DATABASE_URL: "",
      JWT_SECRET: "",
      ENV_FILE: "",
      LOG_LEVEL: "warn",
    };
    console.log(`[bench:start] fresh clone in ${clone}; first start ...`);
    const first = await timeStart(clone, env, port);
    await first.stop();
    console.log("[bench:start] warm restart ...");
    const warm = await timeStart(clone, env, port);
    const identity = await graphiqlBytes(port, {});
    const gzip = await graphiqlBytes(port, { "accept-encoding": "gzip, deflate" });
    const br = await graphiqlBytes(port, { "accept-encoding": "gzip, deflate, br, zstd" });
    const reload = await graphiqlBytes(port, { "accept-encoding": "gzip, deflate, br, zstd", "if-none-match": br.etag ?? "" });
    await warm.stop();

    const results = {
      date: new Date().toISOString(),
      machine: { cpu: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`, node: process.version, loadAverage: os.loadavg().map((n) => Math.round(n * 100) / 100) },
      start: { first: first.times, warm: warm.times },
      graphiql: { identity, gzip, br, reload },
    };
    const stamp = results.date.replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "Z");
    const jsonFile = path.join(benchDir, "results", `start-up-${stamp}.json`);
    fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString("en-US")} KiB`;
    const section = [
      startUpMarkers.begin,
      "## Start-up and GraphiQL",
      "",
      `Generated by \`npm run bench:start\` (bench/start-up.ts); raw figures in \`${path.relative(projectDir, jsonFile)}\`.`,
      "`npm start` in a fresh clone of the checkout (dependencies and the generated Prisma client as",
      "`npm ci` leaves them; no `dist/`, no data) on the embedded database, then stopped and started",
      "again with nothing changed. Times from `npm start` until `/health` answers 200 and until the",
      "dev token is printed (the demo data is seeded by then; the job worker finishes starting after it).",
      "",
      ...markdownTable(
        ["start", "built dist/", "/health 200 s", "token printed s"],
        [
          ["first (fresh clone)", first.times.built ? "yes" : "no", seconds(first.times.healthMs), seconds(first.times.tokenMs)],
          ["warm restart", warm.times.built ? "yes" : "no", seconds(warm.times.healthMs), seconds(warm.times.tokenMs)],
        ],
      ),
      "",
      "The GraphiQL page (`GET /graphql` from a browser), body bytes over the wire. Before issue 15",
      "it was sent as the first row on every load (no compression, no validator):",
      "",
      ...markdownTable(
        ["request", "status", "Content-Encoding", "bytes"],
        [
          ["no Accept-Encoding (before: every load)", identity.status, identity.encoding, `${identity.bytes.toLocaleString("en-US")} (${kb(identity.bytes)})`],
          ["Accept-Encoding: gzip, deflate", gzip.status, gzip.encoding, `${gzip.bytes.toLocaleString("en-US")} (${kb(gzip.bytes)})`],
          ["Accept-Encoding: gzip, deflate, br, zstd", br.status, br.encoding, `${br.bytes.toLocaleString("en-US")} (${kb(br.bytes)})`],
          ["reload (If-None-Match)", reload.status, "–", String(reload.bytes)],
        ],
      ),
      "",
      `Machine: ${results.machine.cpu}; Node ${results.machine.node}; load average ${results.machine.loadAverage.join(", ")} at the end; ${results.date}.`,
      startUpMarkers.end,
    ];
    console.log(section.slice(2, -1).join("\n"));
    writeMarkedSection(path.join(projectDir, "BENCHMARKS.md"), startUpMarkers, section);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
