// The token `npm start` prints outside production, so a new user can query at once.
import type { AppServices } from "../context.js";

export const DEMO_USER_EMAIL = "alice@acme.test";

export async function devTokenForDemoUser(services: AppServices): Promise<string | null> {
  // With JWT_JWKS_URL only the identity provider issues tokens.
  if (!services.tokens.canSign) return null;
  const user = await services.database.prisma.user.findUnique({ where: { email: DEMO_USER_EMAIL } });
  if (!user || !user.enabled) return null;
  return services.tokens.sign({ userId: user.id, customerId: user.customerId }, "12h");
}
