// A fluent seed for tests: seed.customer() → customer.user({ role }) / customer.record(...),
// and seed.customerWithAdmin() for the customer-and-user most tests start from.
// Every customer gets a unique slug, so test files can share one PostgreSQL database.
import { randomUUID } from "node:crypto";
import type { AccessTokens } from "../../src/auth/access-tokens.js";
import type { Database } from "../../src/db/database.js";
import type { Attachment, Record, Role, User } from "../../src/generated/prisma/client.js";

export type SeededUser = User & { token: string };

export class SeededCustomer {
  constructor(
    private readonly db: Database,
    private readonly tokens: AccessTokens,
    readonly id: string,
    readonly slug: string,
  ) {}

  async user(options: { role?: Role; enabled?: boolean } = {}): Promise<SeededUser> {
    const user = await this.db.prisma.user.create({
      data: {
        customerId: this.id,
        email: `${randomUUID().slice(0, 8)}@${this.slug}.test`,
        role: options.role ?? "ADMIN",
        enabled: options.enabled ?? true,
      },
    });
    return { ...user, token: await this.tokens.sign({ userId: user.id, customerId: this.id }) };
  }

  async record(fields: Partial<Pick<Record, "referenceNumber" | "categoryCode" | "title" | "createdDate">> = {}) {
    return this.db.prisma.record.create({
      data: {
        customerId: this.id,
        referenceNumber: fields.referenceNumber ?? `REF-${randomUUID().slice(0, 8)}`,
        categoryCode: fields.categoryCode ?? "CAT001",
        title: fields.title ?? "A record",
        createdDate: fields.createdDate ?? new Date(),
      },
    });
  }

  /** `count` records; createdDate(i) lets a test make ties on purpose. */
  async records(
    count: number,
    fields: (index: number) => Partial<Pick<Record, "referenceNumber" | "categoryCode" | "title" | "createdDate">>,
  ): Promise<Record[]> {
    const rows = Array.from({ length: count }, (_, index) => ({
      customerId: this.id,
      referenceNumber: `REF-${String(index).padStart(5, "0")}`,
      categoryCode: "CAT001",
      title: `Record ${index}`,
      createdDate: new Date(Date.UTC(2026, 0, 1) + index * 60_000),
      ...fields(index),
    }));
    return this.db.prisma.record.createManyAndReturn({ data: rows });
  }

  async attachments(recordId: string, count: number): Promise<Attachment[]> {
    const rows = Array.from({ length: count }, (_, index) => ({
      customerId: this.id,
      recordId,
      filename: `file-${index}.pdf`,
      contentType: "application/pdf",
      sizeBytes: 1000 + index,
      createdAt: new Date(Date.UTC(2026, 0, 1) + index * 1000),
    }));
    return this.db.prisma.attachment.createManyAndReturn({ data: rows });
  }
}

export class Seed {
  constructor(
    private readonly db: Database,
    private readonly tokens: AccessTokens,
  ) {}

  async customer(name = "Customer"): Promise<SeededCustomer> {
    const slug = `c-${randomUUID().slice(0, 12)}`;
    const customer = await this.db.prisma.customer.create({ data: { name, slug } });
    return new SeededCustomer(this.db, this.tokens, customer.id, slug);
  }

  /** A fresh customer and one ADMIN of it (its token in `admin.token`). */
  async customerWithAdmin(name?: string): Promise<{ customer: SeededCustomer; admin: SeededUser }> {
    const customer = await this.customer(name);
    return { customer, admin: await customer.user({ role: "ADMIN" }) };
  }
}
