// The queries every records page runs, each with the index it must use. EXPLAIN of these on
// a large customer proves the indexes in prisma/schema.prisma do their job; the check is
// shared by scripts/explain-indexes.ts (for people) and test/indexes.test.ts (for CI).
//
// "Uses the index" is strict for the ordered queries: the plan must walk the index in order
// (an Index Scan under the Limit, no Sort). A bitmap scan plus a sort would read every row
// of the customer before returning 51, which is exactly what the index is there to avoid.

/** Anything with pg's `query(text, values) -> { rows }`: pg.Pool, pg.Client, PGlite. */
export type Queryable = { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

type Sample = {
  customerId: string;
  cursor: { createdDate: unknown; id: string };
  categoryCode: string;
  referenceNumber: string;
  recordIds: string[];
};

export type HotQuery = {
  name: string;
  index: string;
  /** The plan must produce the ORDER BY from the index, without a Sort node. */
  ordered: boolean;
  sql: string;
  params(sample: Sample): unknown[];
};

const PAGE = 51; // the default page of 50, plus one row to learn whether there is a next page

export const hotQueries: HotQuery[] = [
  {
    name: "records page",
    index: "Record_customerId_createdDate_id_idx",
    ordered: true,
    sql: `SELECT * FROM "Record" WHERE "customerId" = $1 ORDER BY "createdDate" DESC, "id" DESC LIMIT ${PAGE}`,
    params: (s) => [s.customerId],
  },
  {
    name: "records next page (keyset)",
    index: "Record_customerId_createdDate_id_idx",
    ordered: true,
    sql: `SELECT * FROM "Record" WHERE "customerId" = $1 AND ("createdDate", "id") < ($2, $3)
          ORDER BY "createdDate" DESC, "id" DESC LIMIT ${PAGE}`,
    params: (s) => [s.customerId, s.cursor.createdDate, s.cursor.id],
  },
  {
    name: "category filter",
    index: "Record_customerId_categoryCode_createdDate_id_idx",
    ordered: true,
    sql: `SELECT * FROM "Record" WHERE "customerId" = $1 AND "categoryCode" = $2
          ORDER BY "createdDate" DESC, "id" DESC LIMIT ${PAGE}`,
    params: (s) => [s.customerId, s.categoryCode],
  },
  {
    name: "reference lookup",
    index: "Record_customerId_referenceNumber_key",
    ordered: false,
    sql: `SELECT * FROM "Record" WHERE "customerId" = $1 AND "referenceNumber" = $2`,
    params: (s) => [s.customerId, s.referenceNumber],
  },
  {
    name: "attachments of a page of records",
    index: "Attachment_customerId_recordId_createdAt_id_idx",
    ordered: false,
    sql: `SELECT * FROM "Attachment" WHERE "customerId" = $1 AND "recordId" = ANY($2::uuid[])
          ORDER BY "createdAt", "id"`,
    params: (s) => [s.customerId, s.recordIds],
  },
];

type PlanNode = {
  "Node Type": string;
  "Index Name"?: string;
  "Scan Direction"?: string;
  "Relation Name"?: string;
  "Index Cond"?: string;
  Filter?: string;
  "Actual Rows"?: number;
  "Actual Total Time"?: number;
  Plans?: PlanNode[];
};

export type HotQueryPlan = {
  name: string;
  index: string;
  usesIndex: boolean;
  /** One line, e.g. "Limit > Index Scan Backward using X on Record". */
  summary: string;
  executionMs: number | undefined;
  plan: unknown;
};

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

function describeNode(node: PlanNode): string {
  const direction = node["Scan Direction"] === "Backward" ? " Backward" : "";
  const index = node["Index Name"] ? ` using ${node["Index Name"]}` : "";
  const relation = node["Relation Name"] ? ` on ${node["Relation Name"]}` : "";
  return `${node["Node Type"]}${direction}${index}${relation}`;
}

// A page of 50 record ids in an ANY(...) condition would fill the screen.
const shorten = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** The plan as an indented tree with the details that matter here, like EXPLAIN's text format. */
export function formatPlan(plan: unknown, indent = "  "): string {
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    const pad = indent.repeat(depth);
    const actual = node["Actual Rows"] === undefined ? "" : ` (rows=${node["Actual Rows"]} time=${node["Actual Total Time"]} ms)`;
    lines.push(`${pad}${depth > 0 ? "-> " : ""}${describeNode(node)}${actual}`);
    if (node["Index Cond"]) lines.push(`${pad}     Index Cond: ${shorten(node["Index Cond"])}`);
    if (node.Filter) lines.push(`${pad}     Filter: ${shorten(node.Filter)}`);
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  walk(plan as PlanNode, 0);
  return lines.join("\n");
}

export function planUsesIndex(root: PlanNode, query: Pick<HotQuery, "index" | "ordered">): boolean {
  const nodes = nodesOf(root);
  const scans = nodes.filter((node) => node["Index Name"] === query.index);
  if (!query.ordered) return scans.length > 0;
  const sorted = nodes.some((node) => node["Node Type"].includes("Sort"));
  return !sorted && scans.some((node) => node["Node Type"] === "Index Scan" || node["Node Type"] === "Index Only Scan");
}

/** Values for the parameters, taken from the customer's own newest page. */
async function sampleOf(db: Queryable, customerId: string): Promise<Sample> {
  const { rows } = await db.query(
    `SELECT id, "createdDate", "categoryCode", "referenceNumber" FROM "Record"
     WHERE "customerId" = $1 ORDER BY "createdDate" DESC, id DESC LIMIT ${PAGE}`,
    [customerId],
  );
  const page = rows as Array<{ id: string; createdDate: unknown; categoryCode: string; referenceNumber: string }>;
  const last = page.at(-1);
  if (!last) throw new Error(`customer ${customerId} has no records to explain queries with`);
  return {
    customerId,
    cursor: { createdDate: last.createdDate, id: last.id },
    categoryCode: last.categoryCode,
    referenceNumber: last.referenceNumber,
    recordIds: page.slice(0, 50).map((row) => row.id),
  };
}

/** EXPLAIN ANALYZE of every hot query for one customer (read-only statements). */
export async function explainHotQueries(db: Queryable, customerId: string): Promise<HotQueryPlan[]> {
  const sample = await sampleOf(db, customerId);
  const results: HotQueryPlan[] = [];
  for (const query of hotQueries) {
    const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${query.sql}`, query.params(sample));
    const cell = Object.values(rows[0] as Record<string, unknown>)[0];
    // pg parses the json column; other drivers may hand back the text.
    const [explained] = (typeof cell === "string" ? JSON.parse(cell) : cell) as Array<{
      Plan: PlanNode;
      "Execution Time"?: number;
    }>;
    if (!explained) throw new Error(`EXPLAIN of "${query.name}" returned no plan`);
    results.push({
      name: query.name,
      index: query.index,
      usesIndex: planUsesIndex(explained.Plan, query),
      summary: nodesOf(explained.Plan).map(describeNode).join(" > "),
      executionMs: explained["Execution Time"],
      plan: explained.Plan,
    });
  }
  return results;
}
