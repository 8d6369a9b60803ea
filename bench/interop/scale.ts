/**
 * The scale curve (issue 15): at each size (1k, 10k, 50k, 100k routes in total, half IPv4, half
 * IPv6; `--sizes` picks others, `--quick` 1k only), riplet and then FRR ripd/ripngd announce them to
 * an FRR gateway, each in a fresh lab (scale-riplet.ts, scale-frr.ts). Per size and sender: time to
 * every prefix in the gateway's kernel, RSS once converged, CPU per periodic update, one announce's
 * latency on top of that table, and 1,000 announces one by one. FRR is measured as far as it keeps up:
 * once it misses its deadline at one size, the larger ones are skipped and a line says so.
 */
import type { BenchContext } from "./main.js";
import { frrAtSize } from "./scale-frr.js";
import { type FrrFigures, frrLines, missed, ratioLines, senderLines } from "./scale-lines.js";
import { convergeDeadlineMs, curvePrefixes, parseSizes, type ScalePrefixes, sized } from "./scale-plan.js";
import type { Probe } from "./scale-probe.js";
import { idleRiplet, ripletAtSize } from "./scale-riplet.js";

/** `n` IPv4 and `n` IPv6 prefixes of the curve's plan (bench/memory.ts builds its routes from it). */
export function scalePrefixes(n: number): ScalePrefixes {
  return curvePrefixes(2 * n);
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
      const reason = `FRR ripd/ripngd missed its convergence deadline at ${frrMissedAt.toLocaleString("en-US")} routes`;
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
    const theirs = frrLines(total, figures, deadlineMs);
    for (const line of theirs) ctx.emit(line);
    for (const line of ratioLines(total, ours, theirs, figures.stackRssMiB)) ctx.emit(line);
    if (missed(figures)) frrMissedAt = total;
  }
}
