/** Medians and percentiles of a benchmark's trials (nearest-rank, as latency reports usually are). */

export interface Summary {
  value: number;
  p90: number;
  max: number;
  min: number;
  trials: number;
  samples: number[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The median of an even count is the mean of the middle two. */
function medianOf(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    value: round(medianOf(sorted)),
    p90: round(percentile(sorted, 90)),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    min: round(sorted[0] ?? Number.NaN),
    trials: sorted.length,
    samples: samples.map(round),
  };
}
