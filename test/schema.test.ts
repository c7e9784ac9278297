import fs from "node:fs";
import { expect, test } from "vitest";
import { printedSchema, schemaFile } from "../src/schema/printed-schema.js";

test("schema.graphql matches the code (run `npm run schema:print` and commit the diff)", () => {
  expect(fs.readFileSync(schemaFile, "utf8")).toBe(printedSchema());
});
