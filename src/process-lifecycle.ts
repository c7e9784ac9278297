// What both entry points (npm start, npm run worker) do around their work: read the .env file,
// run once on SIGTERM/SIGINT a shutdown that releases everything, then exit 0; and exit 1 with
// a readable message when starting fails (a configuration error without a stack).
import type { Logger } from "pino";
import { ConfigError } from "./config.js";
import { loadEnvFile } from "./env-file.js";

export function shutDownOnSignal(logger: Logger, shutDown: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    try {
      await shutDown();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

export function runEntryPoint(main: () => Promise<void>): void {
  (async () => {
    loadEnvFile();
    await main();
  })().catch((error) => {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  });
}
