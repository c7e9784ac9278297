// Turns the Authorization header into a viewer: a verified token whose user exists, is
// enabled, and belongs to the token's customer. One SQL statement (user joined to customer),
// none when the cache of verified users remembers the user.
import { Prisma, type PrismaClient, type User } from "../generated/prisma/client.js";
import { type AccessTokens, InvalidTokenError } from "./access-tokens.js";
import type { VerifiedUserCache } from "./verified-user-cache.js";
import type { Viewer } from "./viewer.js";

export type { Viewer };

/** `viewer` null: `failure` says why a token was refused, or is null when none was sent. */
export type Authentication = { viewer: Viewer; failure: null } | { viewer: null; failure: string | null };

type ViewerRow = User & { customerName: string; customerSlug: string; customerCreatedAt: Date };

export function bearerToken(authorization: string | null): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match ? match[1]! : "";
}

export async function authenticate(
  authorization: string | null,
  tokens: AccessTokens,
  prisma: PrismaClient,
  /** When given, a remembered user costs no SQL; the cache forgets users as they change. */
  users?: VerifiedUserCache,
): Promise<Authentication> {
  const token = bearerToken(authorization);
  if (token === null) return { viewer: null, failure: null };
  if (token === "") return { viewer: null, failure: "Malformed Authorization header: expected Bearer <token>." };
  let claims;
  try {
    claims = await tokens.verify(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) return { viewer: null, failure: error.message };
    throw error;
  }
  const remembered = users?.get(claims.userId, claims.customerId);
  if (remembered) return { viewer: remembered, failure: null };
  const lookup = users?.startLookup() ?? 0;
  const rows = await prisma.$queryRaw<ViewerRow[]>(Prisma.sql`
    SELECT u.*, c."name" AS "customerName", c."slug" AS "customerSlug", c."createdAt" AS "customerCreatedAt"
    FROM "User" u JOIN "Customer" c ON c."id" = u."customerId"
    WHERE u."id" = ${claims.userId}::uuid AND u."customerId" = ${claims.customerId}::uuid`);
  const row = rows[0];
  // One message for unknown, moved and disabled users: a token tells nothing about accounts.
  if (!row || !row.enabled) return { viewer: null, failure: "The token's user is unknown or disabled." };
  const { customerName, customerSlug, customerCreatedAt, ...user } = row;
  const viewer: Viewer = {
    user,
    customer: { id: user.customerId, name: customerName, slug: customerSlug, createdAt: customerCreatedAt },
  };
  users?.remember(viewer, lookup);
  return { viewer, failure: null };
}
