// Starts each server under test as its own process and stops it again.
// The processes are started as `node <entry.js>` (compiled, as npm start runs the API) or
// `node --import tsx <entry.ts>` (the loader `tsx` itself uses, without its wrapper process),
// so the pid we hold is the server's (peak RSS, profiles).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { projectDir } from "./settings.js";

export type ServerVariant = {
  /** "A", "B", "C", "D", or a curve point such as "A@100". */
  key: string;
  label: string;
  entry: string;
  env: Record<string, string>;
  nodeFlags?: string[];
};

/**
 * How `npm start` runs the API (package.json): node's flags and the compiled entry, so that
 * the bench and the load test measure the API as it is deployed. Run `npm run build` first.
 */
export function startScriptCommand(): { nodeFlags: string[]; entry: string } {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as { scripts: { start: string } };
  const words = manifest.scripts.start.split(/\s+/);
  const rest = words.slice(words.lastIndexOf("node") + 1);
  const nodeFlags = rest.filter((word) => word.startsWith("--"));
  const entry = rest.find((word) => !word.startsWith("--"));
  if (!entry) throw new Error(`no entry in the start script: ${manifest.scripts.start}`);
  return { nodeFlags, entry };
}

/** Compiles the API (`npm run build`) so that a startScriptCommand() entry runs this code. */
export function buildApi(): void {
  execFileSync("npm", ["run", "-s", "build"], { cwd: projectDir, stdio: "inherit" });
}

export type RunningServer = {
  variant: ServerVariant;
  url: string;
  pid: number;
  logFile: string;
  /** VmHWM of the process, in MB (peak resident set size so far). */
  peakRssMb(): number | null;
  /** CPU time the process has used so far (user + system), in ms. */
  cpuMs(): number | null;
  stop(): Promise<void>;
};

export function peakRssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** utime + stime of /proc/<pid>/stat, in ms: the process's CPU, whatever else the machine runs. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of stat(5)
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

// sysconf(_SC_CLK_TCK): 100 on every Linux we run on.
const CLOCK_TICKS_PER_SECOND = 100;

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no output)";
  }
}

async function waitForHealth(url: string, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was healthy:\n${tail(logFile)}`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`server not healthy within ${timeoutMs} ms:\n${tail(logFile)}`);
}

export async function startServer(variant: ServerVariant, port: number, logDir: string): Promise<RunningServer> {
  fs.mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `server-${variant.key.replace(/[^A-Za-z0-9]+/g, "_")}.log`);
  const out = fs.openSync(logFile, "w");
  const loader = variant.entry.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...(variant.nodeFlags ?? []), ...loader, variant.entry], {
    cwd: projectDir,
    env: { ...process.env, ...variant.env, PORT: String(port), CEILING_PORT: String(port) },
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitForHealth(url, child, logFile, 90_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const pid = child.pid!;
  return {
    variant,
    url,
    pid,
    logFile,
    peakRssMb: () => peakRssMb(pid),
    cpuMs: () => cpuMs(pid),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
