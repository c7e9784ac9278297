// GraphiQL with every asset inlined (no CDN, works offline) is ~9 MB of HTML. It is served here
// instead of by Yoga: compressed as the client accepts (brotli, else gzip), with an ETag, so a
// reload costs a 304 and no body. Each distinct page (the dev token inside is renewed hourly,
// the welcome text changes once users exist) is rendered and compressed once, then kept.
// Compression runs on libuv's threads (zlib's async API): the event loop keeps serving.
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import zlib from "node:zlib";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

type Encoding = "br" | "gzip" | "identity";
type Page = { etag: string; bodies: Record<Encoding, Uint8Array<ArrayBuffer>> };

async function compressedPage(html: string): Promise<Page> {
  const identity = Buffer.from(html);
  // Quality 5 / level 6: ~1 s each for 9 MB; brotli's top quality takes a minute for ~12 % less.
  const [br, gz] = await Promise.all([
    brotli(identity, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: identity.length },
    }),
    gzip(identity, { level: 6 }),
  ]);
  const etag = `"${createHash("sha256").update(identity).digest("base64url").slice(0, 27)}"`;
  const bytes = (buffer: Buffer) => new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength);
  return { etag, bodies: { br: bytes(br), gzip: bytes(gz), identity: bytes(identity) } };
}

/** The best encoding the client accepts (q=0 refuses one). */
export function chooseEncoding(acceptEncoding: string | null): Encoding {
  const accepted = new Set(
    (acceptEncoding ?? "")
      .split(",")
      .map((part) => part.trim().toLowerCase().split(";"))
      .filter(([, ...params]) => !params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param)))
      .map(([name]) => name!.trim()),
  );
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip") || accepted.has("*")) return "gzip";
  return "identity";
}

const matches = (ifNoneMatch: string | null, etag: string) =>
  ifNoneMatch !== null && ifNoneMatch.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag || tag.trim() === "*");

export function useGraphiQLPage(options: {
  /** The page's options for this request; false: no GraphiQL here (not the exact endpoint). */
  /** serverContext: node:http's request (who is asking: the dev token is for loopback only). */
  pageOptions: (request: Request, serverContext: unknown) => Promise<GraphiQLOptions | false>;
  render: (options: GraphiQLOptions) => Promise<string>;
}): Plugin {
  let kept: { key: string; page: Promise<Page> } | null = null;
  const pageFor = (pageOptions: GraphiQLOptions) => {
    const key = JSON.stringify(pageOptions);
    if (kept?.key !== key) {
      const page = options.render(pageOptions).then(compressedPage);
      kept = { key, page };
      page.catch(() => {
        if (kept?.page === page) kept = null; // a failed render is tried again next time
      });
    }
    return kept.page;
  };
  return {
    async onRequest({ request, serverContext, endResponse }) {
      // Yoga's own rule for "a browser wants GraphiQL".
      if (request.method !== "GET" || !request.headers.get("accept")?.includes("text/html")) return;
      const pageOptions = await options.pageOptions(request, serverContext);
      if (!pageOptions) return;
      const page = await pageFor(pageOptions);
      const headers: Record<string, string> = {
        etag: page.etag,
        vary: "accept-encoding",
        // Stored, but asked again each time: the ETag makes that a 304 until the page changes.
        "cache-control": "private, no-cache",
      };
      if (matches(request.headers.get("if-none-match"), page.etag)) {
        endResponse(new Response(null, { status: 304, headers }));
        return;
      }
      const encoding = chooseEncoding(request.headers.get("accept-encoding"));
      const body = page.bodies[encoding];
      endResponse(
        new Response(body, {
          status: 200,
          headers: {
            ...headers,
            "content-type": "text/html; charset=utf-8",
            "content-length": String(body.length),
            ...(encoding === "identity" ? {} : { "content-encoding": encoding }),
          },
        }),
      );
    },
  };
}
