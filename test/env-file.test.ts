// Issue 15, point 1: one place for settings. Every command reads a .env file (here named by
// ENV_FILE, so the test never writes into the project folder), the environment wins over it,
// and a command that would open an embedded database that does not exist stops and says so,
// except db:migrate/db:seed, which create it and say where. The commands run as processes.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEnv, promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { configVariables } from "../src/config.js";

const run = promisify(execFile);
const projectDir = path.resolve(import.meta.dirname, "..");
let folder: string;
let envFile: string;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-env-file-"));
  envFile = path.join(folder, "settings.env");
  // DATA_DIR comes from the file only; DATABASE_URL is blanked so the embedded database is used.
  fs.writeFileSync(envFile, `# as a user would write it\nDATA_DIR=${path.join(folder, "from-file")}\nLOG_LEVEL=silent\n`);
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** Runs an entry point as `npm run` would (tsx), with the .env file and no DATA_DIR in the environment. */
function command(entry: string, args: string[] = [], environment: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "development", DATABASE_URL: "", JWT_SECRET: "", ENV_FILE: envFile, ...environment };
  if (!("DATA_DIR" in environment)) delete env.DATA_DIR;
  return run(process.execPath, ["--import", "tsx", entry, ...args], { cwd: projectDir, env, timeout: 60_000 });
}

describe("before any database exists", () => {
  test("token stops, naming the folder and DATA_DIR, and creates nothing", async () => {
    const failure = await command("src/cli/token.ts", ["--email", "alice@acme.test"]).catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain(`there is no embedded database in ${path.join(folder, "from-file", "pgdata")}`);
    expect(failure.stderr).toContain(`DATA_DIR=${path.join(folder, "from-file")}`);
    expect(failure.stderr).not.toContain("does not exist"); // not Prisma's missing-table error
    expect(fs.existsSync(path.join(folder, "from-file"))).toBe(false);
  }, 60_000);

  test("a worker alone stops the same way", async () => {
    const failure = await command("src/worker-main.ts").catch((error) => error);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain(`worker: there is no embedded database in ${path.join(folder, "from-file", "pgdata")}`);
    expect(fs.existsSync(path.join(folder, "from-file"))).toBe(false);
  }, 60_000);
});

test("db:migrate creates it and says where; token then uses the same folder; the environment wins over .env", async () => {
  const migrated = await command("src/cli/migrate.ts");
  expect(migrated.stdout).toContain(`Created a new embedded database in ${path.join(folder, "from-file", "pgdata")}`);
  expect(migrated.stdout).toMatch(/migration\(s\) applied to embedded database in .*from-file/);

  // The database exists now (migrated, no users): the token command reaches it.
  const noUser = await command("src/cli/token.ts", ["--email", "alice@acme.test"]).catch((error) => error);
  expect(noUser.stderr).toContain("no user with email alice@acme.test");

  const seeded = await command("src/cli/seed.ts");
  expect(seeded.stdout).toContain("Seeded the demo data into embedded database in");
  const token = await command("src/cli/token.ts", ["--email", "alice@acme.test"]);
  expect(token.stdout.trim().split(".")).toHaveLength(3);

  // DATA_DIR in the environment overrides the file's.
  const elsewhere = path.join(folder, "from-environment");
  const overridden = await command("src/cli/token.ts", ["--email", "alice@acme.test"], { DATA_DIR: elsewhere }).catch(
    (error) => error,
  );
  expect(overridden.stderr).toContain(`there is no embedded database in ${path.join(elsewhere, "pgdata")}`);
}, 120_000);

test.runIf(process.env.TEST_DATABASE_URL)("DATABASE_URL from .env: the commands use PostgreSQL", async () => {
  const postgresEnv = path.join(folder, "postgres.env");
  fs.writeFileSync(postgresEnv, `DATABASE_URL=${process.env.TEST_DATABASE_URL}\nLOG_LEVEL=silent\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, ENV_FILE: postgresEnv, NODE_ENV: "development" };
  delete env.DATABASE_URL;
  const { stdout } = await run(process.execPath, ["--import", "tsx", "src/cli/migrate.ts"], { cwd: projectDir, env, timeout: 60_000 });
  expect(stdout).toMatch(/database is up to date \(PostgreSQL 127\.0\.0\.1:5432\//);
}, 60_000);

test("ENV_FILE naming a missing file is an error, not silently ignored", async () => {
  const failure = await command("src/cli/token.ts", ["--email", "a@b.test"], { ENV_FILE: path.join(folder, "missing.env") }).catch(
    (error) => error,
  );
  expect(failure.code).toBe(1);
  expect(failure.stderr).toContain("missing.env");
}, 60_000);

describe("the settings are listed in one set: src/config.ts, the README's tables, .env.example", () => {
  const readmeVariables = () => {
    const readme = fs.readFileSync(path.join(projectDir, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## Configuration"), readme.indexOf("\n## ", readme.indexOf("\n## Configuration") + 1));
    const rows = section.split("\n").filter((line) => /^\| `[A-Z0-9_]+`/.test(line));
    return rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]!));
  };
  const exampleVariables = () =>
    [...fs.readFileSync(path.join(projectDir, ".env.example"), "utf8").matchAll(/^# ([A-Z0-9_]+)=/gm)].map((match) => match[1]!);

  test("the README's configuration tables name every variable of src/config.ts, once", () => {
    expect(readmeVariables().sort()).toEqual(configVariables().sort());
  });
  test(".env.example names every variable of src/config.ts, once, each commented out", () => {
    expect(exampleVariables().sort()).toEqual(configVariables().sort());
    const example = fs.readFileSync(path.join(projectDir, ".env.example"), "utf8");
    expect(example.split("\n").filter((line) => line.trim() && !line.startsWith("#"))).toEqual([]);
  });
  test(".env.example parses with Node's own parser (what every command uses)", () => {
    const uncommented = fs.readFileSync(path.join(projectDir, ".env.example"), "utf8").replace(/^# ([A-Z0-9_]+=)/gm, "$1");
    expect(Object.keys(parseEnv(uncommented)).sort()).toEqual(configVariables().sort());
  });
});
