import { describe, expect, test } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

describe("configuration", () => {
  test("defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, env: "development", database: { url: undefined, poolSize: 10 } });
  });

  test("HOST: loopback outside production, every interface in production, unless set", () => {
    const secret = { JWT_SECRET: "x".repeat(40) };
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "test" }).host).toBe("127.0.0.1");
    expect(loadConfig({ NODE_ENV: "production", ...secret }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadConfig({ NODE_ENV: "production", HOST: "10.0.0.5", ...secret }).host).toBe("10.0.0.5");
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
