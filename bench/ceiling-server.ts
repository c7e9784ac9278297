// (D) The practical ceiling: a bare node:http server answering Q for the token's customer
// with ONE hand-written json_agg statement through pg (or an embedded PGlite folder when
// CEILING_PGLITE_DIR is set). It verifies the same HS256 token as the API (cheap, no SQL)
// and does nothing else a real API must do: no GraphQL parsing, validation or limits.
//   CEILING_PORT, DATABASE_URL | CEILING_PGLITE_DIR, JWT_SECRET, DATABASE_POOL_SIZE (10)
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";
import { AccessTokens } from "../src/auth/access-tokens.js";

// Same order as the API: records newest first (ties by id), attachments oldest first (ties by
// id), at most 10 per record; createdDate formatted as JavaScript's toISOString() does.
const ceilingSql = `
SELECT json_build_object('data', json_build_object('records', json_build_object('edges',
  coalesce(json_agg(json_build_object('node', json_build_object(
    'referenceNumber', r."referenceNumber",
    'categoryCode', r."categoryCode",
    'createdDate', to_char(r."createdDate" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'attachments', json_build_object('edges', (
      SELECT coalesce(json_agg(json_build_object('node', json_build_object('filename', a.filename))
                               ORDER BY a."createdAt", a.id), '[]'::json)
      FROM (SELECT x.filename, x."createdAt", x.id FROM "Attachment" x
            WHERE x."customerId" = $1::uuid AND x."recordId" = r.id
            ORDER BY x."createdAt", x.id LIMIT 10) a))
  )) ORDER BY r."createdDate" DESC, r.id DESC), '[]'::json)
)))::text AS body
FROM (SELECT id, "referenceNumber", "categoryCode", "createdDate" FROM "Record"
      WHERE "customerId" = $1::uuid ORDER BY "createdDate" DESC, id DESC LIMIT $2::int) r`;

type Runner = (customerId: string, first: number) => Promise<string>;

async function openRunner(): Promise<{ run: Runner; close: () => Promise<void> }> {
  const pgliteDir = process.env.CEILING_PGLITE_DIR;
  if (pgliteDir) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create({ dataDir: pgliteDir });
    return {
      run: async (customerId, first) => (await db.query<{ body: string }>(ceilingSql, [customerId, first])).rows[0]!.body,
      close: () => db.close(),
    };
  }
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("ceiling server: set DATABASE_URL or CEILING_PGLITE_DIR");
  const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10), application_name: "testapp-bench-ceiling" });
  pool.on("error", () => {});
  return {
    run: async (customerId, first) => (await pool.query<{ body: string }>(ceilingSql, [customerId, first])).rows[0]!.body,
    close: () => pool.end(),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

const errorBody = (message: string) => JSON.stringify({ errors: [{ message }] });

async function main() {
  const secret = process.env.JWT_SECRET;
  if (!secret) throw new Error("ceiling server: JWT_SECRET is required");
  const tokens = new AccessTokens(secret, { issuer: process.env.JWT_ISSUER || undefined, audience: process.env.JWT_AUDIENCE || undefined });
  const { run, close } = await openRunner();
  const server = createServer(async (request, response) => {
    try {
      if (request.url === "/health") return send(response, 200, '{"ok":true}');
      if (request.method !== "POST" || request.url !== "/graphql") return send(response, 404, errorBody("not found"));
      const header = request.headers.authorization ?? "";
      const claims = await tokens.verify(header.replace(/^Bearer\s+/i, "")).catch(() => null);
      if (!claims) return send(response, 401, errorBody("unauthenticated"));
      const body = JSON.parse(await readBody(request)) as { variables?: { first?: unknown } };
      const first = body.variables?.first;
      if (typeof first !== "number" || !Number.isInteger(first) || first < 1 || first > 100) {
        return send(response, 400, errorBody("variables.first must be 1..100"));
      }
      send(response, 200, await run(claims.customerId, first));
    } catch (error) {
      send(response, 500, errorBody((error as Error).message));
    }
  });
  const port = Number(process.env.CEILING_PORT ?? 4700);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const stop = () => server.close(() => void close().finally(() => process.exit(0)));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
