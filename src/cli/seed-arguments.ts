// The command line of `npm run db:seed`: no flags means the demo data; any flag means bulk.
import { parseArgs } from "node:util";
import type { BulkSeedOptions } from "../../prisma/seed.js";
import { UsageError } from "./run-command.js";

export const seedUsage = `usage: npm run db:seed -- [--customers N] [--records N] [--attachments N]
  (no flags)       the demo data (acme, globex and their users), into an empty database only
  --customers N    customers in all: acme, globex, then bulk-001, bulk-002, ... each with an
                   ADMIN admin@<slug>.test (default 2)
  --records N      BULK-... records per customer (default 0)
  --attachments N  attachments per new record (default 0)`;

export type SeedCommand = { mode: "help" } | { mode: "demo" } | { mode: "bulk"; options: BulkSeedOptions };

function count(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(`--${flag} must be a whole number >= ${min}, got "${value}"`);
  }
  return parsed;
}

export function parseSeedArguments(argv: string[]): SeedCommand {
  let values: { customers?: string; records?: string; attachments?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        customers: { type: "string" },
        records: { type: "string" },
        attachments: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${seedUsage}`);
  }
  if (values.help) return { mode: "help" };
  if (values.customers === undefined && values.records === undefined && values.attachments === undefined) {
    return { mode: "demo" };
  }
  return {
    mode: "bulk",
    options: {
      customers: count("customers", values.customers, 2, 1),
      recordsPerCustomer: count("records", values.records, 0, 0),
      attachmentsPerRecord: count("attachments", values.attachments, 0, 0),
    },
  };
}
