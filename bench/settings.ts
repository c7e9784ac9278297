// Everything `npm run bench` can be told through the environment, read once.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const projectDir = path.resolve(benchDir, "..");

export const SUGGESTED_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/testapp_bench";

export function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1 (got ${raw})`);
  return value;
}

function pageSizes(raw: string | undefined): number[] {
  const sizes = (raw ?? "10,50,100").split(",").map((part) => Number(part.trim()));
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 1 || size > 100)) {
    throw new Error(`BENCH_PAGE_SIZES must be whole numbers from 1 to 100 (got ${raw})`);
  }
  return sizes;
}

export type BenchSettings = {
  /** undefined: embedded PGlite (figures not representative). */
  databaseUrl: string | undefined;
  durationS: number;
  connections: number;
  threads: number;
  /** The page size of the main comparison (A, B, C, D). */
  pageSize: number;
  /** Page sizes of the "how cost grows" curve (fixed data). */
  pageSizes: number[];
  /** Records of the bench customer (the main comparison). */
  records: number;
  /** Records of the large customer (the data-size point of the curve). */
  largeRecords: number;
  attachmentsPerRecord: number;
  /** Customers in all (the two demo customers, then bulk-001 = the bench customer, …). */
  customers: number;
  /** Which of A, B, C run (BENCH_SERVERS=A,B: a quicker run while working); D always does. */
  servers: string[];
  /** Skip the "how cost grows" runs (BENCH_SCALING=off). */
  scaling: boolean;
  /** Extra node flags for the API servers (e.g. --cpu-prof --cpu-prof-dir=bench/results/prof). */
  apiNodeFlags: string[];
  basePort: number;
  jwtSecret: string;
  /** Where the embedded data is seeded when there is no BENCH_DATABASE_URL. */
  pgliteDir: string;
};

export function readSettings(): BenchSettings {
  const databaseUrl = process.env.BENCH_DATABASE_URL?.trim() || undefined;
  const records = positiveInt("BENCH_RECORDS", 2_000);
  const customers = positiveInt("BENCH_CUSTOMERS", 5);
  if (customers < 4) throw new Error("BENCH_CUSTOMERS must be at least 4 (acme, globex, the bench customer, the large one)");
  return {
    databaseUrl,
    durationS: positiveInt("BENCH_DURATION_S", 10),
    connections: positiveInt("BENCH_CONNECTIONS", 20),
    threads: positiveInt("BENCH_THREADS", 2),
    pageSize: positiveInt("BENCH_PAGE_SIZE", 50),
    pageSizes: pageSizes(process.env.BENCH_PAGE_SIZES),
    records,
    largeRecords: positiveInt("BENCH_LARGE_RECORDS", 200_000),
    attachmentsPerRecord: positiveInt("BENCH_ATTACHMENTS", 5),
    customers,
    servers: (process.env.BENCH_SERVERS ?? "A,B,C").split(",").map((key) => key.trim().toUpperCase()),
    scaling: process.env.BENCH_SCALING !== "off",
    apiNodeFlags: (process.env.BENCH_API_NODE_FLAGS ?? "").split(/\s+/).filter(Boolean),
    basePort: positiveInt("BENCH_BASE_PORT", 4610),
    // A fresh secret per run: the servers and the bench's token share it, nobody else.
    jwtSecret: crypto.randomBytes(32).toString("hex"),
    pgliteDir: process.env.BENCH_PGLITE_DIR ?? path.join(os.tmpdir(), `testapp-bench-pglite-r${records}-l${positiveInt("BENCH_LARGE_RECORDS", 200_000)}`),
  };
}
