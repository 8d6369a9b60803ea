/**
 * Renders the scale curve as a standalone SVG: small multiples, one log-log panel per figure (memory,
 * CPU per update, convergence, one announce, 1,000 one by one), routes in total on x, a line per
 * sender. Log on both axes because sizes span two decades and riplet and FRR differ by one or two.
 * A hollow point is a bound (a deadline the sender missed). Pure function of its input, like plot.ts.
 */
import { escapeXml, formatAxisMs } from "./plot.js";

export interface ScalePointXY {
  /** Routes in total. */
  x: number;
  y: number;
  /** The figure is a deadline the sender hit: the real one is at least this (drawn hollow). */
  atLeast: boolean;
}

export interface ScaleSeries {
  label: string;
  /** Picks the colour. */
  speaker: string;
  points: ScalePointXY[];
  dashed?: boolean;
}

export interface ScalePanel {
  title: string;
  unit: string;
  series: ScaleSeries[];
}

const COLOURS: Record<string, string> = {
  riplet: "#2563eb",
  "riplet-idle": "#93c5fd",
  "frr-ripd": "#ea580c",
  "frr-stack": "#f59e0b",
};
const PANEL_W = 420;
const PANEL_H = 230;
const PAD = { left: 64, right: 16, top: 28, bottom: 34 };
const TOP = 40;
const COLUMNS = 2;

const r1 = (n: number): string => String(Math.round(n * 10) / 10);

/** Whole decades around the values; one decade at least. */
export function decades(values: number[]): [number, number] {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return [1, 10];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  return [lo, hi > lo ? hi : lo * 10];
}

function log(domain: [number, number], a: number, b: number): (v: number) => number {
  const [l0, l1] = [Math.log10(domain[0]), Math.log10(domain[1])];
  return (v) => a + ((Math.log10(Math.max(domain[0], v)) - l0) / (l1 - l0)) * (b - a);
}

export function formatRoutes(n: number): string {
  return n >= 1000 ? `${n / 1000}k` : String(n);
}

function formatTick(v: number, unit: string): string {
  if (unit === "ms") return formatAxisMs(v);
  return unit.endsWith("/s") ? `${v.toLocaleString("en-US")}/s` : `${v.toLocaleString("en-US")} ${unit}`;
}

function grid(
  xd: [number, number],
  yd: [number, number],
  x: (v: number) => number,
  y: (v: number) => number,
  unit: string,
) {
  const out: string[] = [];
  const [bottom, top] = [y(yd[0]), y(yd[1])];
  for (let v = xd[0]; v <= xd[1]; v *= 10) {
    out.push(`<line x1="${r1(x(v))}" x2="${r1(x(v))}" y1="${r1(top)}" y2="${r1(bottom)}" class="grid"/>`);
    out.push(
      `<text x="${r1(x(v))}" y="${r1(bottom + 14)}" text-anchor="middle" class="tick">${formatRoutes(v)}</text>`,
    );
  }
  for (let v = yd[0]; v <= yd[1]; v *= 10) {
    out.push(
      `<line x1="${r1(x(xd[0]))}" x2="${r1(x(xd[1]))}" y1="${r1(y(v))}" y2="${r1(y(v))}" class="grid"/>`,
    );
    out.push(
      `<text x="${r1(x(xd[0]) - 4)}" y="${r1(y(v) + 4)}" text-anchor="end" class="tick">${escapeXml(formatTick(v, unit))}</text>`,
    );
  }
  return out;
}

function seriesSvg(s: ScaleSeries, x: (v: number) => number, y: (v: number) => number): string[] {
  const colour = COLOURS[s.speaker] ?? "#6b7280";
  const pts = [...s.points].sort((a, b) => a.x - b.x);
  const path = pts.map((p) => `${r1(x(p.x))},${r1(y(p.y))}`).join(" ");
  const dash = s.dashed ? ' stroke-dasharray="5 4"' : "";
  const out =
    pts.length > 1
      ? [`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`]
      : [];
  for (const p of pts) {
    const fill = p.atLeast ? "#ffffff" : colour;
    out.push(
      `<circle class="point" cx="${r1(x(p.x))}" cy="${r1(y(p.y))}" r="3.5" fill="${fill}" stroke="${colour}" stroke-width="1.5"/>`,
    );
  }
  return out;
}

function panelSvg(panel: ScalePanel, xd: [number, number], ox: number, oy: number): string[] {
  const yd = decades(panel.series.flatMap((s) => s.points.map((p) => p.y)));
  const x = log(xd, ox + PAD.left, ox + PANEL_W - PAD.right);
  const y = log(yd, oy + PANEL_H - PAD.bottom, oy + PAD.top);
  const out = [
    `<text x="${r1(ox + PAD.left)}" y="${r1(oy + 18)}" class="panel">${escapeXml(panel.title)}</text>`,
  ];
  out.push(...grid(xd, yd, x, y, panel.unit));
  for (const s of panel.series) out.push(...seriesSvg(s, x, y));
  return out;
}

function legend(panels: ScalePanel[]): string[] {
  const seen = new Map<string, ScaleSeries>();
  for (const s of panels.flatMap((p) => p.series)) if (!seen.has(s.label)) seen.set(s.label, s);
  return [...seen.values()].flatMap((s, i) => {
    const lx = 10 + i * 170;
    const colour = COLOURS[s.speaker] ?? "#6b7280";
    return [
      `<line x1="${lx}" x2="${lx + 18}" y1="${TOP + 6}" y2="${TOP + 6}" stroke="${colour}" stroke-width="3"${s.dashed ? ' stroke-dasharray="5 4"' : ""}/>`,
      `<text x="${lx + 24}" y="${TOP + 10}">${escapeXml(s.label)}</text>`,
    ];
  });
}

export function scaleSvg(
  panels: ScalePanel[],
  title = "Scale curve (log-log; hollow = a missed deadline, a bound)",
): string {
  const xd = decades(panels.flatMap((p) => p.series.flatMap((s) => s.points.map((pt) => pt.x))));
  const rows = Math.max(1, Math.ceil(panels.length / COLUMNS));
  const width = COLUMNS * PANEL_W;
  const height = TOP + 24 + rows * PANEL_H;
  const body = panels.flatMap((panel, i) =>
    panelSvg(panel, xd, (i % COLUMNS) * PANEL_W, TOP + 24 + Math.floor(i / COLUMNS) * PANEL_H),
  );
  if (panels.length === 0) body.push(`<text x="10" y="${TOP + 60}" class="note">no scale figures</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    "<style>.grid{stroke:#e5e7eb}.tick{fill:#4b5563;font-size:10px}.panel{font-weight:bold;font-size:13px}.note{fill:#6b7280;font-style:italic}</style>",
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...legend(panels),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
