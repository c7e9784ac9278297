import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration", () => {
  test("defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, env: "development", database: { url: undefined, poolSize: 10 } });
  });

  test("production refuses to start without JWT_SECRET", () => {
    expect(() => loadConfig({ NODE_ENV: "production" })).toThrow(/JWT_SECRET is required/);
  });

  test("a bad value names the variable", () => {
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: "0" })).toThrow(/DATABASE_POOL_SIZE/);
    expect(() => loadConfig({ JWT_SECRET: "short" })).toThrow(/at least 32/);
  });
});
