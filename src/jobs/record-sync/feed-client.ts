// Reads one page of a record feed over HTTP, defensively: only allow-listed hosts (every
// redirect hop is checked before it is followed), each request connecting to the one address
// its host was resolved to and checked at (feed-address.ts), a timeout per request, a cap on response
// bytes, and failures sorted into transient (retry later) and permanent (fail now), with
// messages a user can act on.
import type { LookupFunction } from "node:net";
import { Agent, fetch, type Response } from "undici";
import { checkFeedUrl } from "../allowed-hosts.js";
import { feedAddress, type ResolvedAddress, type ResolveHost, systemResolver } from "../feed-address.js";
import { PermanentJobError, TransientJobError } from "../job-errors.js";

export type FeedClientOptions = {
  allowedHosts: readonly string[];
  timeoutMs: number;
  maxResponseBytes: number;
  userAgent: string;
  /** How host names are resolved; the system resolver unless a test injects one. */
  resolveHost?: ResolveHost;
};

const MAX_REDIRECTS = 5;

export function feedPageUrl(sourceUrl: string, cursor: string | null): string {
  const url = new URL(sourceUrl);
  if (cursor !== null) url.searchParams.set("cursor", cursor);
  return url.toString();
}

/** The parsed JSON body and its size on the wire (what SYNC_MAX_TOTAL_BYTES counts). */
export type FeedResponse = { body: unknown; bytes: number };

/** GETs `url` and parses its JSON body. `signal` aborts when this attempt loses its job. */
export async function fetchFeedJson(url: string, options: FeedClientOptions, signal: AbortSignal): Promise<FeedResponse> {
  let target = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const check = checkFeedUrl(target, options.allowedHosts);
    if (!check.allowed) {
      throw new PermanentJobError(
        hop === 0 ? `The feed URL ${check.reason}.` : `The feed redirected to ${target}, which ${check.reason}.`,
      );
    }
    const address = await feedAddress(check.url, options.allowedHosts, options.resolveHost ?? systemResolver);
    const dispatcher = pinnedTo(address);
    try {
      const response = await request(check.url, options, signal, dispatcher);
      if (response.status >= 300 && response.status < 400) {
        const location = response.headers.get("location");
        await response.body?.cancel();
        if (!location) throw new PermanentJobError(`The feed answered HTTP ${response.status} without a Location.`);
        target = new URL(location, check.url).toString();
        continue;
      }
      return await readJson(response, options, signal);
    } finally {
      await dispatcher.destroy().catch(() => {});
    }
  }
  throw new PermanentJobError(`The feed redirected more than ${MAX_REDIRECTS} times.`);
}

/**
 * A connection pool for one request whose every connection goes to `address`, whatever the
 * host name would resolve to now; the URL keeps the name, so the Host header and TLS (SNI and
 * certificate check) are the name's.
 */
function pinnedTo({ address, family }: ResolvedAddress): Agent {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  return new Agent({ connect: { lookup } });
}

async function request(url: URL, options: FeedClientOptions, signal: AbortSignal, dispatcher: Agent): Promise<Response> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    return await fetch(url, {
      dispatcher,
      redirect: "manual",
      signal: AbortSignal.any([signal, timeout]),
      headers: { accept: "application/json", "user-agent": options.userAgent },
    });
  } catch (error) {
    throw networkFailure(error, options, signal, timeout);
  }
}

function networkFailure(error: unknown, options: FeedClientOptions, signal: AbortSignal, timeout: AbortSignal) {
  if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error("aborted");
  if (timeout.aborted) {
    return new TransientJobError(`The feed did not answer within ${options.timeoutMs / 1000} s.`);
  }
  // undici puts the system error (ECONNREFUSED, ECONNRESET…) in `cause`, sometimes wrapped.
  const cause = (error as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return new TransientJobError(code ? `Could not reach the feed (${code}).` : "Could not reach the feed.");
}

async function readJson(
  response: Response,
  options: FeedClientOptions,
  signal: AbortSignal,
): Promise<FeedResponse> {
  const { status, statusText } = response;
  if (status === 408 || status === 429 || status >= 500) {
    await response.body?.cancel();
    throw new TransientJobError(`The feed answered HTTP ${status} ${statusText}.`.replace(" .", "."));
  }
  if (status < 200 || status >= 300) {
    await response.body?.cancel();
    throw new PermanentJobError(
      `The feed answered HTTP ${status} ${statusText}; check the source URL and that the feed allows access.`.replace(
        " ;",
        ";",
      ),
    );
  }
  const tooLarge = () =>
    new PermanentJobError(`A feed page is larger than the limit of ${options.maxResponseBytes} bytes.`);
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > options.maxResponseBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const bytes = await readCapped(response, options.maxResponseBytes, tooLarge, signal);
  try {
    return { body: JSON.parse(bytes.toString("utf8")), bytes: bytes.byteLength };
  } catch {
    throw new PermanentJobError("The feed's answer is not valid JSON.");
  }
}

/** The body, refusing to hold more than `maxBytes` whatever Content-Length said. */
async function readCapped(
  response: Response,
  maxBytes: number,
  tooLarge: () => Error,
  signal: AbortSignal,
): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof PermanentJobError) throw error;
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : error;
    throw new TransientJobError(`The feed connection broke while reading a page (${(error as Error).message}).`);
  }
  return Buffer.concat(chunks);
}
