/**
 * Logging: pino JSON lines. Drops are logged rate-limited per (neighbour, reason) so a flood costs a
 * line a minute, not a line a packet; the counters in `status` keep the full count.
 */
import pino, { type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
    destination as pino.DestinationStream,
  );
}

/** Allows one event per key per window; tells the caller how many were suppressed since. */
export class RateLimiter {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 1024,
  ) {}

  /** Returns the number suppressed since the last allowed one, or -1 if this one is suppressed too. */
  allow(key: string, now: number): number {
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.windowMs) {
      entry.suppressed++;
      return -1;
    }
    if (!entry && this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!);
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }
}
