// Writes schema.graphql from the code (`npm run schema:print`). The file is committed so
// every API change shows up in review; test/schema.test.ts fails when it drifts.
import fs from "node:fs";
import { printedSchema, schemaFile } from "../src/schema/printed-schema.js";

fs.writeFileSync(schemaFile, printedSchema());
console.log(`wrote ${schemaFile}`);
