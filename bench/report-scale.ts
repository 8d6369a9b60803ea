/**
 * The scale part of the benchmark report: the curve as tables with a row per size (memory and CPU;
 * convergence and one announce; 1,000 announces one by one), the points for the scale plot, and every
 * scale line in a collapsed detail table so no figure of the run is left out.
 *
 * Names are `scale.METRIC.SPEAKER[.FAMILY].nSIZE` and `ratio.scale.METRIC.riplet/OTHER[.FAMILY].nSIZE`
 * (bench/interop/scale.ts). Ratios are riplet ÷ FRR as the run wrote them: below 1, riplet used less.
 */
import type { ScalePanel, ScaleSeries } from "./plot-scale.js";
import { type BenchLine, details, formatMs, formatValue, table, valueCell } from "./report-format.js";

const SCALE_NAME = /^scale\.([a-z-]+)\.([a-z-]+)(?:\.(ipv4|ipv6))?\.n(\d+)$/;
const RATIO_NAME = /^ratio\.scale\.([a-z-]+)\.riplet\/([a-z-]+)(?:\.(ipv4|ipv6))?\.n(\d+)$/;

/** The figures of one size, keyed `metric.speaker[.family]` (ratios: `ratio.metric.other[.family]`). */
export interface ScalePoint {
  total: number;
  lines: Map<string, BenchLine>;
}

export function isScaleLine(line: BenchLine): boolean {
  return line.name.startsWith("scale.") || line.name.startsWith("ratio.scale.");
}

/** The run's sized scale lines grouped by size, smallest first. */
export function scalePoints(lines: BenchLine[]): ScalePoint[] {
  const points = new Map<number, ScalePoint>();
  for (const line of lines) {
    const m = SCALE_NAME.exec(line.name);
    const r = RATIO_NAME.exec(line.name);
    const hit = m ?? r;
    if (!hit) continue;
    const [, metric, who, family, n] = hit;
    const total = Number(n);
    const point = points.get(total) ?? { total, lines: new Map() };
    points.set(total, point);
    const key = `${r ? "ratio." : ""}${metric}.${who}${family ? `.${family}` : ""}`;
    point.lines.set(key, line);
  }
  return [...points.values()].sort((a, b) => a.total - b.total);
}

/** A figure, possibly a bound: convergence of both families is the later one; missing adds up. */
export interface Figure {
  value: number;
  unit: string;
  /** The figure is a deadline or timeout the measurement hit: the real one is at least this. */
  atLeast: boolean;
  missing?: number;
}

function figureOf(line: BenchLine | undefined): Figure | undefined {
  if (!line) return undefined;
  const atLeast = line.converged === false || line.bound === "at least";
  const missing = typeof line.missing === "number" ? line.missing : undefined;
  return { value: line.value, unit: line.unit, atLeast, ...(missing !== undefined ? { missing } : {}) };
}

/** `converge` is per family in the run; the curve wants "every prefix", the later of the two. */
export function figure(point: ScalePoint, metric: string, speaker: string): Figure | undefined {
  if (metric !== "converge") return figureOf(point.lines.get(`${metric}.${speaker}`));
  const parts = ["ipv4", "ipv6"].map((f) => figureOf(point.lines.get(`converge.${speaker}.${f}`)));
  const found = parts.filter((p): p is Figure => p !== undefined);
  if (found.length === 0) return undefined;
  const missing = found.reduce((sum, f) => sum + (f.missing ?? 0), 0);
  const value = Math.max(...found.map((f) => f.value));
  return { value, unit: "ms", atLeast: found.some((f) => f.atLeast), missing };
}

function cell(f: Figure | undefined, skipped: boolean): string {
  if (!f) return skipped ? "skipped" : "—";
  const shown = formatValue(f.value, f.unit);
  if (!f.atLeast) return shown;
  return f.missing ? `> ${shown} (${f.missing.toLocaleString("en-US")} missing)` : `> ${shown}`;
}

/** "0.16", "≤ 0.023": riplet ÷ FRR, two significant digits below 0.1. */
export function shortRatio(r: number, bound?: unknown): string {
  if (!Number.isFinite(r) || r <= 0) return "—";
  const mark = bound === "at most" ? "≤ " : bound === "at least" ? "≥ " : "";
  return `${mark}${r.toFixed(Math.max(2, Math.ceil(-Math.log10(r)) + 1))}`;
}

