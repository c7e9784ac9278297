// CPU per uncached request of Q for two or more settings of the API, in one process, in
// alternating rounds: a before/after figure that a busy machine skews alike for every variant
// (wrk's requests per second are only comparable on a quiet machine).
//   BENCH_DATABASE_URL=… npm run bench:cpu -- COMPILE_QUERIES_ON_USE=0 COMPILE_QUERIES_ON_USE=2
// Each argument is a variant: comma-separated NAME=value settings ("" = the defaults).
// The bench database must have been seeded by `npm run bench` first.
import crypto from "node:crypto";
import { AccessTokens } from "../src/auth/access-tokens.js";
import { loadConfig } from "../src/config.js";
import { openDatabase } from "../src/db/database.js";
import { createApp, createServices } from "../src/server.js";
import { benchRequestBody } from "./query.js";
import { positiveInt, SUGGESTED_DATABASE_URL } from "./settings.js";

const databaseUrl = process.env.BENCH_DATABASE_URL?.trim();
if (!databaseUrl) throw new Error(`BENCH_DATABASE_URL is required (e.g. ${SUGGESTED_DATABASE_URL}, seeded by npm run bench)`);
const rounds = positiveInt("BENCH_ROUNDS", 12);
const requestsPerRound = positiveInt("BENCH_ROUND_REQUESTS", 200);
const concurrency = positiveInt("BENCH_CONNECTIONS", 20);
const pageSize = positiveInt("BENCH_PAGE_SIZE", 50);
const variants = process.argv.slice(2);
if (variants.length === 0) variants.push("");

const secret = crypto.randomBytes(32).toString("hex");
const baseEnv = {
  NODE_ENV: "production",
  JWT_SECRET: secret,
  LOG_LEVEL: "silent",
  WORKER_CONCURRENCY: "0",
  RESPONSE_CACHE_TTL_MS: "0",
  RATE_LIMIT_PER_MINUTE: "0",
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: "0",
  DATABASE_URL: databaseUrl,
};

function settingsOf(variant: string): Record<string, string> {
  return Object.fromEntries(variant.split(",").filter(Boolean).map((pair) => pair.split("=", 2) as [string, string]));
}

const config = loadConfig(baseEnv);
const db = await openDatabase(config);
const user = await db.prisma.user.findFirstOrThrow({ where: { email: "admin@bulk-001.test" } });
const token = await new AccessTokens(secret, { issuer: config.jwt.issuer, audience: config.jwt.audience }).sign(
  { userId: user.id, customerId: user.customerId },
  "2h",
);

const apps = variants.map((variant) => {
  const services = createServices(loadConfig({ ...baseEnv, ...settingsOf(variant) }), db);
  return { variant: variant || "(defaults)", app: createApp(services), cpuMs: [] as number[] };
});

async function request(app: ReturnType<typeof createApp>): Promise<void> {
  const response = await app.fetch("http://bench/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${token}` },
    body: benchRequestBody(pageSize),
  });
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) throw new Error(`request failed (${response.status}): ${text.slice(0, 300)}`);
}

async function round(app: ReturnType<typeof createApp>, requests: number): Promise<number> {
  const started = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) await request(app);
    }),
  );
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / requests;
}

// Warm-up: JIT, caches, the verified user, compiled documents.
for (const variant of apps) await round(variant.app, requestsPerRound);
for (let i = 0; i < rounds; i++) {
  for (const variant of i % 2 === 0 ? apps : [...apps].reverse()) variant.cpuMs.push(await round(variant.app, requestsPerRound));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`CPU ms per request of Q (page ${pageSize}, ${concurrency} at a time, ${rounds} rounds × ${requestsPerRound}), median [min–max]:`);
for (const { variant, cpuMs } of apps) {
  console.log(`  ${variant.padEnd(40)} ${median(cpuMs).toFixed(2)} [${Math.min(...cpuMs).toFixed(2)}–${Math.max(...cpuMs).toFixed(2)}]`);
}
await db.close();
process.exit(0);
