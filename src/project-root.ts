// The project's folder (the one holding package.json), found from this module's own place:
// src/ when run by tsx, dist/src/ when compiled (`npm run build`). Files the server reads at
// run time (prisma/migrations, schema.graphql) are named from here, not from the module.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(start: string): string {
  for (let folder = start; ; folder = path.dirname(folder)) {
    if (fs.existsSync(path.join(folder, "package.json"))) return folder;
    if (path.dirname(folder) === folder) throw new Error(`no package.json above ${start}`);
  }
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
