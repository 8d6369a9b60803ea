/**
 * Renders latency trials as a standalone SVG strip plot: one panel per phase, one row per
 * speaker/gateway pair, every trial as a dot over a p25–p75 box with a median tick.
 *
 * The time axis is log10 because riplet and the host daemons differ by two orders of magnitude; on a
 * linear axis riplet's rows would collapse into the left edge. Output is a pure function of the input
 * (no Math.random, fixed rounding) so regenerating docs from the same JSONL gives a zero-line diff.
 */

import { formatMs } from "./report-format.js";
import { PHASE_LABELS } from "./report-latency.js";

export interface LatencySeries {
  label: string;
  phase: string;
  samples: number[];
  /** Picks the colour; series with the same speaker share one. Defaults to the label. */
  speaker?: string;
  /** The run's own median, so the plot agrees with the table; defaults to the samples' median. */
  median?: number;
  /** The figure is a cap the measurement hit (the route was still there): labelled "> …". */
  atLeast?: boolean;
}

export interface PlotOptions {
  title?: string;
  width?: number;
}

export const PHASES = ["announce", "reannounce", "withdraw", "kill", "stop"] as const;

const KNOWN_COLOURS: Record<string, string> = {
  riplet: "#2563eb",
  "frr-connected": "#ea580c",
  "bird-direct": "#16a34a",
  "frr-static": "#f59e0b",
  "bird-static": "#4d7c0f",
};
const SPARE_COLOURS = ["#9333ea", "#0891b2", "#be123c", "#6b7280"];

const LABEL_WIDTH = 170; // room for "bird-host → bird" at 12px
const MEDIAN_WIDTH = 80; // right-hand column with each row's median
const ROW_HEIGHT = 26;
const PANEL_HEAD = 24;
const AXIS_HEIGHT = 34;
const TOP = 72; // title + legend
const MIN_MS = 1; // log axis: anything at or below 1 ms (or a bogus 0) is drawn at 1 ms

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Fixed one-decimal coordinates keep the file small and byte-stable across platforms. */
const r1 = (n: number): string => String(Math.round(n * 10) / 10);

export function formatAxisMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Linear-interpolated quantile of ascending values (the same definition as numpy's default). */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Whole decades covering the data, never narrower than 10 ms – 10 s so runs stay comparable. */
export function decadeDomain(values: number[]): [number, number] {
  const clamped = values.filter(Number.isFinite).map((v) => Math.max(MIN_MS, v));
  const lo = clamped.length ? 10 ** Math.floor(Math.log10(Math.min(...clamped))) : 10;
  const hi = clamped.length ? 10 ** Math.ceil(Math.log10(Math.max(...clamped))) : 10_000;
  return [Math.min(lo, 10), Math.max(hi, 10_000)];
}

/** Maps milliseconds to an x pixel on a log10 axis spanning [x0, x1]. */
export function logScale(domain: [number, number], x0: number, x1: number): (ms: number) => number {
  const [a, b] = [Math.log10(domain[0]), Math.log10(domain[1])];
  return (ms) => x0 + ((Math.log10(Math.max(MIN_MS, ms)) - a) / (b - a)) * (x1 - x0);
}

function colourFor(keys: string[]): (key: string) => string {
  const spare = keys.filter((k) => !(k in KNOWN_COLOURS));
  return (key) => KNOWN_COLOURS[key] ?? SPARE_COLOURS[spare.indexOf(key) % SPARE_COLOURS.length]!;
}

/**
 * Vertical jitter from the sample index alone: stepping by 3 modulo 7 spreads neighbouring (often
 * similar) trials across different heights instead of stacking them.
 */
function jitter(i: number, halfSpan: number): number {
  return ((((i * 3) % 7) - 3) / 3) * halfSpan;
}

/** One series at height y: label, p25–p75 box, a dot per trial, the median tick and its value. */
function row(s: LatencySeries, y: number, frame: Frame, colour: string): string[] {
  const { x, width } = frame;
  const out = [
    `<text x="${LABEL_WIDTH - 10}" y="${r1(y + 4)}" text-anchor="end">${escapeXml(s.label)}</text>`,
  ];
  const sorted = s.samples.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) {
    out.push(`<text x="${LABEL_WIDTH + 6}" y="${r1(y + 4)}" class="note">no samples</text>`);
    if (s.median !== undefined)
      out.push(`<text x="${width - MEDIAN_WIDTH + 10}" y="${r1(y + 4)}">${formatMs(s.median)}</text>`);
    return out;
  }
  const median = s.median ?? quantile(sorted, 0.5);
  const [q1, q3] = [x(quantile(sorted, 0.25)), x(quantile(sorted, 0.75))];
  const med = x(median);
  const h = ROW_HEIGHT * 0.6;
  out.push(
    `<rect x="${r1(q1)}" y="${r1(y - h / 2)}" width="${r1(Math.max(1, q3 - q1))}" height="${r1(h)}" ` +
      `fill="${colour}" fill-opacity="0.15" stroke="${colour}"/>`,
  );
  s.samples.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const cy = y + jitter(i, ROW_HEIGHT * 0.3);
    out.push(`<circle class="dot" cx="${r1(x(v))}" cy="${r1(cy)}" r="3" fill="${colour}"/>`);
  });
  out.push(
    `<line x1="${r1(med)}" x2="${r1(med)}" y1="${r1(y - h / 2 - 2)}" y2="${r1(y + h / 2 + 2)}" class="median"/>`,
    `<text x="${width - MEDIAN_WIDTH + 10}" y="${r1(y + 4)}">${escapeXml(`${s.atLeast ? "> " : ""}${formatMs(median)}`)}</text>`,
  );
  return out;
}

