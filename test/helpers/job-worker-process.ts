// Starts `npm run worker`'s entry point as a real child process (node --import tsx, one
// process, so SIGKILL hits the worker itself), and waits until it reports ready.
import { type ChildApp, startChildApp } from "./process-child.js";

export type WorkerProcess = ChildApp;

export function startWorkerProcess(environment: Record<string, string>): Promise<WorkerProcess> {
  return startChildApp("src/worker-main.ts", environment, "worker ready", 20_000);
}
