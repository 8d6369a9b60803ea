/**
 * The scale curve (issue 15): at each size (1k, 10k, 50k, 100k routes in total, half IPv4, half
 * IPv6; `--sizes` picks others, `--quick` 1k only), riplet and then FRR ripd/ripngd announce them to
 * an FRR gateway, each in a fresh lab (scale-riplet.ts, scale-frr.ts). Per size and sender: time to
 * every prefix in the gateway's kernel, RSS once converged, CPU per periodic update, one announce's
 * latency on top of that table, and 1,000 announces one by one. FRR is measured as far as it keeps up:
 * once it misses its deadline at one size, the larger ones are skipped and a line says so.
 */
import type { BenchContext, BenchLine } from "./main.js";
import { type FrrFigures, frrAtSize } from "./scale-frr.js";
import {
  convergeDeadlineMs,
  curvePrefixes,
  ONE_BY_ONE,
  parseSizes,
  type ScalePrefixes,
  sized,
} from "./scale-plan.js";
import { type Probe, UPDATE_S } from "./scale-probe.js";
import { idleRiplet, ripletAtSize, type SenderFigures } from "./scale-riplet.js";

/** `n` IPv4 and `n` IPv6 prefixes of the curve's plan (bench/memory.ts builds its routes from it). */
export function scalePrefixes(n: number): ScalePrefixes {
  return curvePrefixes(2 * n);
}

const FAMILIES = ["ipv4", "ipv6"] as const;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

/** Whether a sender left any prefix off the gateway at its deadline (its figures are then bounds). */
function missed(f: SenderFigures): boolean {
  return FAMILIES.some((family) => f.converge[family].missing > 0);
}

function senderLines(speaker: string, total: number, f: SenderFigures, deadlineMs: number): BenchLine[] {
  const name = (metric: string) => sized(`scale.${metric}.${speaker}`, total);
  const lines: BenchLine[] = FAMILIES.map((family) => {
    const c = f.converge[family];
    const routes = family === "ipv4" ? Math.ceil(total / 2) : Math.floor(total / 2);
    const base = { name: sized(`scale.converge.${speaker}.${family}`, total), unit: "ms", value: c.ms };
    return { ...base, converged: c.missing === 0, routes, missing: c.missing, deadlineMs };
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
      routes: total,
    });
  }
  return lines;
}

/**
 * riplet ÷ FRR at one size; left out when FRR's figure is 0 (CPU below the 10 ms clock tick). FRR's
 * figure being a lower bound makes the ratio an upper bound, and riplet's a lower one (both: none).
 */
function ratioLines(total: number, ours: BenchLine[], theirs: BenchLine[]): BenchLine[] {
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
  return out;
}

export async function runScale(ctx: BenchContext): Promise<void> {
  const sizes = ctx.sizes ?? parseSizes(undefined, ctx.quick);
  const probe: Probe = { updates: ctx.quick ? 1 : 3, trials: ctx.quick ? 3 : 5 };
  ctx.progress("scale: idle riplet daemon");
  ctx.emit({ name: "scale.rss.riplet-idle", unit: "MiB", value: await idleRiplet(), routes: 0 });
  let frrMissedAt: number | undefined;
  for (const total of sizes) {
    const prefixes = curvePrefixes(total);
    const deadlineMs = convergeDeadlineMs(total);
    ctx.progress(
      `scale: riplet daemon announcing ${prefixes.v4.length} IPv4 + ${prefixes.v6.length} IPv6 prefixes to FRR`,
    );
    const ours = senderLines("riplet", total, await ripletAtSize(prefixes, deadlineMs, probe), deadlineMs);
    for (const line of ours) ctx.emit(line);
    if (frrMissedAt !== undefined) {
      const reason = `FRR ripd/ripngd missed its convergence deadline at ${frrMissedAt} routes`;
      ctx.progress(`scale: FRR skipped at ${total} routes: ${reason}`);
      ctx.emit({
        name: sized("scale.skipped.frr-ripd", total),
        unit: "routes",
        value: total,
        missedAt: frrMissedAt,
        reason,
      });
      continue;
    }
    ctx.progress(`scale: FRR ripd/ripngd redistributing the same ${total} routes (kernel blackholes) to FRR`);
    const figures: FrrFigures = await frrAtSize(prefixes, deadlineMs, probe);
    const theirs = senderLines("frr-ripd", total, figures, deadlineMs);
    for (const line of theirs) ctx.emit(line);
    const stack = { name: sized("scale.rss.frr-stack", total), unit: "MiB", value: figures.stackRssMiB };
    ctx.emit({ ...stack, routes: total, daemons: "zebra+staticd+ripd+ripngd" });
    for (const line of ratioLines(total, ours, theirs)) ctx.emit(line);
    if (figures.stackRssMiB > 0) {
      const name = sized("ratio.scale.rss.riplet/frr-stack", total);
      ctx.emit({
        name,
        unit: "x",
        value: ratio(
          ours.find((l) => l.name === sized("scale.rss.riplet", total))!.value,
          figures.stackRssMiB,
        ),
      });
    }
    if (missed(figures)) frrMissedAt = total;
  }
}
