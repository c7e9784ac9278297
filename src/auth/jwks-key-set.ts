// The signing keys of an identity provider (Cognito, Auth0: RS256/ES256), read from its JWKS
// URL and cached by jose: fetched once, again after 10 minutes, and when a token names a key
// id not seen yet (a key rotation; at most every 30 s). An unreachable or broken key set is
// the service's problem, not the token's: it becomes KeySetUnavailableError (HTTP 503), while
// a token naming no known key stays an invalid token (401).
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from "jose";

export const JWKS_ALGORITHMS = ["RS256", "ES256"];

export class KeySetUnavailableError extends Error {}

const isTokenProblem = (error: unknown) =>
  error instanceof errors.JWKSNoMatchingKey ||
  error instanceof errors.JWKSMultipleMatchingKeys ||
  error instanceof errors.JOSENotSupported;

export function createJwksKeySet(url: string, options: { timeoutMs?: number } = {}): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: options.timeoutMs ?? 5_000,
    cooldownDuration: 30_000,
    cacheMaxAge: 10 * 60_000,
  });
  return async (protectedHeader, token) => {
    try {
      return await remote(protectedHeader, token);
    } catch (error) {
      if (isTokenProblem(error)) throw error;
      throw new KeySetUnavailableError(`The JWKS at ${url} could not be read.`, { cause: error });
    }
  };
}
