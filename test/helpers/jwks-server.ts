// A stand-in identity provider on 127.0.0.1: serves a JWKS with an RS256 and an ES256 public
// key made for the test, signs tokens with them, and counts how often the key set is fetched.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";

export type JwksAlgorithm = "RS256" | "ES256";

export type JwksServer = {
  url: string;
  issuer: string;
  audience: string;
  /** Times the JWKS document was served. */
  fetches: () => number;
  sign(algorithm: JwksAlgorithm, claims: JWTPayload, options?: { expiresAt?: number; issuer?: string; audience?: string }): Promise<string>;
  close(): Promise<void>;
};

export async function startJwksServer(): Promise<JwksServer> {
  const keys = {
    RS256: await generateKeyPair("RS256"),
    ES256: await generateKeyPair("ES256"),
  };
  const jwks = {
    keys: await Promise.all(
      (Object.keys(keys) as JwksAlgorithm[]).map(async (alg) => ({
        ...(await exportJWK(keys[alg].publicKey)),
        kid: `test-${alg}`,
        alg,
        use: "sig",
      })),
    ),
  };
  let fetches = 0;
  const server = createServer((request, response) => {
    if (request.url !== "/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    fetches += 1;
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}/`;
  const audience = "testapp-api";
  return {
    url: `${origin}/.well-known/jwks.json`,
    issuer,
    audience,
    fetches: () => fetches,
    sign(algorithm, claims, options = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: algorithm, kid: `test-${algorithm}`, typ: "JWT" })
        .setIssuedAt()
        .setIssuer(options.issuer ?? issuer)
        .setAudience(options.audience ?? audience)
        .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 600)
        .sign(keys[algorithm].privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
