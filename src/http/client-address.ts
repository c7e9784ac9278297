// Where a request came from, as far as this process can tell.
import { isIP } from "node:net";

type NodeServerContext = { req?: { socket?: { remoteAddress?: string } } };

/** The TCP peer's address (node:http puts the request in the server context); undefined without one (yoga.fetch). */
export function peerAddress(serverContext: unknown): string | undefined {
  return (serverContext as NodeServerContext | undefined)?.req?.socket?.remoteAddress;
}

/** Behind a trusted proxy, the address it appended last to X-Forwarded-For; else the peer's. */
export function clientAddress(request: Request, serverContext: unknown, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  return peerAddress(serverContext) ?? "unknown";
}

const isLoopbackAddress = (address: string) => {
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return (isIP(v4) === 4 && v4.startsWith("127.")) || address === "::1";
};

/**
 * Sent from this machine by the client itself: the peer is a loopback address and no proxy
 * forwarded it (a proxy on this machine is a loopback peer too, for clients from anywhere).
 */
export function isFromLoopback(request: Request, serverContext: unknown): boolean {
  const peer = peerAddress(serverContext);
  if (!peer || !isLoopbackAddress(peer)) return false;
  return !["forwarded", "x-forwarded-for", "x-real-ip"].some((header) => request.headers.has(header));
}
