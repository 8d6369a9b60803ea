/**
 * `node dist/bench/report.js RUN.jsonl [--md docs/BENCHMARKS.md] [--svg docs/bench/latency.svg]`:
 * turns one benchmark run's JSONL into the results tables of docs/BENCHMARKS.md and a latency plot.
 *
 * Only the text between the results markers is rewritten, so the hand-written method and caveats around
 * them survive every re-run. Every line of the run lands in some table: a figure that silently vanished
 * from the report would be worse than an ugly row.
 */

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { isDirectRun } from "./direct-run.js";
import { type LatencySeries, latencySvg, PHASES } from "./plot.js";
import {
  type BenchLine,
  details,
  formatMs,
  formatRatio,
  machineLine,
  order,
  table,
  valueCell,
} from "./report-format.js";

export type { BenchLine } from "./report-format.js";
export { formatMs, formatRate, formatRatio } from "./report-format.js";

export interface RenderOptions {
  /** Image link target, relative to the markdown file. */
  svgHref?: string;
}

export const START_MARKER = "<!-- results:start -->";
export const END_MARKER = "<!-- results:end -->";

const SPEAKERS = ["riplet", "frr-host", "bird-host"];
const GATEWAYS = ["frr", "bird"];
const LATENCY_NAME = /^(announce|withdraw|kill)\.([^./]+)\.([^./]+)$/;

interface Latency {
  line: BenchLine;
  phase: string;
  speaker: string;
  gateway: string;
}

function latencyRows(latency: Latency[], byName: Map<string, BenchLine>, used: Set<string>): string[][] {
  const rows: string[][] = [];
  for (const gateway of order(
    GATEWAYS,
    latency.map((l) => l.gateway),
  )) {
    for (const phase of PHASES) {
      const here = latency.filter((l) => l.gateway === gateway && l.phase === phase);
      const riplet = here.find((l) => l.speaker === "riplet");
      for (const speaker of order(
        SPEAKERS,
        here.map((l) => l.speaker),
      )) {
        const { line } = here.find((l) => l.speaker === speaker)!;
        rows.push([
          gateway,
          phase,
          speaker,
          ...latencyCells(line),
          ratioCell(line, riplet?.line, byName, used),
        ]);
      }
    }
  }
  return rows;
}

function latencyCells(line: BenchLine): string[] {
  const ms = (v: unknown) => (typeof v === "number" ? formatMs(v) : "—");
  const trials = typeof line.trials === "number" ? String(line.trials) : "—";
  return [formatMs(line.value), ms(line.p90), ms(line.max), trials];
}

/** Quotes the run's own ratio line when there is one; otherwise divides the medians. */
function ratioCell(
  alt: BenchLine,
  riplet: BenchLine | undefined,
  byName: Map<string, BenchLine>,
  used: Set<string>,
) {
  const [phase, speaker, gateway] = alt.name.split(".");
  if (speaker === "riplet") return "—";
  const ratioName = `ratio.${phase}.riplet/${speaker}.${gateway}`;
  const quoted = byName.get(ratioName);
  if (quoted) {
    used.add(ratioName);
    return formatRatio(quoted.value);
  }
  return riplet && alt.value > 0 ? formatRatio(riplet.value / alt.value) : "—";
}

const SCALE_LABELS: Record<string, string> = {
  rss: "resident memory",
  "cpu-per-update": "CPU per update",
  converge: "convergence",
};

function scaleRow(line: BenchLine): string[] {
  const parts = line.name.split(".");
  const [, metric, speaker, family] = parts;
  const known = metric && SCALE_LABELS[metric] && speaker && parts.length === (metric === "converge" ? 4 : 3);
  if (!known) return [line.name.replace(/^scale\./, ""), "", valueCell(line), details(line)];
  const what = family ? `${SCALE_LABELS[metric]} (${family})` : SCALE_LABELS[metric]!;
  return [what, speaker, valueCell(line), details(line)];
}

/** Plot rows in the table's order (gateway, then speaker), whatever order the run wrote them in. */
export function latencySeries(lines: BenchLine[]): LatencySeries[] {
  const found = lines.flatMap((line) => {
    const m = LATENCY_NAME.exec(line.name);
    if (!m || line.unit !== "ms") return [];
    const samples = Array.isArray(line.samples) ? line.samples.filter((s) => typeof s === "number") : [];
    const [phase, speaker, gateway] = [m[1]!, m[2]!, m[3]!];
    return [{ label: `${speaker} → ${gateway}`, phase, samples, speaker, median: line.value, gateway }];
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
  const latency = take((l) => LATENCY_NAME.test(l.name) && l.unit === "ms").map((line) => {
    const [phase, speaker, gateway] = line.name.split(".") as [string, string, string];
    return { line, phase, speaker, gateway };
  });
  const latencyTable = latencyRows(latency, byName, used);
  const hooks = take((l) => l.name.startsWith("hook-up."));
  const stops = take((l) => l.name.startsWith("stop."));
  const scale = take((l) => l.name.startsWith("scale.") || l.name.startsWith("ratio.scale."));
  const fanin = take((l) => l.name.startsWith("fanin.") || l.name.startsWith("burst."));
  const codec = take((l) => l.unit.endsWith("/s"));
  const other = take(() => true);

  const out = [machineLine(machine)];
  const section = (title: string, header: string[], rows: string[][]) => {
    if (rows.length) out.push(`### ${title}`, table(header, rows));
  };
  const ratioHead = "riplet ÷ alternative";
  section(
    "Latency",
    ["gateway", "phase", "speaker", "median", "p90", "max", "trials", ratioHead],
    latencyTable,
  );
  if (latency.length) out.push(`![Latency per trial, log scale](${options.svgHref ?? "bench/latency.svg"})`);
  section("Scale", ["measurement", "speaker", "value", "details"], scale.map(scaleRow));
  const generic = (l: BenchLine) => [l.name, valueCell(l), details(l)];
  section("Up-script run time (QEMU waits for it)", ["measurement", "median", "details"], hooks.map(generic));
  section(
    "The speaker itself stopped (SIGTERM) with a VM up → its routes gone from the gateway",
    ["measurement", "time", "details"],
    stops.map(generic),
  );
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
  if (args.length !== 1 || args[0]!.startsWith("--")) {
    throw new Error("usage: report RUN.jsonl [--md docs/BENCHMARKS.md] [--svg docs/bench/latency.svg]");
  }
  const lines = parseJsonl(readFileSync(args[0]!, "utf8"));
  const series = latencySeries(lines);
  // The link must work from wherever the markdown lives, whatever --svg says.
  const svgHref = relative(dirname(resolve(md)), resolve(svg))
    .split(sep)
    .join("/");
  const block = renderResults(lines, { svgHref });
  writeFileSync(md, updateBenchmarksMd(readFileSync(md, "utf8"), block));
  if (series.length) {
    mkdirSync(dirname(svg), { recursive: true });
    writeFileSync(svg, latencySvg(series));
  }
  process.stdout.write(`updated ${md}${series.length ? ` and ${svg}` : " (no latency series, no plot)"}\n`);
}

if (isDirectRun(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`report: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