/** The run's ratio line, else the two figures divided (bounded by whichever is a bound). */
function ratioCell(point: ScalePoint, metric: string, other = "frr-ripd"): string {
  const quoted = point.lines.get(`ratio.${metric}.${other}`);
  if (quoted) return shortRatio(quoted.value, quoted.bound);
  const ours = figure(point, metric, "riplet");
  const theirs = figure(point, metric, other);
  if (!ours || !theirs || !(theirs.value > 0) || (ours.atLeast && theirs.atLeast)) return "—";
  const bound = theirs.atLeast ? "at most" : ours.atLeast ? "at least" : undefined;
  return shortRatio(ours.value / theirs.value, bound);
}

interface Column {
  header: string;
  cell: (point: ScalePoint, skipped: boolean) => string;
}

const fig = (metric: string, speaker: string): Column["cell"] => {
  return (p, skipped) => cell(figure(p, metric, speaker), skipped && speaker !== "riplet");
};

const MEMORY: Column[] = [
  { header: "riplet RSS", cell: fig("rss", "riplet") },
  { header: "FRR ripd+ripngd RSS", cell: fig("rss", "frr-ripd") },
  { header: "riplet ÷ ripd+ripngd", cell: (p) => ratioCell(p, "rss") },
  { header: "FRR zebra+staticd+ripd+ripngd RSS", cell: fig("rss", "frr-stack") },
  { header: "riplet ÷ FRR stack", cell: (p) => ratioCell(p, "rss", "frr-stack") },
  { header: "riplet CPU per update", cell: fig("cpu-per-update", "riplet") },
  { header: "FRR CPU per update", cell: fig("cpu-per-update", "frr-ripd") },
  { header: "riplet ÷ FRR", cell: (p) => ratioCell(p, "cpu-per-update") },
];

const announceCell: Column["cell"] = (p) => {
  const ack = figure(p, "announce-ack", "riplet");
  const kernel = cell(figure(p, "announce", "riplet"), false);
  return ack ? `${formatMs(ack.value)} / ${kernel}` : kernel;
};

/** Datagrams the gateway dropped for a full receive buffer while a sender converged, both families. */
function drops(p: ScalePoint, speaker: string): string {
  const counts = ["ipv4", "ipv6"].map((f) => p.lines.get(`converge.${speaker}.${f}`)?.gatewayRcvbufErrors);
  if (!counts.every((c) => typeof c === "number")) return "—";
  return (counts as number[]).reduce((a, b) => a + b, 0).toLocaleString("en-US");
}

const CHANGES: Column[] = [
  { header: "riplet: all in gateway's kernel", cell: fig("converge", "riplet") },
  { header: "FRR: all in gateway's kernel", cell: fig("converge", "frr-ripd") },
  { header: "riplet ÷ FRR", cell: (p) => ratioCell(p, "converge") },
  {
    header: "gateway's receive-buffer drops: riplet / FRR",
    cell: (p) => `${drops(p, "riplet")} / ${drops(p, "frr-ripd")}`,
  },
  { header: "riplet one announce: ack / gateway's kernel", cell: announceCell },
  { header: "FRR one announce: gateway's kernel", cell: fig("announce", "frr-ripd") },
  { header: "riplet ÷ FRR", cell: (p) => ratioCell(p, "announce") },
];

const ONE_BY_ONE: Column[] = [
  { header: "riplet announces acknowledged", cell: fig("one-by-one-rate", "riplet") },
  { header: "riplet: all in gateway's kernel", cell: fig("one-by-one", "riplet") },
  { header: "FRR (ip -batch): all in gateway's kernel", cell: fig("one-by-one", "frr-ripd") },
  { header: "riplet ÷ FRR", cell: (p) => ratioCell(p, "one-by-one") },
];

function curveTable(points: ScalePoint[], columns: Column[], idle?: BenchLine): string {
  const rows = points.map((p) => {
    const skipped = p.lines.has("skipped.frr-ripd");
    return [p.total.toLocaleString("en-US"), ...columns.map((c) => c.cell(p, skipped))];
  });
  if (idle) rows.unshift(["0 (idle)", valueCell(idle), ...columns.slice(1).map(() => "")]);
  return table(["routes", ...columns.map((c) => c.header)], rows);
}

