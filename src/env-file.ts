// Settings from a `.env` file in the project folder, read by every command before its
// configuration (the Node/Prisma convention, with Node's own parser: process.loadEnvFile).
// A variable already in the environment wins over the file. ENV_FILE names another file;
// ENV_FILE set but empty reads none (the test suite does that, so a developer's .env never
// leaks into tests).
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "./project-root.js";

/** The file read, if any. */
export function loadEnvFile(): string | undefined {
  const named = process.env.ENV_FILE;
  if (named !== undefined && named.trim() === "") return undefined;
  const file = named ? path.resolve(named) : path.join(projectRoot, ".env");
  // A named file that is missing is a mistake worth stopping for; the default one is optional.
  if (!named && !fs.existsSync(file)) return undefined;
  process.loadEnvFile(file);
  return file;
}
