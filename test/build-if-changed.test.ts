// Issue 15, point 2: npm start compiles only when a source changed since the last build
// (scripts/build-if-changed.mjs), run here on a small project of its own.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";

const run = promisify(execFile);
const projectDir = path.resolve(import.meta.dirname, "..");
let dir: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};
const build = async () => (await run(process.execPath, [path.join(dir, "scripts", "build-if-changed.mjs")], { cwd: dir, timeout: 120_000 })).stderr;
/** Gives a file a time just after the last build started, as an edit since then would have. */
const touchLater = (file: string) => {
  const lastBuild = Number(fs.readFileSync(path.join(dir, "dist", ".build-stamp"), "utf8"));
  const later = new Date(lastBuild + 1);
  expect(later.getTime()).toBeLessThan(Date.now());
  fs.utimesSync(path.join(dir, file), later, later);
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "testapp-build-"));
  fs.cpSync(path.join(projectDir, "scripts", "build-if-changed.mjs"), path.join(dir, "scripts", "build-if-changed.mjs"));
  fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(dir, "node_modules"));
  write("package.json", JSON.stringify({ type: "module" }));
  write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "NodeNext", target: "ES2022", strict: true, skipLibCheck: true, types: [] } }));
  write("tsconfig.build.json", JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { rootDir: ".", outDir: "dist" }, include: ["src", "prisma"] }));
  write("src/main.ts", "export const answer: number = 42;\n");
  write("src/other.ts", "export const other = 1;\n");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("builds when there is no build, then not again until a source, a tsconfig or a folder changes", async () => {
  expect(await build()).toContain("building dist/ (no build yet)");
  expect(fs.readFileSync(path.join(dir, "dist", "src", "main.js"), "utf8")).toContain("42");

  expect(await build()).toBe(""); // nothing changed: no tsc at all

  touchLater("src/main.ts");
  expect(await build()).toContain("building dist/ (src/main.ts changed)");
  expect(await build()).toBe("");

  touchLater("tsconfig.build.json");
  expect(await build()).toContain("(tsconfig.build.json changed)");

  // A deleted source changes its folder's time.
  fs.rmSync(path.join(dir, "src", "other.ts"));
  touchLater("src");
  expect(await build()).toContain("(src changed)");

  // A removed build is rebuilt whatever the times say.
  fs.rmSync(path.join(dir, "dist", "src", "main.js"));
  expect(await build()).toContain("(no build yet)");
  expect(fs.existsSync(path.join(dir, "dist", "src", "main.js"))).toBe(true);
}, 120_000);
