// Prints the top self-time functions and packages of a V8 .cpuprofile, e.g. of server A run with
//   BENCH_API_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/bench-prof" BENCH_SCALING=off npm run bench
//   ./node_modules/.bin/tsx bench/profile-summary.ts /tmp/bench-prof/*.cpuprofile
import fs from "node:fs";

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

function where(url: string): string {
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:") || url === "") return url || "(native/V8)";
  const src = url.indexOf("/src/");
  return src >= 0 ? url.slice(src + 1) : url.replace(/^file:\/\//, "");
}

for (const file of process.argv.slice(2)) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const total = [...selfMs.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, number>();
  const packages = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = `${functionName || "(anonymous)"}  ${where(url)}${url ? `:${lineNumber + 1}` : ""}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    packages.set(where(url), (packages.get(where(url)) ?? 0) + ms);
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => `  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
  console.log(`${file}: ${(total / 1000).toFixed(1)} s sampled\nby package/file (self time):\n${top(packages, 15).join("\n")}\nby function (self time):\n${top(functions, 25).join("\n")}\n`);
}
