/**
 * What the scale curve measures and with which addresses (issue 15): sizes are routes in total, half
 * IPv4 (/32s from 198.18.0.0/15) and half IPv6 (/64s from 2001:db8:100::/48), printed exactly as
 * `ip route` prints them, because the RouteWatcher compares the kernel's own text. Pure: no I/O.
 */

const DEFAULT_SIZES = [1000, 10_000, 50_000, 100_000];
const QUICK_SIZES = [1000];
/** 2 × 65,536: the /64s of one /48 bound the IPv6 half; 198.18.0.0/15 holds 131,072 /32s. */
const MAX_SIZE = 131_072;
/** Extra prefixes per run: the single announces and the 1,000 one-by-one, outside the base ranges. */
export const ONE_BY_ONE = 1000;
/**
 * Until all of them are on the gateway, at any size: riplet needed 3.6 s at 100,000 routes, FRR 1–2 s
 * when none of its updates was dropped (and never, when one was: 60 s only makes that bound plain).
 */
export const ONE_BY_ONE_DEADLINE_MS = 60_000;

/** `--sizes 1000,10000`: routes in total per point of the curve; a one-line error naming the bad part. */
export function parseSizes(text: string | undefined, quick: boolean): number[] {
  if (text === undefined) return quick ? QUICK_SIZES : DEFAULT_SIZES;
  const sizes = text.split(",").map((part) => {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 2 || n > MAX_SIZE) {
      throw new Error(`--sizes: "${part}" is not a whole number of routes from 2 to ${MAX_SIZE}`);
    }
    return n;
  });
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** The IPv4 /32 at offset `a` into 198.18.0.0/15; the kernel prints host routes without "/32". */
function v4At(a: number): string {
  return `198.${18 + (a >> 16)}.${(a >> 8) & 255}.${a & 255}/32`;
}

/** The i-th /64 of 2001:db8:BLOCK::/48 as the kernel prints it (i = 0 is 2001:db8:100::/64). */
function v6At(block: string, i: number): string {
  return `2001:db8:${block}${i === 0 ? "" : `:${i.toString(16)}`}::/64`;
}

export interface ScalePrefixes {
  v4: string[];
  v6: string[];
}

/** `total` routes: ceil(total / 2) IPv4 from the bottom of 198.18.0.0/15, the rest IPv6. */
export function curvePrefixes(total: number): ScalePrefixes {
  if (total > MAX_SIZE) throw new Error(`at most ${MAX_SIZE} routes fit the benchmark ranges`);
  const n4 = Math.ceil(total / 2);
  return {
    v4: Array.from({ length: n4 }, (_, i) => v4At(i)),
    v6: Array.from({ length: total - n4 }, (_, i) => v6At("100", i)),
  };
}

/**
 * `count` prefixes announced one at a time on top of a size, alternating IPv4 and IPv6 as VMs' subnets
 * would: IPv4 from the top of 198.18.0.0/15 downwards (the base takes at most the lower half),
 * IPv6 from 2001:db8:101::/48. Never one of scalePrefixes(any size).
 */
export function extraPrefixes(count: number, skip = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const j = k + skip;
    return j % 2 === 0 ? v4At(MAX_SIZE - 1 - (j >> 1)) : v6At("101", j >> 1);
  });
}

/**
 * How long a sender may take to converge at a size before the figure becomes a bound: 12 ms a route
 * (FRR 8.4 took ~90 s for 20,000 in issue 6), never under 30 s, never over 5 min.
 */
export function convergeDeadlineMs(total: number): number {
  return Math.min(300_000, Math.max(30_000, 12 * total));
}

/** Metric name with the size in it: `scale.rss.riplet.n10000`. */
export function sized(name: string, total: number): string {
  return `${name}.n${total}`;
}
