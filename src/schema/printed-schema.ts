// The schema as committed in schema.graphql: sorted, so the diff shows only real changes.
import path from "node:path";
import { lexicographicSortSchema, printSchema } from "graphql";
import { projectRoot } from "../project-root.js";
import { schema } from "./index.js";

export const schemaFile = path.join(projectRoot, "schema.graphql");

export const printedSchema = () => `${printSchema(lexicographicSortSchema(schema))}\n`;
