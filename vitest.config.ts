import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports" map: Node loads its CommonJS build for the libraries,
    // Vite would pick the .mjs one for our code, and graphql refuses the mix.
    alias: { graphql: "graphql/index.js" },
  },
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Each file gets its own database (a clone of a migrated one), so files run in parallel.
    pool: "forks",
    // Files share their worker process (and so the modules they import: graphql, Prisma, Pothos's
    // schema, pg-boss, the AWS SDK) instead of a fresh process each: loading them again for each
    // of ~70 files was a good part of a test run's time. Every file still opens its own database
    // and app, and closes them.
    isolate: false,
    testTimeout: 30_000,
    // No .env of the developer's reaches the tests or the processes they start (src/env-file.ts).
    env: { ENV_FILE: "" },
    hookTimeout: 60_000,
  },
});
