// Imports run one way (schema → services → loaders/queries → db): no module may reach itself
// through its imports, type-only imports included. Reads the source files, no database.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

const projectDir = path.resolve(import.meta.dirname, "..");
const roots = ["src", "bench", "scripts"];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" ? [] : sourceFiles(file);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [file] : [];
  });
}

/** Relative imports and re-exports of a file, as project files (`./x.js` → `./x.ts`). */
export function importsOf(file: string, source = fs.readFileSync(file, "utf8")): string[] {
  const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*["'](\.[^"']+)["']/g)].map(
    (match) => match[1]!,
  );
  const sideEffects = [...source.matchAll(/(?:^|\n)\s*import\s*["'](\.[^"']+)["']/g)].map((match) => match[1]!);
  return [...specifiers, ...sideEffects].flatMap((specifier) => {
    const target = path.resolve(path.dirname(file), specifier).replace(/\.js$/, ".ts");
    return fs.existsSync(target) ? [target] : [];
  });
}

/** Every cycle's members (strongly connected components of more than one file, or a self-import). */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe("import graph", () => {
  test("the reader finds type-only imports and re-exports (positive control)", () => {
    const file = path.join(projectDir, "src", "example.ts");
    const source = `import type { A } from "./config.js";\nexport { b } from "./errors.js";\nimport "./logger.js";`;
    expect(importsOf(file, source).map((target) => path.basename(target))).toEqual(["config.ts", "errors.ts", "logger.ts"]);
    // And the cycle finder finds a cycle when there is one.
    expect(cycles(new Map([["a", ["b"]], ["b", ["a"]], ["c", ["a"]]]))).toEqual([["b", "a"]]);
  });

  test("no module imports itself through others, not even through types", () => {
    const files = roots.flatMap((root) => sourceFiles(path.join(projectDir, root)));
    expect(files.length).toBeGreaterThan(50);
    const graph = new Map(files.map((file) => [file, importsOf(file)]));
    const found = cycles(graph).map((component) => component.map((file) => path.relative(projectDir, file)).sort());
    expect(found).toEqual([]);
  });
});
