// Starts one of the app's entry points as a real child process (node --import tsx: one
// process, so SIGKILL hits the app itself) and waits until it logs `readyMessage`.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Enough of a child's output to explain a failed start, without holding a whole log. */
const MAX_OUTPUT_CHARS = 20_000;

export type ChildApp = {
  child: ChildProcess;
  pid: number;
  /** Sends `signal` (SIGTERM by default) and resolves with the exit code; SIGKILL after 15 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

export async function startChildApp(
  entry: string,
  environment: Record<string, string>,
  readyMessage: string,
  startTimeoutMs = 30_000,
): Promise<ChildApp> {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "info", ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${entry} did not start in ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT_CHARS) output += chunk.toString();
      if (output.includes(`"msg":"${readyMessage}"`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(null);
        }, 15_000);
      });
      return Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    },
  };
}
