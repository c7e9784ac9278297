// Signs and verifies access tokens (JWT). The algorithm is pinned to HS256, so a token
// claiming "none" or another algorithm is refused; `exp` is required. With a key set
// (JWT_JWKS_URL) tokens come from an identity provider instead: RS256/ES256 only, verified
// with its public keys, and this server signs none.
import { errors, jwtVerify, type JWTVerifyGetKey, SignJWT } from "jose";
import { VerifiedTokenCache } from "./verified-token-cache.js";
import { JWKS_ALGORITHMS, KeySetUnavailableError } from "./jwks-key-set.js";
import { isUuid } from "../uuid.js";
import type { TokenClaims } from "./token-claims.js";

export type { TokenClaims };

export class InvalidTokenError extends Error {}

const ALGORITHM = "HS256";

export class AccessTokens {
  private readonly key: Uint8Array;
  private readonly verified = new VerifiedTokenCache();

  constructor(
    secret: string,
    private readonly options: {
      issuer?: string;
      audience?: string;
      /** The identity provider's keys: then only its RS256/ES256 tokens are accepted. */
      jwks?: JWTVerifyGetKey;
      /** The claim naming the customer (an IdP may need a namespaced one). */
      customerIdClaim?: string;
      clockToleranceSeconds?: number;
    } = {},
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** false when tokens come from an identity provider (JWT_JWKS_URL). */
  get canSign(): boolean {
    return !this.options.jwks;
  }

  /** `expiresIn` as jose understands it: "1h", "30m", "7d". */
  async sign(claims: TokenClaims, expiresIn = "1h"): Promise<string> {
    if (!this.canSign) throw new Error("Tokens are issued by the identity provider (JWT_JWKS_URL), not by this server.");
    let token = new SignJWT({ customerId: claims.customerId })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(claims.userId)
      .setIssuedAt()
      .setExpirationTime(expiresIn);
    if (this.options.issuer) token = token.setIssuer(this.options.issuer);
    if (this.options.audience) token = token.setAudience(this.options.audience);
    return token.sign(this.key);
  }

  async verify(token: string): Promise<TokenClaims> {
    const remembered = this.verified.get(token);
    if (remembered) return remembered;
    try {
      const { jwks } = this.options;
      const verifyOptions = {
        algorithms: jwks ? JWKS_ALGORITHMS : [ALGORITHM],
        requiredClaims: ["exp", "sub"],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
      };
      // Two calls: jose types the key-set and the secret overloads apart.
      const { payload } = jwks ? await jwtVerify(token, jwks, verifyOptions) : await jwtVerify(token, this.key, verifyOptions);
      const { sub } = payload;
      const customerId = payload[this.options.customerIdClaim ?? "customerId"];
      if (!isUuid(sub)) throw new InvalidTokenError("Invalid token.");
      if (!isUuid(customerId)) {
        throw new InvalidTokenError("Invalid token: no customerId claim.");
      }
      const claims = { userId: sub, customerId };
      this.verified.remember(token, claims, payload.exp!);
      return claims;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      // Not the token's fault: authentication answers 503 (see useAuthentication).
      if (error instanceof KeySetUnavailableError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError("Token expired.");
      throw new InvalidTokenError("Invalid token.");
    }
  }
}
