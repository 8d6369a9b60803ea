/**
 * Logging: pino JSON lines. Drops are logged rate-limited per (neighbour, reason) so a flood costs a
 * line a minute, not a line a packet; the counters in `status` keep the full count.
 */
import pino, { type Logger } from "pino";

export type { Logger };

const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** One pino JSON line as a person reads it: "12:00:01 INFO announced prefixes=[…] owner=tap0". */
export function prettyLine(json: string): string {
  const { level, time, msg, ...rest } = JSON.parse(json) as Record<string, unknown>;
  const fields = Object.entries(rest).map(
    ([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`,
  );
  const clock = typeof time === "string" ? time.slice(11, 19) : "";
  return [clock, (LEVELS[level as number] ?? String(level)).padEnd(5), msg, ...fields]
    .filter(Boolean)
    .join(" ");
}

/** pino writes JSON; on a terminal, each line is rewritten with prettyLine() first. */
function prettyStream(out: NodeJS.WritableStream): pino.DestinationStream {
  return { write: (line: string) => void out.write(`${prettyLine(line)}\n`) };
}

/** JSON lines, or readable lines when the destination is a terminal. */
export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  if ((destination as NodeJS.WriteStream).isTTY) {
    return pino(
      { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime },
      prettyStream(destination),
    );
  }
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
