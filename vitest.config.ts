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
    testTimeout: 30_000,
    // No .env of the developer's reaches the tests or the processes they start (src/env-file.ts).
    env: { ENV_FILE: "" },
    hookTimeout: 60_000,
  },
});