/** Decade gridlines through the panel body, labelled under it. */
function axis(domain: [number, number], x: (ms: number) => number, top: number, bottom: number): string[] {
  const out: string[] = [];
  for (let ms = domain[0]; ms <= domain[1]; ms *= 10) {
    const gx = r1(x(ms));
    out.push(
      `<line x1="${gx}" x2="${gx}" y1="${r1(top)}" y2="${r1(bottom)}" class="grid"/>`,
      `<text x="${gx}" y="${r1(bottom + 15)}" text-anchor="middle" class="tick">${formatAxisMs(ms)}</text>`,
    );
  }
  return out;
}

function legend(keys: string[], colour: (key: string) => string): string[] {
  return keys.flatMap((key, i) => {
    const lx = LABEL_WIDTH + i * 130;
    return [
      `<rect x="${lx}" y="42" width="12" height="12" fill="${colour(key)}"/>`,
      `<text x="${lx + 18}" y="52">${escapeXml(key)}</text>`,
    ];
  });
}

interface Frame {
  domain: [number, number];
  x: (ms: number) => number;
  colour: (key: string) => string;
  width: number;
}

/** Stacks one panel per phase below TOP; returns the SVG elements and where the last panel ends. */
function panels(series: LatencySeries[], frame: Frame): { body: string[]; bottom: number } {
  // Known phases first in their natural order, then anything unexpected so nothing is dropped.
  const extra = series.map((s) => s.phase).filter((p) => !PHASES.includes(p as never));
  const body: string[] = [];
  let y = TOP;
  for (const phase of [...PHASES, ...new Set(extra)]) {
    const rows = series.filter((s) => s.phase === phase);
    if (rows.length === 0) continue;
    body.push(
      `<text x="10" y="${r1(y + 16)}" class="panel">${escapeXml(PHASE_LABELS[phase] ?? phase)}</text>`,
    );
    const top = y + PANEL_HEAD;
    const bottom = top + rows.length * ROW_HEIGHT;
    body.push(...axis(frame.domain, frame.x, top, bottom));
    rows.forEach((s, i) => {
      const colour = frame.colour(s.speaker ?? s.label);
      body.push(...row(s, top + (i + 0.5) * ROW_HEIGHT, frame, colour));
    });
    y = bottom + AXIS_HEIGHT;
  }
  if (series.length === 0) {
    body.push(`<text x="${LABEL_WIDTH}" y="${TOP + 20}" class="note">no latency series</text>`);
    y += 40;
  }
  return { body, bottom: y };
}

export function latencySvg(series: LatencySeries[], options: PlotOptions = {}): string {
  const width = options.width ?? 880;
  const title = options.title ?? "Route change latency per trial (log scale, lower is better)";
  // One shared axis for every panel, so announce and kill can be compared by eye.
  const domain = decadeDomain(series.flatMap((s) => s.samples));
  const x = logScale(domain, LABEL_WIDTH, width - MEDIAN_WIDTH);
  const keys = [...new Set(series.map((s) => s.speaker ?? s.label))];
  const colour = colourFor(keys);
  const { body, bottom } = panels(series, { domain, x, colour, width });
  const height = r1(bottom + 10);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    "<style>.grid{stroke:#d1d5db}.tick{fill:#4b5563;font-size:11px}.panel{font-weight:bold;font-size:14px}" +
      ".median{stroke:#111827;stroke-width:2.5}.note{fill:#6b7280;font-style:italic}.dot{fill-opacity:0.6}</style>",
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    ...legend(keys, colour),
    `<text x="${width - MEDIAN_WIDTH + 10}" y="${TOP + 16}" class="tick">median</text>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}
