// The demo user the dev token is for (alice@acme.test), enabled, whatever the shared database
// already holds; returns the slug of its customer.
import { DEMO_USER_EMAIL } from "../../src/auth/dev-token.js";
import type { Database } from "../../src/db/database.js";

export async function ensureDemoUser(db: Database): Promise<string> {
  const existing = await db.prisma.user.findUnique({ where: { email: DEMO_USER_EMAIL }, include: { customer: true } });
  if (existing) {
    if (!existing.enabled) await db.prisma.user.update({ where: { id: existing.id }, data: { enabled: true } });
    return existing.customer.slug;
  }
  const customer = await db.prisma.customer.upsert({
    where: { slug: "acme" },
    create: { name: "Acme", slug: "acme" },
    update: {},
  });
  await db.prisma.user.create({ data: { customerId: customer.id, email: DEMO_USER_EMAIL, role: "ADMIN" } });
  return customer.slug;
}
