// Which address a feed request may connect to. The allow-list (SYNC_ALLOWED_HOSTS) names
// hosts, but a listed name can resolve to anything: a name that resolves, or is rebound
// between the check and the connection (DNS rebinding), to a loopback, private, link-local or
// unspecified address would reach the server's own network. So each request resolves its host
// once, takes an address only if it is a public (global unicast) one or the allow-list names
// that address itself, and connects to exactly that address (feed-client.ts pins it).
import { lookup } from "node:dns/promises";
import net from "node:net";
import ipaddr from "ipaddr.js";
import { PermanentJobError, TransientJobError } from "./job-errors.js";

export type ResolvedAddress = { address: string; family: 4 | 6 };

/** Resolves a host name to its addresses (tests inject their own). */
export type ResolveHost = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: ResolveHost = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/**
 * ipaddr.js's name for the address's range; IPv4-mapped IPv6 (::ffff:a.b.c.d) is judged as
 * the IPv4 address it carries. Only "unicast" is public: loopback, private, uniqueLocal,
 * linkLocal, unspecified, carrierGradeNat, multicast, reserved and the rest are not.
 */
export function addressRange(address: string): string {
  return ipaddr.process(address).range();
}

/** The address as the allow-list would write it (IPv4-mapped as IPv4, IPv6 compressed, lower case). */
const canonical = (address: string) => ipaddr.process(address).toString().toLowerCase();

function namedByAllowList(address: string, port: string, allowedHosts: readonly string[]): boolean {
  const forms = new Set([address.toLowerCase(), canonical(address)]);
  return allowedHosts.some((entry) => [...forms].some((form) => entry === form || entry === `${form}:${port}`));
}

/** The address to connect to for `url`, after its host passed the allow-list by name. */
export async function feedAddress(url: URL, allowedHosts: readonly string[], resolve: ResolveHost): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const family = net.isIP(host);
  let candidates: ResolvedAddress[];
  if (family !== 0) {
    candidates = [{ address: host, family: family as 4 | 6 }];
  } else {
    try {
      candidates = await resolve(host);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new TransientJobError(`Could not resolve the feed host ${host}${code ? ` (${code})` : ""}.`);
    }
    if (candidates.length === 0) throw new TransientJobError(`The feed host ${host} resolves to no address.`);
  }
  const usable = candidates.find(
    ({ address }) => addressRange(address) === "unicast" || namedByAllowList(address, port, allowedHosts),
  );
  if (usable) return usable;
  const [first] = candidates;
  throw new PermanentJobError(
    `The feed host ${host} resolves to ${first!.address}, a ${addressRange(first!.address)} address; ` +
      "such an address is only read when SYNC_ALLOWED_HOSTS names the address itself.",
  );
}
