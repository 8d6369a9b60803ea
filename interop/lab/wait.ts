/** Polling: the lab's only way to wait for something to become true. */
import { sleep } from "./proc.js";

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/** Polls `predicate` every intervalMs (50) until it holds; returns the ms it took. Throws on timeout. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs, intervalMs = 50, what = "condition" }: WaitOptions,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    if (await predicate()) return Math.round(performance.now() - start);
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Polls for `durationMs` and throws as soon as `predicate` holds: "X never happens". */
export async function holdsNever(
  predicate: () => boolean | Promise<boolean>,
  {
    durationMs,
    intervalMs = 100,
    what = "condition",
  }: { durationMs: number; intervalMs?: number; what?: string },
): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    if (await predicate())
      throw new Error(`${what} happened after ${Math.round(performance.now() - start)} ms`);
    await sleep(intervalMs);
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/**
 * Polls several named conditions together until all hold; returns, per name, the ms after which it
 * first held (so two prefixes announced at once get their own latencies from the same start).
 */
export async function timeEach(
  conditions: Record<string, () => Promise<boolean>>,
  {
    timeoutMs,
    intervalMs = 50,
    start = performance.now(),
  }: { timeoutMs: number; intervalMs?: number; start?: number },
): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  const names = Object.keys(conditions);
  for (;;) {
    for (const name of names) {
      if (times[name] === undefined && (await conditions[name]!()))
        times[name] = Math.round(performance.now() - start);
    }
    if (names.every((n) => times[n] !== undefined)) return times;
    if (performance.now() - start > timeoutMs) {
      const waiting = names.filter((n) => times[n] === undefined);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${waiting.join(", ")}`);
    }
    await sleep(intervalMs);
  }
}
