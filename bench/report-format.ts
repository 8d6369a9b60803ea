/**
 * Formatting for the benchmark report: numbers people read at a glance ("3.10 s", "64.0 M rte/s",
 * "0.007 (141× faster)") and plain markdown tables. Kept apart from report.ts so the table logic there
 * reads as "which line goes where", not string fiddling.
 */

export interface BenchLine {
  name: string;
  unit: string;
  value: number;
  [field: string]: unknown;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return ms < 10 && !Number.isInteger(ms) ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** "0.007 (141× faster)": one significant digit for tiny ratios, so 0.0004 does not print as 0.000. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return String(r);
  const shown = r.toFixed(Math.max(2, Math.ceil(-Math.log10(r))));
  if (r === 1) return `${shown} (same)`;
  const factor = r < 1 ? 1 / r : r;
  const times = factor >= 10 ? Math.round(factor).toLocaleString("en-US") : factor.toFixed(1);
  return `${shown} (${times}× ${r < 1 ? "faster" : "slower"})`;
}

/** "64.0 M rte/s": codec rates span 10^4–10^8, where raw digits are unreadable. */
export function formatRate(value: number, unit: string): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} M ${unit}`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k ${unit}`;
  return `${value} ${unit}`;
}

export function formatValue(value: number, unit: string): string {
  if (unit === "ms") return formatMs(value);
  if (unit === "x") return formatRatio(value);
  if (unit.endsWith("/s")) return formatRate(value, unit);
  return `${value.toLocaleString("en-US", { maximumFractionDigits: 2 })} ${unit}`;
}

/**
 * A line's value as a reader should take it: a convergence that never completed shows its deadline as
 * a lower bound with what was missing, and a ratio built on such a bound says it is an upper bound.
 */
export function valueCell(line: BenchLine): string {
  const shown = formatValue(line.value, line.unit);
  if (line.converged === false) return `> ${shown} (${Number(line.missing).toLocaleString("en-US")} missing)`;
  if (line.bound === "at most") return `≤ ${shown}`;
  if (typeof line.remaining === "number" && line.remaining > 0) return `> ${shown} (still routed)`;
  return shown;
}

/** Extra numeric fields as "routes 10,000, missing 0"; p90/max/min are in the line's own unit. */
export function details(line: BenchLine): string {
  const sameUnit = ["p90", "max", "min"];
  return Object.entries(line)
    .filter(([k, v]) => !["name", "unit", "value"].includes(k) && typeof v === "number")
    .map(([k, v]) => {
      const n = v as number;
      return `${k} ${sameUnit.includes(k) ? formatValue(n, line.unit) : n.toLocaleString("en-US")}`;
    })
    .join(", ");
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Known names first in their usual order, the rest alphabetically, so row order does not follow the run. */
export function order(known: string[], present: string[]): string[] {
  const rest = [...new Set(present.filter((p) => !known.includes(p)))].sort();
  return [...known.filter((k) => present.includes(k)), ...rest];
}

/** One sentence describing the machine, so readers can judge whether the figures transfer. */
export function machineLine(m: BenchLine | undefined): string {
  if (!m) return "_No machine line in this run._";
  const parts = [
    `${m.value} ${m.unit}${m.cpu ? ` ${m.cpu}` : ""}`,
    m.memGiB !== undefined ? `${m.memGiB} GiB RAM` : "",
    m.kernel ? `Linux ${m.kernel}` : "",
    m.node ? `Node ${m.node}` : "",
    m.frr ? `FRR ${m.frr}` : "",
    m.bird ? `BIRD ${m.bird}` : "",
  ].filter(Boolean);
  const trials = m.trials !== undefined ? `; ${m.trials} trials per series` : "";
  const date = m.date ? `; run ${m.date}` : "";
  return `Machine: ${parts.join(", ")}${trials}${date}.`;
}
