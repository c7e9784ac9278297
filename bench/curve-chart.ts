// The "how cost grows" curves as an SVG chart (written by hand: no charting package, no
// network). Two panels over page size 10/50/100 at fixed data: requests/s (log scale) and p99
// latency; each server a line, and its 200,000-record point a hollow marker at its page size.
/** One point of a curve: one server, one case, one measured run. */
export type CurvePoint = {
  server: string;
  case: string;
  records: number;
  pageSize: number;
  requestsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  statementsPerRequest: number | null;
  failures: number;
};


const WIDTH = 760;
const HEIGHT = 345;
const PANEL = { top: 40, bottom: 260, left: [70, 450], width: 280 };
const COLORS: Record<string, string> = { A: "#c0392b", D: "#2c3e50", B: "#27ae60", C: "#8e44ad" };

type Panel = { title: string; value: (point: CurvePoint) => number; log: boolean };

const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function niceTicks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const ticks: number[] = [];
    for (let decade = 10 ** Math.floor(Math.log10(min)); decade <= max * 10; decade *= 10) {
      for (const step of [1, 2, 5]) if (decade * step >= min && decade * step <= max) ticks.push(decade * step);
    }
    return ticks;
  }
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1));
  const nice = [1, 2, 5, 10].map((factor) => factor * step).find((candidate) => max / candidate <= 6) ?? step * 10;
  return Array.from({ length: Math.floor(max / nice) + 1 }, (_, index) => index * nice);
}

function drawPanel(panel: Panel, left: number, points: CurvePoint[], pageSizes: number[], smallRecords: number): string[] {
  const values = points.map(panel.value).filter((value) => value > 0);
  const min = panel.log ? Math.min(...values) * 0.8 : 0;
  const max = Math.max(...values) * 1.1;
  const y = (value: number) =>
    panel.log
      ? PANEL.bottom - ((Math.log10(value) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * (PANEL.bottom - PANEL.top)
      : PANEL.bottom - (value / max) * (PANEL.bottom - PANEL.top);
  const x = (pageSize: number) => left + (pageSizes.indexOf(pageSize) + 0.5) * (PANEL.width / pageSizes.length);
  const out = [
    `<text x="${left + PANEL.width / 2}" y="${PANEL.top - 16}" text-anchor="middle" font-weight="bold">${escape(panel.title)}</text>`,
    `<line x1="${left}" y1="${PANEL.bottom}" x2="${left + PANEL.width}" y2="${PANEL.bottom}" stroke="#999"/>`,
    `<line x1="${left}" y1="${PANEL.top}" x2="${left}" y2="${PANEL.bottom}" stroke="#999"/>`,
  ];
  for (const tick of niceTicks(min, max, panel.log)) {
    out.push(
      `<line x1="${left}" y1="${y(tick)}" x2="${left + PANEL.width}" y2="${y(tick)}" stroke="#eee"/>`,
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${tick}</text>`,
    );
  }
  for (const pageSize of pageSizes) {
    out.push(`<text x="${x(pageSize)}" y="${PANEL.bottom + 16}" text-anchor="middle" font-size="11">${pageSize}</text>`);
  }
  out.push(`<text x="${left + PANEL.width / 2}" y="${PANEL.bottom + 34}" text-anchor="middle" font-size="11">page size (records per request)</text>`);
  for (const server of [...new Set(points.map((point) => point.server))].sort()) {
    const color = COLORS[server] ?? "#555";
    const line = points
      .filter((point) => point.server === server && point.records === smallRecords)
      .sort((a, b) => a.pageSize - b.pageSize);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${line.map((point) => `${x(point.pageSize)},${y(panel.value(point))}`).join(" ")}"/>`);
    for (const point of points.filter((candidate) => candidate.server === server)) {
      const filled = point.records === smallRecords;
      out.push(
        `<circle cx="${x(point.pageSize)}" cy="${y(panel.value(point))}" r="${filled ? 3.5 : 6}" fill="${filled ? color : "none"}" stroke="${color}" stroke-width="2"/>`,
      );
    }
  }
  return out;
}

/** SVG of the curve; empty when there is no curve (BENCH_SCALING=off). */
export function curveChartSvg(curve: CurvePoint[]): string {
  if (curve.length === 0) return "";
  const pageSizes = [...new Set(curve.map((point) => point.pageSize))].sort((a, b) => a - b);
  const smallRecords = Math.min(...curve.map((point) => point.records));
  const largeRecords = Math.max(...curve.map((point) => point.records));
  const panels: Panel[] = [
    { title: "requests per second (log scale)", value: (point) => point.requestsPerSecond, log: true },
    { title: "p99 latency, ms", value: (point) => point.p99Ms, log: false },
  ];
  const servers = [...new Set(curve.map((point) => point.server))].sort();
  const legend = servers.map(
    (server, index) =>
      `<g transform="translate(${70 + index * 90},${HEIGHT - 14})"><line x1="0" y1="-4" x2="18" y2="-4" stroke="${COLORS[server] ?? "#555"}" stroke-width="2"/><text x="24" y="0" font-size="12">${server}</text></g>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    ...panels.flatMap((panel, index) => drawPanel(panel, PANEL.left[index]!, curve, pageSizes, smallRecords)),
    ...legend,
    `<text x="${70 + servers.length * 90}" y="${HEIGHT - 14}" font-size="12">lines: ${smallRecords.toLocaleString("en")} records; hollow: ${largeRecords.toLocaleString("en")} records</text>`,
    "</svg>",
    "",
  ].join("\n");
}
