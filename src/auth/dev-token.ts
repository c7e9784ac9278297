// The token `npm start` prints outside production, so a new user can query at once.
import type { PrismaClient } from "../generated/prisma/client.js";
import type { AccessTokens } from "./access-tokens.js";

export const DEMO_USER_EMAIL = "alice@acme.test";

export async function devTokenForDemoUser(tokens: AccessTokens, prisma: PrismaClient): Promise<string | null> {
  // With JWT_JWKS_URL only the identity provider issues tokens.
  if (!tokens.canSign) return null;
  const user = await prisma.user.findUnique({ where: { email: DEMO_USER_EMAIL } });
  if (!user || !user.enabled) return null;
  return tokens.sign({ userId: user.id, customerId: user.customerId }, "12h");
}
