// Verifying a JWT's signature costs more than serving a cached response. A token cannot
// change, so once verified it stays good until its own expiry: remember verified tokens
// (only those) until then. Users disabled meanwhile are refused by the user check that
// follows verification on every request, not here.
import { BoundedMap } from "../bounded-map.js";
import type { TokenClaims } from "./token-claims.js";

export class VerifiedTokenCache {
  private readonly entries: BoundedMap<string, { claims: TokenClaims; expiresAtMs: number }>;

  constructor(maxEntries = 10_000) {
    this.entries = new BoundedMap(maxEntries);
  }

  get(token: string): TokenClaims | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  /** `expiresAt`: the token's `exp`, in seconds since the epoch. */
  remember(token: string, claims: TokenClaims, expiresAt: number): void {
    this.entries.set(token, { claims, expiresAtMs: expiresAt * 1000 });
  }
}
