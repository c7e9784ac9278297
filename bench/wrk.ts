// Runs wrk (a separate process) against one server with bench/check-responses.lua and
// parses what its done() prints.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchDir } from "./settings.js";

export type WrkResult = {
  requests: number;
  durationS: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p95: number; p99: number; max: number };
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** Responses that were not exactly the verified body, by kind. */
  failures: { non200: number; errorBodies: number; mismatches: number; total: number };
  checkedResponses: number;
};

export function wrkVersion(): string | null {
  const probe = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  if (probe.error) return null;
  return (probe.stdout + probe.stderr).split("\n")[0]?.replace(/\s*Copyright.*$/, "").trim() || "wrk";
}

export async function runWrk(options: {
  url: string;
  requestBody: string;
  expectedBody: string;
  token: string;
  connections: number;
  threads: number;
  durationS: number;
}): Promise<WrkResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-bench-wrk-"));
  const requestFile = path.join(dir, "request.json");
  const expectedFile = path.join(dir, "expected.json");
  fs.writeFileSync(requestFile, options.requestBody);
  fs.writeFileSync(expectedFile, options.expectedBody);
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    "--timeout", "10s",
    "-s", path.join(benchDir, "check-responses.lua"),
    `${options.url}/graphql`,
  ];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn("wrk", args, {
        env: { ...process.env, BENCH_REQUEST_FILE: requestFile, BENCH_EXPECTED_FILE: expectedFile, BENCH_TOKEN: options.token },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      child.stdout.on("data", (chunk) => (text += chunk));
      child.stderr.on("data", (chunk) => (text += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), (options.durationS + 60) * 1000);
      child.on("error", reject);
      child.on("exit", (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(text);
        else reject(new Error(`wrk exited with ${code}:\n${text}`));
      });
    });
    const line = output.split("\n").find((candidate) => candidate.startsWith("BENCH_RESULT "));
    if (!line) throw new Error(`wrk printed no BENCH_RESULT line:\n${output}`);
    const raw = JSON.parse(line.slice("BENCH_RESULT ".length)) as Record<string, number>;
    const ms = (us: number) => Math.round(us / 10) / 100;
    const durationS = raw.duration_us! / 1e6;
    const failures = { non200: raw.non200!, errorBodies: raw.error_bodies!, mismatches: raw.mismatches! };
    return {
      requests: raw.requests!,
      durationS,
      requestsPerSecond: Math.round((raw.requests! / durationS) * 10) / 10,
      latencyMs: {
        mean: ms(raw.latency_mean_us!),
        p50: ms(raw.p50_us!),
        p90: ms(raw.p90_us!),
        p95: ms(raw.p95_us!),
        p99: ms(raw.p99_us!),
        max: ms(raw.latency_max_us!),
      },
      socketErrors: { connect: raw.connect_errors!, read: raw.read_errors!, write: raw.write_errors!, timeout: raw.timeouts! },
      failures: { ...failures, total: failures.non200 + failures.errorBodies + failures.mismatches },
      checkedResponses: raw.responses!,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
