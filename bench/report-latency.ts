/**
 * The latency part of the benchmark report: a summary per gateway (phase × speaker, median and
 * alternative ÷ riplet, the issue's own table shape), then every series with its spread.
 *
 * Ratios are alternative ÷ riplet, so 6.6 reads "the alternative took 6.6 times as long". Anything
 * between 0.8 and 1.25 is called a tie: trial-to-trial spread on the benchmark machine is of that size,
 * and a table that called 1.1× a win would claim more than the run shows.
 */
import { type BenchLine, formatMs, order, table, valueCell } from "./report-format.js";

export const SPEAKERS = ["riplet", "frr-connected", "bird-direct", "frr-static", "bird-static"];
export const GATEWAYS = ["frr", "bird"];
export const LATENCY_PHASES = ["announce", "reannounce", "withdraw", "kill", "stop"] as const;
export const PHASE_LABELS: Record<string, string> = {
  announce: "announce",
  reannounce: "announce 1 s after a withdraw",
  withdraw: "withdraw (down-script)",
  kill: "kill (QEMU SIGKILL)",
  stop: "speaker stopped, VM up",
};
export const LATENCY_NAME = /^(announce|reannounce|withdraw|kill|stop)\.([^./]+)\.([^./]+)$/;
const TIE_LOW = 0.8;
const TIE_HIGH = 1.25;

export interface Latency {
  line: BenchLine;
  phase: string;
  speaker: string;
  gateway: string;
}

export function latencyOf(line: BenchLine): Latency | undefined {
  const m = LATENCY_NAME.exec(line.name);
  if (!m || line.unit !== "ms") return undefined;
  return { line, phase: m[1]!, speaker: m[2]!, gateway: m[3]! };
}

function times(r: number): string {
  return r >= 100 ? Math.round(r).toLocaleString("en-US") : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

function verdict(r: number, atLeast: boolean): "riplet faster" | "tie" | "riplet slower" {
  if (r >= TIE_HIGH) return "riplet faster";
  return r > TIE_LOW || atLeast ? "tie" : "riplet slower";
}

/** "6.60 (riplet faster)", "1.10 (tie)", "≥ 1,154 (riplet faster)": alternative ÷ riplet. */
export function formatVersus(r: number, atLeast = false): string {
  if (!Number.isFinite(r) || r <= 0) return String(r);
  return `${atLeast ? "≥ " : ""}${times(r)} (${verdict(r, atLeast)})`;
}

/** The summary's short form: "6.60×", "≈ 1.10×" (a tie), "≥ 1,154×". */
export function shortVersus(r: number, atLeast = false): string {
  if (!Number.isFinite(r) || r <= 0) return String(r);
  const mark = atLeast ? "≥ " : verdict(r, false) === "tie" ? "≈ " : "";
  return `${mark}${times(r)}×`;
}

/** The run's own ratio line when there is one (marked used), else the medians divided. */
function ratio(l: Latency, riplet: Latency | undefined, byName: Map<string, BenchLine>, used: Set<string>) {
  if (l.speaker === "riplet") return undefined;
  const ratioName = `ratio.${l.phase}.${l.speaker}/riplet.${l.gateway}`;
  const quoted = byName.get(ratioName);
  if (quoted) {
    used.add(ratioName);
    return { r: quoted.value, atLeast: quoted.bound === "at least" };
  }
  if (!riplet || !(riplet.line.value > 0)) return undefined;
  return { r: l.line.value / riplet.line.value, atLeast: Number(l.line.remaining) > 0 };
}

function versus(l: Latency, riplet: Latency | undefined, byName: Map<string, BenchLine>, used: Set<string>) {
  const found = ratio(l, riplet, byName, used);
  return found ? formatVersus(found.r, found.atLeast) : "—";
}

function cells(line: BenchLine): string[] {
  const ms = (v: unknown) => (typeof v === "number" ? formatMs(v) : "—");
  const trials = typeof line.trials === "number" ? String(line.trials) : "—";
  return [valueCell(line), ms(line.p90), ms(line.max), trials];
}

/** Every series: gateway | phase | speaker | median | p90 | max | trials | alternative ÷ riplet. */
export function latencyTable(latency: Latency[], byName: Map<string, BenchLine>, used: Set<string>): string {
  const rows: string[][] = [];
  for (const gateway of order(
    GATEWAYS,
    latency.map((l) => l.gateway),
  )) {
    for (const phase of order(
      [...LATENCY_PHASES],
      latency.map((l) => l.phase),
    )) {
      const here = latency.filter((l) => l.gateway === gateway && l.phase === phase);
      const riplet = here.find((l) => l.speaker === "riplet");
      for (const speaker of order(
        SPEAKERS,
        here.map((l) => l.speaker),
      )) {
        const l = here.find((h) => h.speaker === speaker)!;
        rows.push([gateway, phase, speaker, ...cells(l.line), versus(l, riplet, byName, used)]);
      }
    }
  }
  const header = ["gateway", "phase", "speaker", "median", "p90", "max", "trials", "alternative ÷ riplet"];
  return table(header, rows);
}

/** One table per gateway: a row per phase, a column per speaker, "median (ratio)" in each cell. */
export function summaryTables(latency: Latency[], byName: Map<string, BenchLine>): string[] {
  const out: string[] = [];
  for (const gateway of order(
    GATEWAYS,
    latency.map((l) => l.gateway),
  )) {
    const mine = latency.filter((l) => l.gateway === gateway);
    const speakers = order(
      SPEAKERS,
      mine.map((l) => l.speaker),
    );
    const rows = order(
      [...LATENCY_PHASES],
      mine.map((l) => l.phase),
    ).flatMap((phase) => {
      const here = mine.filter((l) => l.phase === phase);
      if (here.length === 0) return [];
      const riplet = here.find((l) => l.speaker === "riplet");
      const cell = (speaker: string) => {
        const l = here.find((h) => h.speaker === speaker);
        if (!l) return "—";
        const found = ratio(l, riplet, byName, new Set());
        const shown = Number(l.line.remaining) > 0 ? `> ${formatMs(l.line.value)}` : valueCell(l.line);
        return found ? `${shown} (${shortVersus(found.r, found.atLeast)})` : shown;
      };
      return [[PHASE_LABELS[phase] ?? phase, ...speakers.map(cell)]];
    });
    out.push(
      `**${gateway.toUpperCase()} gateway**: median (alternative ÷ riplet; ≈ marks a tie, below 0.8 the alternative was faster)`,
      table(["phase", ...speakers], rows),
    );
  }
  return out;
}
