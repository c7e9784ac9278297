// `npm run feed:example [-- --port 4010] [--page-delay-ms 500]`: serves a small record feed on
// loopback (127.0.0.1), in the format docs/record-feed.md describes, for trying syncRecords
// (README's quick tour). Twelve records in three pages, with `total`, so the job's progress is
// real. Each page waits a moment before answering so that progress can be watched.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const EXAMPLE_FEED_PATH = "/records";
const PAGE_SIZE = 5;
const CATEGORIES = ["CAT001", "CAT002", "CAT003"];

type ExampleRecord = {
  referenceNumber: string;
  categoryCode: string;
  title: string;
  createdDate: string;
  attachments: Array<{ filename: string; contentType: string; sizeBytes: number }>;
};

export type ExampleFeedPage = { records: ExampleRecord[]; nextCursor: string | null; total: number };

const exampleRecords: ExampleRecord[] = Array.from({ length: 12 }, (_, index) => {
  const number = String(index + 1).padStart(4, "0");
  return {
    referenceNumber: `EXAMPLE-${number}`,
    categoryCode: CATEGORIES[index % CATEGORIES.length]!,
    title: `Example record ${index + 1}`,
    createdDate: new Date(Date.UTC(2026, 0, 5 + index, 9, 30)).toISOString(),
    attachments: [{ filename: `invoice-${number}.pdf`, contentType: "application/pdf", sizeBytes: 24_576 + index }],
  };
});

/** The page a cursor names: null (first page), "page-2", "page-3"; undefined for an unknown cursor. */
export function exampleFeedPage(cursor: string | null): ExampleFeedPage | undefined {
  const page = cursor === null ? 1 : /^page-([1-9]\d*)$/.exec(cursor) ? Number(cursor.slice(5)) : NaN;
  const start = (page - 1) * PAGE_SIZE;
  if (!Number.isInteger(page) || start >= exampleRecords.length) return undefined;
  const end = start + PAGE_SIZE;
  return {
    records: exampleRecords.slice(start, end),
    nextCursor: end < exampleRecords.length ? `page-${page + 1}` : null,
    total: exampleRecords.length,
  };
}

/** Every page of the example feed, in order. */
export function exampleFeedPages(): ExampleFeedPage[] {
  const pages: ExampleFeedPage[] = [];
  for (let page = exampleFeedPage(null); page; page = page.nextCursor ? exampleFeedPage(page.nextCursor) : undefined) {
    pages.push(page);
  }
  return pages;
}

export type ExampleFeed = { url: string; server: Server; close(): Promise<void> };

export async function startExampleFeed(options: { port: number; pageDelayMs: number }): Promise<ExampleFeed> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const page = url.pathname === EXAMPLE_FEED_PATH ? exampleFeedPage(url.searchParams.get("cursor")) : undefined;
    const [status, body] =
      url.pathname !== EXAMPLE_FEED_PATH
        ? [404, { error: `not found; the feed is at ${EXAMPLE_FEED_PATH}` }]
        : page
          ? [200, page]
          : [400, { error: "unknown cursor" }];
    setTimeout(() => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    }, status === 200 ? options.pageDelayMs : 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${EXAMPLE_FEED_PATH}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main() {
  const { values } = parseArgs({
    options: { port: { type: "string", default: "4010" }, "page-delay-ms": { type: "string", default: "500" } },
  });
  const port = Number(values.port);
  const pageDelayMs = Number(values["page-delay-ms"]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0 to 65535 (got ${values.port})`);
  if (!Number.isInteger(pageDelayMs) || pageDelayMs < 0) throw new Error(`--page-delay-ms must be a whole number (got ${values["page-delay-ms"]})`);
  const feed = await startExampleFeed({ port, pageDelayMs });
  const host = new URL(feed.url).host;
  console.log(`Example record feed: ${feed.url} (12 records in 3 pages)`);
  console.log(`The API may read it when started with SYNC_ALLOWED_HOSTS=${host}`);
  const stop = () => void feed.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(`feed:example: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
