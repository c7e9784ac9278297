// `npm start` / `npm run worker`: compile to dist/ only when a source changed since the last
// build. tsc itself, even incremental with nothing to do, takes ~25 s on these machines (it
// loads and hashes the whole program); this check reads file times and takes milliseconds.
// Sources: src/ and prisma/ (the generated Prisma client included), the tsconfigs and
// package.json. Folders count too: deleting a file changes its folder's time.
// `--force` (npm run build) always compiles. Plain JavaScript: it runs before anything is built.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stampFile = path.join(root, "dist", ".build-stamp");
const sources = ["src", "prisma", "tsconfig.json", "tsconfig.build.json", "package.json"];

/** The newest modification time (ms) under `entry`, and the path that has it. */
function newest(entry) {
  const stat = fs.statSync(entry, { throwIfNoEntry: false });
  if (!stat) return { time: 0, file: entry };
  let best = { time: stat.mtimeMs, file: entry };
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(entry)) {
      const inner = newest(path.join(entry, name));
      if (inner.time > best.time) best = inner;
    }
  }
  return best;
}

function lastBuildStart() {
  if (!fs.existsSync(path.join(root, "dist", "src", "main.js"))) return 0;
  const stamp = Number(fs.readFileSync(stampFile, { encoding: "utf8", flag: "a+" }).trim());
  return Number.isFinite(stamp) ? stamp : 0;
}

const force = process.argv.includes("--force");
const changed = sources.map((source) => newest(path.join(root, source))).reduce((a, b) => (b.time > a.time ? b : a));
const builtAt = lastBuildStart();
if (!force && builtAt > 0 && changed.time <= builtAt) process.exit(0);

const reason = force ? "npm run build" : builtAt === 0 ? "no build yet" : `${path.relative(root, changed.file)} changed`;
console.error(`building dist/ (${reason}) ...`);
// The stamp is the time the build started: a source saved during the build is newer, so the
// next start builds again.
const startedAt = Date.now();
execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.build.json")], {
  stdio: "inherit",
});
fs.writeFileSync(stampFile, `${startedAt}\n`);
