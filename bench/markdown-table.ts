// A GitHub Markdown table: the first column left-aligned, the figures right-aligned.
export function markdownTable(header: string[], rows: Array<Array<string | number | null>>): string[] {
  const cells = rows.map((row) => row.map((cell) => (cell === null ? "–" : String(cell))));
  return [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`, ...cells.map((row) => `| ${row.join(" | ")} |`)];
}
