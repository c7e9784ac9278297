// Signs and verifies access tokens (JWT). The algorithm is pinned to HS256, so a token
// claiming "none" or another algorithm is refused; `exp` is required.
import { errors, jwtVerify, SignJWT } from "jose";

export type TokenClaims = { userId: string; customerId: string };

export class InvalidTokenError extends Error {}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ALGORITHM = "HS256";

export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly options: { issuer?: string; audience?: string } = {},
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** `expiresIn` as jose understands it: "1h", "30m", "7d". */
  async sign(claims: TokenClaims, expiresIn = "1h"): Promise<string> {
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
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        requiredClaims: ["exp", "sub"],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: 5,
      });
      const { sub, customerId } = payload;
      if (typeof sub !== "string" || !uuidPattern.test(sub)) throw new InvalidTokenError("Invalid token.");
      if (typeof customerId !== "string" || !uuidPattern.test(customerId)) {
        throw new InvalidTokenError("Invalid token: no customerId claim.");
      }
      return { userId: sub, customerId };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError("Token expired.");
      throw new InvalidTokenError("Invalid token.");
    }
  }
}
