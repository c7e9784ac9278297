// The demo data set, as plain rows. Pure and deterministic: the same day gives the same
// rows, so tests and screenshots can rely on names, counts and order.
// Rows name their customer by slug and their record by reference number; the inserting
// code (seed-demo.ts) resolves those to ids in SQL.

export type DemoCustomer = { slug: string; name: string };
export type DemoUser = { slug: string; email: string; role: "ADMIN" | "MEMBER" | "VIEWER" };
export type DemoRecord = {
  slug: string;
  referenceNumber: string;
  categoryCode: string;
  title: string;
  createdDate: string;
};
export type DemoAttachment = {
  slug: string;
  referenceNumber: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
};
export type DemoData = {
  customers: DemoCustomer[];
  users: DemoUser[];
  records: DemoRecord[];
  attachments: DemoAttachment[];
};

export const demoCustomers: DemoCustomer[] = [
  { slug: "acme", name: "Acme Corp" },
  { slug: "globex", name: "Globex" },
];

export const demoUsers: DemoUser[] = [
  { slug: "acme", email: "alice@acme.test", role: "ADMIN" },
  { slug: "acme", email: "carol@acme.test", role: "VIEWER" },
  { slug: "globex", email: "bob@globex.test", role: "ADMIN" },
];

export const DEMO_RECORDS_PER_CUSTOMER = 25;
export const categoryCodes = Array.from({ length: 10 }, (_, i) => `CAT${String(i + 1).padStart(3, "0")}`);

const subjects = ["Invoice", "Contract", "Inspection report", "Purchase order", "Delivery note", "Audit memo", "Claim"];
const qualifiers = ["Q1", "Q2", "Q3", "Q4", "north site", "south site", "head office", "renewal", "draft", "final", "annex"];
const fileKinds = [
  { extension: "pdf", contentType: "application/pdf" },
  { extension: "png", contentType: "image/png" },
  { extension: "csv", contentType: "text/csv" },
];

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Dates count back from the start of the current UTC day. Records come in groups of three
 * sharing one createdDate, so every page boundary exercises the (createdDate, id) tie-break.
 */
function createdDateOf(index: number, today: Date): Date {
  const group = Math.floor(index / 3);
  return new Date(today.getTime() - group * 11 * DAY_MS + 9 * 60 * 60 * 1000);
}

export function buildDemoData(now = new Date()): DemoData {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const records: DemoRecord[] = [];
  const attachments: DemoAttachment[] = [];
  for (const [customerIndex, customer] of demoCustomers.entries()) {
    const prefix = customer.slug.toUpperCase();
    for (let i = 0; i < DEMO_RECORDS_PER_CUSTOMER; i += 1) {
      const referenceNumber = `${prefix}-${String(i + 1).padStart(4, "0")}`;
      const createdDate = createdDateOf(i, today);
      records.push({
        slug: customer.slug,
        referenceNumber,
        // Stepping by 3 (coprime to 10) visits every category; the offset differs per customer.
        categoryCode: categoryCodes[(i * 3 + customerIndex) % categoryCodes.length]!,
        title: `${subjects[(i + customerIndex) % subjects.length]} ${qualifiers[(i * 5) % qualifiers.length]}`,
        createdDate: createdDate.toISOString(),
      });
      const attachmentCount = 1 + ((i + customerIndex) % 3);
      for (let k = 1; k <= attachmentCount; k += 1) {
        const kind = fileKinds[(i + k) % fileKinds.length]!;
        attachments.push({
          slug: customer.slug,
          referenceNumber,
          filename: `${referenceNumber.toLowerCase()}-${k}.${kind.extension}`,
          contentType: kind.contentType,
          sizeBytes: 2_048 + ((i * 7_919 + k * 104_729) % 900_000),
          createdAt: new Date(createdDate.getTime() + k * 60_000).toISOString(),
        });
      }
    }
  }
  return { customers: demoCustomers, users: demoUsers, records, attachments };
}
