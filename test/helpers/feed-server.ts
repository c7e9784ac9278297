// A record feed on 127.0.0.1 for the job tests. Each test registers its own path with a
// handler; the server counts requests per path (and remembers their user-agents), so tests
// can prove what a sync read, how often, and from which worker process.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type FeedReply = {
  status?: number;
  /** Sent as JSON unless it is a string. */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
};

/** cursor: the request's ?cursor (null for the first page); hit: 1 for the path's first request. */
export type FeedHandler = (request: { cursor: string | null; hit: number }) => FeedReply;

export type FeedRecordFixture = {
  referenceNumber: string;
  categoryCode: string;
  title: string;
  createdDate: string;
  attachments?: Array<{ filename: string; contentType: string; sizeBytes: number }>;
};

export type FeedServer = {
  origin: string;
  /** Serves `handler` at a fresh path; returns its full URL. */
  route(handler: FeedHandler): string;
  hits(url: string): number;
  userAgents(url: string): string[];
  /** The Host header of each request to the path. */
  hostHeaders(url: string): string[];
  close(): Promise<void>;
};

export async function startFeedServer(): Promise<FeedServer> {
  const handlers = new Map<string, FeedHandler>();
  const requests = new Map<string, IncomingMessage[]>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const handler = handlers.get(url.pathname);
    const seen = requests.get(url.pathname) ?? [];
    seen.push(request);
    requests.set(url.pathname, seen);
    const reply: FeedReply = handler
      ? handler({ cursor: url.searchParams.get("cursor"), hit: seen.length })
      : { status: 404, body: { error: "no such feed" } };
    setTimeout(() => {
      const body = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body ?? null);
      response.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
      response.end(body);
    }, reply.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let next = 0;
  const pathOf = (url: string) => new URL(url).pathname;
  return {
    origin,
    route(handler) {
      const path = `/feed-${++next}`;
      handlers.set(path, handler);
      return `${origin}${path}`;
    },
    hits: (url) => requests.get(pathOf(url))?.length ?? 0,
    userAgents: (url) => (requests.get(pathOf(url)) ?? []).map((request) => String(request.headers["user-agent"])),
    hostHeaders: (url) => (requests.get(pathOf(url)) ?? []).map((request) => String(request.headers.host)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `count` valid records REF-<prefix>-0000…, each with one attachment. */
export function feedRecords(count: number, prefix: string, title = "Synced record"): FeedRecordFixture[] {
  return Array.from({ length: count }, (_, index) => ({
    referenceNumber: `REF-${prefix}-${String(index).padStart(4, "0")}`,
    categoryCode: `CAT00${(index % 9) + 1}`,
    title: `${title} ${index}`,
    createdDate: new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString(),
    attachments: [{ filename: `doc-${index}.pdf`, contentType: "application/pdf", sizeBytes: 1000 + index }],
  }));
}

/** Serves `records` in pages of `pageSize`, cursors "page-1", "page-2"…; `override` may replace a reply. */
export function pagedFeed(
  records: unknown[],
  pageSize: number,
  options: {
    delayMs?: number;
    /** Sent as each page's `total` (docs/record-feed.md); none by default. */
    total?: number;
    override?: (request: { cursor: string | null; hit: number }) => FeedReply | undefined;
  } = {},
): FeedHandler {
  return (request) => {
    const replaced = options.override?.(request);
    if (replaced) return replaced;
    const page = request.cursor === null ? 0 : Number(request.cursor.replace("page-", ""));
    const start = page * pageSize;
    const more = start + pageSize < records.length;
    return {
      delayMs: options.delayMs,
      body: {
        records: records.slice(start, start + pageSize),
        nextCursor: more ? `page-${page + 1}` : null,
        ...(options.total === undefined ? {} : { total: options.total }),
      },
    };
  };
}
