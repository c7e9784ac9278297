// The request Q every server answers, and the shape of its data.
export const benchQuery = `query BenchPage($first: Int!) {
  records(first: $first) {
    edges { node { referenceNumber categoryCode createdDate attachments(first: 10) { edges { node { filename } } } } }
  }
}`;

export const ATTACHMENTS_PER_RECORD_IN_Q = 10;

export function benchRequestBody(first: number): string {
  return JSON.stringify({ query: benchQuery, variables: { first }, operationName: "BenchPage" });
}

export type BenchPageData = {
  records: {
    edges: Array<{
      node: {
        referenceNumber: string;
        categoryCode: string;
        createdDate: string;
        attachments: { edges: Array<{ node: { filename: string } }> };
      };
    }>;
  };
};

/** Where two JSON values first differ ("" when they are equal). */
export function firstDifference(a: unknown, b: unknown, at = "data"): string {
  if (a === b) return "";
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return `${at}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return `${at}: ${a.length} items vs ${other.length}`;
    for (let i = 0; i < a.length; i++) {
      const difference = firstDifference(a[i], other[i], `${at}[${i}]`);
      if (difference) return difference;
    }
    return "";
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    const difference = firstDifference(left[key], right[key], `${at}.${key}`);
    if (difference) return difference;
  }
  return "";
}
