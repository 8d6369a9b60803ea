/**
 * `node dist/bench/report.js RUN.jsonl [--md docs/BENCHMARKS.md] [--svg docs/bench/latency.svg]
 * [--scale-svg docs/bench/scale.svg]`: turns one benchmark run's JSONL into the results tables of
 * docs/BENCHMARKS.md, a latency plot and a scale plot (the scale one beside the latency one by default).
 *
 * Only the text between the results markers is rewritten, so the hand-written method and caveats around
 * them survive every re-run. Every line of the run lands in some table: a figure that silently vanished
 * from the report would be worse than an ugly row.
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { isDirectRun } from "./direct-run.js";
import { type LatencySeries, latencySvg } from "./plot.js";
import { scaleSvg } from "./plot-scale.js";
import { type BenchLine, details, machineLine, order, table, valueCell } from "./report-format.js";
import { GATEWAYS, latencyOf, latencyTable, SPEAKERS, summaryTables } from "./report-latency.js";
import { isScaleLine, scalePanels, scaleSection } from "./report-scale.js";

export type { BenchLine } from "./report-format.js";
export { formatMs, formatRate, formatRatio } from "./report-format.js";
export { formatVersus } from "./report-latency.js";

export interface RenderOptions {
  /** Image link target, relative to the markdown file. */
  svgHref?: string;
  /** The scale plot's link target, relative to the markdown file. */
  scaleSvgHref?: string;
}

export const START_MARKER = "<!-- results:start -->";
export const END_MARKER = "<!-- results:end -->";

/** Plot rows in the table's order (gateway, then speaker), whatever order the run wrote them in. */
export function latencySeries(lines: BenchLine[]): LatencySeries[] {
  const found = lines.flatMap((line) => {
    const l = latencyOf(line);
    if (!l) return [];
    // a speaker-stopped figure is one measurement with no samples list: plot it as its one dot
    const listed = Array.isArray(line.samples)
      ? line.samples.filter((s) => typeof s === "number")
      : [line.value];
    const atLeast = Number(line.remaining) > 0;
    const { phase, speaker, gateway } = l;
    return [
      {
        label: `${speaker} → ${gateway}`,
        phase,
        samples: listed,
        speaker,
        median: line.value,
        atLeast,
        gateway,
      },
    ];
  });
  const gateways = order(
    GATEWAYS,
    found.map((s) => s.gateway),
  );
  const speakers = order(
    SPEAKERS,
    found.map((s) => s.speaker),
  );
  const rank = (s: (typeof found)[number]) =>
    gateways.indexOf(s.gateway) * 1000 + speakers.indexOf(s.speaker);
  return found.sort((a, b) => rank(a) - rank(b)).map(({ gateway: _, ...series }) => series);
}

export function renderResults(lines: BenchLine[], options: RenderOptions = {}): string {
  const byName = new Map(lines.map((l) => [l.name, l]));
  const used = new Set<string>();
  const take = (pred: (l: BenchLine) => boolean) => {
    const hit = lines.filter((l) => !used.has(l.name) && pred(l));
    for (const l of hit) used.add(l.name);
    return hit;
  };
  const machine = take((l) => l.name === "machine")[0];
  const latency = take((l) => latencyOf(l) !== undefined).map((l) => latencyOf(l)!);
  const summary = summaryTables(latency, byName);
  const detail = latencyTable(latency, byName, used);
  const hooks = take((l) => l.name.startsWith("hook-up."));
  const scale = take(isScaleLine);
  const fanin = take((l) => l.name.startsWith("fanin.") || l.name.startsWith("burst."));
  const codec = take((l) => l.unit.endsWith("/s"));
  const other = take(() => true);

  const out = [machineLine(machine)];
  const section = (title: string, header: string[], rows: string[][]) => {
    if (rows.length) out.push(`### ${title}`, table(header, rows));
  };
  if (latency.length) {
    out.push("### Latency", ...summary);
    out.push(`![Latency per trial, log scale](${options.svgHref ?? "bench/latency.svg"})`);
    out.push("#### Every series", detail);
  }
  out.push(...scaleSection(scale, options.scaleSvgHref ?? "bench/scale.svg"));
  const generic = (l: BenchLine) => [l.name, valueCell(l), details(l)];
  section("Up-script run time (QEMU waits for it)", ["measurement", "median", "details"], hooks.map(generic));
  section("Fan-in and burst", ["measurement", "value", "details"], fanin.map(generic));
  section("Codec", ["benchmark", "rate", "details"], codec.map(generic));
  section("Other", ["measurement", "value", "details"], other.map(generic));
  return `${out.join("\n\n")}\n`;
}

export function updateBenchmarksMd(existing: string, block: string): string {
  const start = existing.indexOf(START_MARKER);
  const end = existing.indexOf(END_MARKER, start + START_MARKER.length);
  if (start < 0 || end < 0) {
    throw new Error(
      `results markers not found: the file needs "${START_MARKER}" followed by "${END_MARKER}"`,
    );
  }
  const before = existing.slice(0, start + START_MARKER.length);
  return `${before}\n\n${block.trim()}\n\n${existing.slice(end)}`;
}

export function parseJsonl(text: string): BenchLine[] {
  const lines: BenchLine[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new Error(`line ${i + 1}: not JSON (${(err as Error).message})`);
    }
    const o = parsed as Partial<BenchLine> | null;
    if (!o || typeof o.name !== "string" || typeof o.unit !== "string" || typeof o.value !== "number") {
      throw new Error(`line ${i + 1}: expected an object with string name, string unit and number value`);
    }
    lines.push(o as BenchLine);
  });
  return lines;
}

function option(args: string[], flag: string, fallback: string): string {
  const i = args.indexOf(flag);
  if (i < 0) return fallback;
  const value = args[i + 1];
  if (!value || value.startsWith("--")) throw new Error(`${flag} needs a path`);
  args.splice(i, 2);
  return value;
}

function main(argv: string[]): void {
  const args = [...argv];
  const md = option(args, "--md", "docs/BENCHMARKS.md");
  const svg = option(args, "--svg", "docs/bench/latency.svg");
  const scaleSvgPath = option(args, "--scale-svg", join(dirname(svg), "scale.svg"));
  if (args.length !== 1 || args[0]!.startsWith("--")) {
    throw new Error(
      "usage: report RUN.jsonl [--md docs/BENCHMARKS.md] [--svg docs/bench/latency.svg] [--scale-svg docs/bench/scale.svg]",
    );
  }
  const lines = parseJsonl(readFileSync(args[0]!, "utf8"));
  const series = latencySeries(lines);
  const panels = scalePanels(lines);
  // The links must work from wherever the markdown lives, whatever --svg says.
  const href = (path: string) =>
    relative(dirname(resolve(md)), resolve(path))
      .split(sep)
      .join("/");
  const block = renderResults(lines, { svgHref: href(svg), scaleSvgHref: href(scaleSvgPath) });
  writeFileSync(md, updateBenchmarksMd(readFileSync(md, "utf8"), block));
  const written = [md];
  for (const [path, text] of [
    [svg, series.length ? latencySvg(series) : undefined],
    [scaleSvgPath, panels.length ? scaleSvg(panels) : undefined],
  ] as const) {
    if (text === undefined) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    written.push(path);
  }
  process.stdout.write(`updated ${written.join(", ")}\n`);
}

if (isDirectRun(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`report: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
