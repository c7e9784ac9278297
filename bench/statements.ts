// SQL statements per request, counted in-process: the real app (createServices + createApp,
// as test/helpers/test-app.ts builds it) over the bench database, one app.fetch of Q at a
// time inside db.statements.measure() (the driver-adapter counter). Nothing else runs in
// this process meanwhile, so the count is the request's own, authentication included.
import { loadConfig } from "../src/config.js";
import type { Database } from "../src/db/database.js";
import { createApp, createServices } from "../src/server.js";
import { benchRequestBody } from "./query.js";

export type StatementCase = { name: string; token: string; first: number };

/** Statements of the 1st request (cold: user and caches empty) and of the 3rd (steady state). */
export type StatementCount = { first: number; steady: number; sequence: number[] };

export async function countStatements(
  db: Database,
  environment: Record<string, string>,
  cases: StatementCase[],
): Promise<Record<string, StatementCount>> {
  // The same environment the measured servers get (bench/servers.ts): ROW_LEVEL_SECURITY etc.
  const config = loadConfig({ ...process.env, ...environment, LOG_LEVEL: "silent" });
  const services = createServices(config, db);
  const extras = services as unknown as { userChanges?: { ready?: Promise<void>; stop?: () => Promise<void> } };
  // The servers remember verified users once they hear user changes; be in the same state.
  await extras.userChanges?.ready;
  const app = createApp(services);
  const counts: Record<string, StatementCount> = {};
  try {
    for (const benchCase of cases) {
      const sequence: number[] = [];
      for (let i = 0; i < 3; i++) {
        const { result, statements } = await db.statements.measure(async () => {
          const response = await app.fetch("http://bench/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${benchCase.token}` },
            body: benchRequestBody(benchCase.first),
          });
          return { status: response.status, text: await response.text() };
        });
        if (result.status !== 200 || result.text.includes('"errors"')) {
          throw new Error(`in-process request ${benchCase.name} failed (${result.status}): ${result.text.slice(0, 300)}`);
        }
        sequence.push(statements);
      }
      counts[benchCase.name] = { first: sequence[0]!, steady: sequence[2]!, sequence };
    }
  } finally {
    await extras.userChanges?.stop?.();
  }
  return counts;
}
