// Issue 15, point 9: the README's "Quick tour" is executable. Its ```sh blocks are run exactly
// as written, in order, by one bash against a real `npm start` (built dist/ reused when it is
// up to date), with two changes: the ports 4000 and 4010 become free ones, and the environment
// gives the server a data folder of its own. Blocks that begin "# in a terminal of its own"
// keep running in the background, as they would in another terminal. Files the tour writes
// land in a scratch folder inside the project (npm finds package.json upward from there).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { freePort } from "./helpers/process-api.js";

const projectDir = path.resolve(import.meta.dirname, "..");
const BACKGROUND = "# in a terminal of its own";
const STEP_END = "@@quick-tour-step-end";

const cleanups: Array<() => void> = [];
afterAll(() => cleanups.reverse().forEach((cleanup) => cleanup()));

export function quickTourBlocks(readme: string): string[] {
  const start = readme.indexOf("\n## Quick tour\n");
  if (start < 0) throw new Error("README.md has no Quick tour section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** What a background block prints once it serves. */
const readyText = (block: string) => (block.includes("npm start") ? "Authorization: Bearer" : "Example record feed");

const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

test("the README's quick tour runs as written against a real server", async () => {
  const blocks = quickTourBlocks(fs.readFileSync(path.join(projectDir, "README.md"), "utf8"));
  expect(blocks.length).toBeGreaterThanOrEqual(8);
  const [apiPort, feedPort] = [await freePort(), await freePort()];
  const withPorts = (block: string) => block.replace(/\b4000\b/g, String(apiPort)).replace(/\b4010\b/g, String(feedPort));

  fs.mkdirSync(path.join(projectDir, "scratch"), { recursive: true });
  const workDir = fs.mkdtempSync(path.join(projectDir, "scratch", "quick-tour-"));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-quick-tour-"));
  cleanups.push(() => fs.rmSync(workDir, { recursive: true, force: true }));
  cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  // One bash runs every block in order (shell variables carry from block to block); a
  // background block runs in its own process group, and the script waits until it serves.
  const script = ["set -euo pipefail"];
  let backgrounds = 0;
  let steps = 0;
  for (const block of blocks.map(withPorts)) {
    if (block.startsWith(BACKGROUND)) {
      const log = `background-${++backgrounds}.log`;
      script.push(
        `setsid bash -c ${quoted(block)} > ${log} 2>&1 < /dev/null & echo $! >> background.pids`,
        `for _ in $(seq 1 1800); do grep -q ${quoted(readyText(block))} ${log} && break; sleep 0.1; done`,
        `grep -q ${quoted(readyText(block))} ${log} || { cat ${log}; exit 1; }`,
      );
    } else {
      steps += 1;
      script.push(block, `echo; echo ${STEP_END}`);
    }
  }
  cleanups.push(() => {
    const pids = fs.existsSync(path.join(workDir, "background.pids")) ? fs.readFileSync(path.join(workDir, "background.pids"), "utf8") : "";
    for (const pid of pids.split("\n").filter(Boolean)) {
      try {
        process.kill(-Number(pid), "SIGTERM");
      } catch {
        // already gone
      }
    }
  });

  const bash = spawn("bash", ["-c", script.join("\n")], {
    cwd: workDir,
    env: { ...process.env, NODE_ENV: "development", LOG_LEVEL: "warn", DATA_DIR: dataDir, PORT: String(apiPort), DATABASE_URL: "", JWT_SECRET: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  bash.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  bash.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => bash.on("exit", resolve));
  const logs = fs.readdirSync(workDir).filter((file) => file.endsWith(".log")).map((file) => `${file}:\n${fs.readFileSync(path.join(workDir, file), "utf8").slice(-3000)}`);
  expect(code, `the tour failed:\n${stdout}\n${stderr}\n${logs.join("\n")}`).toBe(0);

  const outputs = stdout.split(STEP_END).slice(0, steps);
  expect(outputs).toHaveLength(steps);
  for (const output of outputs) expect(output, output).not.toContain('"errors"');
  const all = outputs.join("\n");
  expect(all).toContain('"totalCount":25'); // acme's demo records
  expect(all).toContain('"referenceNumber":"TOUR-1"');
  expect(all).toContain("Hello from the quick tour"); // downloaded again
  expect(all).toContain('"status":"QUEUED"');
  expect(outputs.at(-1)).toContain('"status":"SUCCEEDED"');
  expect(outputs.at(-1)).toContain("event: complete");
}, 400_000);
