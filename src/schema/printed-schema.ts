// The schema as committed in schema.graphql: sorted, so the diff shows only real changes.
import { fileURLToPath } from "node:url";
import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./index.js";

export const schemaFile = fileURLToPath(new URL("../../schema.graphql", import.meta.url));

export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
