/**
 * The scale curve's figures as BenchLines: `scale.METRIC.SPEAKER[.FAMILY].nSIZE`, and riplet ÷ FRR as
 * `ratio.scale.METRIC.riplet/frr-ripd[.FAMILY].nSIZE` (bench/report-scale.ts reads both). Pure.
 */
import type { BenchLine } from "./main.js";
import { ONE_BY_ONE, ONE_BY_ONE_DEADLINE_MS, sized } from "./scale-plan.js";
import type { AnnounceFigures, Convergence, OneByOneFigures } from "./scale-probe.js";

/** Both senders use this update interval, so CPU per update is measured over the same cycle. */
export const UPDATE_S = 10;

export interface SenderFigures {
  converge: Record<"ipv4" | "ipv6", Convergence>;
  /** Datagrams the gateway dropped for a full receive buffer until convergence (or the deadline). */
  gatewayDrops?: Record<"ipv4" | "ipv6", number>;
  rssMiB: number;
  cpuPerUpdateMs: number;
  announce?: AnnounceFigures;
  oneByOne?: OneByOneFigures;
}

export interface FrrFigures extends SenderFigures {
  /** zebra + staticd + ripd + ripngd. */
  stackRssMiB: number;
}

const FAMILIES = ["ipv4", "ipv6"] as const;
/** Three significant digits: riplet ÷ FRR spans 0.0005 to 10 across the curve. */
const ratio = (a: number, b: number) => Number((a / b).toPrecision(3));

/** Whether a sender left any prefix off the gateway at its deadline (its figures are then bounds). */
export function missed(f: SenderFigures): boolean {
  return FAMILIES.some((family) => f.converge[family].missing > 0);
}

export function senderLines(
  speaker: string,
  total: number,
  f: SenderFigures,
  deadlineMs: number,
): BenchLine[] {
  const name = (metric: string) => sized(`scale.${metric}.${speaker}`, total);
  const lines: BenchLine[] = FAMILIES.map((family) => {
    const c = f.converge[family];
    const routes = family === "ipv4" ? Math.ceil(total / 2) : Math.floor(total / 2);
    const base = { name: sized(`scale.converge.${speaker}.${family}`, total), unit: "ms", value: c.ms };
    const drops = f.gatewayDrops ? { gatewayRcvbufErrors: f.gatewayDrops[family] } : {};
    return { ...base, converged: c.missing === 0, routes, missing: c.missing, deadlineMs, ...drops };
  });
  lines.push({ name: name("rss"), unit: "MiB", value: f.rssMiB, routes: total });
  lines.push({
    name: name("cpu-per-update"),
    unit: "ms",
    value: f.cpuPerUpdateMs,
    updateS: UPDATE_S,
    routes: total,
  });
  if (f.announce) {
    const { ack, kernel, timedOut } = f.announce;
    // a median is a bound only when at least half the trials hit the timeout
    const bound = timedOut * 2 >= kernel.trials ? { bound: "at least" } : {};
    const { samples: ackSamples, ...ackRest } = ack;
    lines.push({ name: name("announce-ack"), unit: "ms", ...ackRest, samples: ackSamples, routes: total });
    lines.push({ name: name("announce"), unit: "ms", ...kernel, timedOut, ...bound, routes: total });
  }
  if (f.oneByOne) {
    const o = f.oneByOne;
    const rate = Math.round((ONE_BY_ONE / Math.max(1, o.sentMs)) * 1000 * 10) / 10;
    lines.push({
      name: name("one-by-one-rate"),
      unit: "announces/s",
      value: rate,
      announces: ONE_BY_ONE,
      routes: total,
    });
    lines.push({
      name: name("one-by-one"),
      unit: "ms",
      value: o.allMs,
      converged: o.missing === 0,
      missing: o.missing,
      announces: ONE_BY_ONE,
      sentMs: o.sentMs,
      deadlineMs: ONE_BY_ONE_DEADLINE_MS,
      routes: total,
    });
  }
  return lines;
}

/** FRR's lines at one size: a sender's, and the whole stack's memory. */
export function frrLines(total: number, f: FrrFigures, deadlineMs: number): BenchLine[] {
  const stack = { name: sized("scale.rss.frr-stack", total), unit: "MiB", value: f.stackRssMiB };
  const daemons = "zebra+staticd+ripd+ripngd";
  return [...senderLines("frr-ripd", total, f, deadlineMs), { ...stack, routes: total, daemons }];
}

/**
 * riplet ÷ FRR at one size; left out when FRR's figure is 0 (CPU below the 10 ms clock tick). FRR's
 * figure being a lower bound makes the ratio an upper bound, and riplet's a lower one (both: none).
 */
export function ratioLines(
  total: number,
  ours: BenchLine[],
  theirs: BenchLine[],
  stackRssMiB?: number,
): BenchLine[] {
  const out: BenchLine[] = [];
  const isBound = (l: BenchLine) => l.converged === false || l.bound === "at least";
  for (const mine of ours) {
    const metric = mine.name
      .replace(/^scale\./, "")
      .replace(`.riplet`, "")
      .replace(/\.n\d+$/, "");
    if (metric.startsWith("one-by-one-rate") || metric.startsWith("announce-ack")) continue;
    const other = theirs.find((l) => l.name === mine.name.replace(".riplet", ".frr-ripd"));
    if (!other || !(other.value > 0) || (isBound(mine) && isBound(other))) continue;
    const [what, family] = metric.split(".");
    const name = sized(`ratio.scale.${what}.riplet/frr-ripd${family ? `.${family}` : ""}`, total);
    const bound = isBound(other) ? { bound: "at most" } : isBound(mine) ? { bound: "at least" } : {};
    out.push({ name, unit: "x", value: ratio(mine.value, other.value), ...bound });
  }
  const rss = ours.find((l) => l.name === sized("scale.rss.riplet", total));
  if (rss && stackRssMiB !== undefined && stackRssMiB > 0) {
    const name = sized("ratio.scale.rss.riplet/frr-stack", total);
    out.push({ name, unit: "x", value: ratio(rss.value, stackRssMiB) });
  }
  return out;
}
