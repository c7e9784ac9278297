// Runs `prisma generate` at install. Prisma's postinstall downloads a native schema
// engine, which fails on machines without access to Prisma's binary host; `generate`
// only checks that the engine file exists (it never runs it), so when the download is
// missing we point PRISMA_SCHEMA_ENGINE_BINARY at an existing file for this one call.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const enginesDir = dirname(require.resolve("@prisma/engines/package.json"));
const hasSchemaEngine = readdirSync(enginesDir).some((name) => name.startsWith("schema-engine"));

// The pothos generator is an npm bin: make it findable when not run through npm.
const binDir = join(process.cwd(), "node_modules", ".bin");
const env = {
  ...process.env,
  PATH: `${binDir}${delimiter}${process.env.PATH ?? ""}`,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
};
if (!hasSchemaEngine && !env.PRISMA_SCHEMA_ENGINE_BINARY) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
const prismaCli = require.resolve("prisma/build/index.js");
if (!existsSync(prismaCli)) throw new Error(`Prisma CLI not found at ${prismaCli}`);
execFileSync(process.execPath, [prismaCli, "generate"], { stdio: "inherit", env });