/** The scale section's markdown: the three curve tables, the plot, every line, and skipped sizes. */
export function scaleSection(lines: BenchLine[], svgHref: string): string[] {
  if (lines.length === 0) return [];
  const points = scalePoints(lines);
  const idle = lines.find((l) => l.name === "scale.rss.riplet-idle");
  const out = ["### Scale"];
  if (points.length) {
    out.push(
      "Routes in total, half IPv4 /32s, half IPv6 /64s, announced by one host to an FRR gateway: riplet from " +
        "its config, FRR ripd/ripngd by `redistribute kernel` of blackholes, each in a fresh lab, both with a " +
        "10 s update timer. Ratios are riplet ÷ FRR (below 1 riplet used less). `>` marks a deadline the " +
        "sender missed, with the routes still missing then; a ratio built on it is a bound (≤, ≥).",
      "**Memory once converged and idle over the update cycles, and CPU per periodic update** (whole process, idle work included)",
      curveTable(points, MEMORY, idle),
      "**Convergence from the sender's start, and one more announce on top of that table** (median of the " +
        "trials, each after a 6 s quiet gap). Drops: UDP datagrams the gateway's kernel dropped for a full " +
        "socket receive buffer while the sender converged; each dropped update loses its routes until a later one.",
      curveTable(points, CHANGES),
      "**1,000 announces one by one** (riplet: a control request each, awaiting its ack; FRR: " +
        "`ip -batch` of 1,000 `route add blackhole`, one netlink request each)",
      curveTable(points, ONE_BY_ONE),
      `![Scale curve, log-log](${svgHref})`,
    );
  }
  for (const skip of lines.filter((l) => l.name.startsWith("scale.skipped."))) {
    out.push(`FRR skipped at ${skip.value.toLocaleString("en-US")} routes: ${String(skip.reason ?? "")}.`);
  }
  const rows = lines.map((l) => [l.name.replace(/^scale\./, ""), valueCell(l), details(l)]);
  out.push(
    "<details><summary>Every scale figure</summary>",
    table(["measurement", "value", "details"], rows),
    "</details>",
  );
  return out;
}

const PANELS: { title: string; metric: string; unit: string; speakers: [string, string][] }[] = [
  {
    title: "Resident memory",
    metric: "rss",
    unit: "MiB",
    speakers: [
      ["riplet", "riplet"],
      ["frr-ripd", "FRR ripd+ripngd"],
      ["frr-stack", "FRR whole stack"],
    ],
  },
  { title: "CPU per periodic update", metric: "cpu-per-update", unit: "ms", speakers: [] },
  { title: "All routes in the gateway's kernel", metric: "converge", unit: "ms", speakers: [] },
  { title: "One announce → gateway's kernel (median)", metric: "announce", unit: "ms", speakers: [] },
  { title: "1,000 one by one → all in gateway's kernel", metric: "one-by-one", unit: "ms", speakers: [] },
  {
    title: "1,000 one by one: announces acknowledged",
    metric: "one-by-one-rate",
    unit: "announces/s",
    speakers: [["riplet", "riplet"]],
  },
];
const SENDERS: [string, string][] = [
  ["riplet", "riplet"],
  ["frr-ripd", "FRR ripd+ripngd"],
];

/** The scale plot's panels from the run (a panel with no figure at all is left out). */
export function scalePanels(lines: BenchLine[]): ScalePanel[] {
  const points = scalePoints(lines);
  const idle = lines.find((l) => l.name === "scale.rss.riplet-idle");
  return PANELS.flatMap(({ title, metric, unit, speakers }) => {
    const series: ScaleSeries[] = (speakers.length ? speakers : SENDERS).map(([speaker, label]) => ({
      label,
      speaker,
      points: points.flatMap((p) => {
        const f = figure(p, metric, speaker);
        // 0 (CPU below the 10 ms clock tick) has no place on a log axis: left to the tables
        return f && f.value > 0 ? [{ x: p.total, y: f.value, atLeast: f.atLeast }] : [];
      }),
    }));
    const found = series.filter((s) => s.points.length > 0);
    if (metric === "rss" && idle && points.length) {
      // riplet with no routes, drawn across the curve so the growth above it shows
      const flat = points.map((p) => ({ x: p.total, y: idle.value, atLeast: false }));
      found.push({ label: "riplet idle", speaker: "riplet-idle", points: flat, dashed: true });
    }
    return found.length ? [{ title, unit, series: found }] : [];
  });
}
