// Rewrites BENCHMARKS.md from a results file (e.g. after editing bench/notes.md):
//   ./node_modules/.bin/tsx bench/render.ts bench/results/<date>.json
import fs from "node:fs";
import path from "node:path";
import { type BenchResults, printSummary, writeBenchmarksMd } from "./report.js";
import { benchDir, projectDir } from "./settings.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: tsx bench/render.ts bench/results/<date>.json");
  process.exit(2);
}
const results = JSON.parse(fs.readFileSync(file, "utf8")) as BenchResults;
writeBenchmarksMd(results, path.join(projectDir, "BENCHMARKS.md"), path.relative(projectDir, path.resolve(file)));
printSummary(results);
console.log(`\nBENCHMARKS.md rewritten from ${path.relative(benchDir, path.resolve(file))}`);
