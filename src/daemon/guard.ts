/**
 * One wrapper for every asynchronous path the daemon starts on its own: timers, link events, health
 * callbacks, socket handlers, state writes. A throw or a rejected promise there would otherwise end
 * the process (Node.js exits on an unhandled rejection) and leave every VM's route on the gateway
 * until it times out. Here it is logged (rate-limited per place), counted (`status`,
 * `riplet_internal_errors_total`) and the daemon keeps serving.
 */
import type { Logger } from "pino";
import { RateLimiter } from "./log.js";

/** One log line per place a minute; the count keeps the rest. */
const LOG_WINDOW_MS = 60_000;

export class Guard {
  /** Internal errors since start, by place ("tick", "link poll", "health probe", …). */
  readonly errors: Record<string, number> = {};
  private readonly limiter = new RateLimiter(LOG_WINDOW_MS, 256);

  constructor(
    private readonly log: Pick<Logger, "error">,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Every internal error so far. */
  get total(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }

  /** Records one fault at `place`: counted always, logged at most once a minute per place. */
  fault(place: string, error: unknown): void {
    this.errors[place] = (this.errors[place] ?? 0) + 1;
    const suppressed = this.limiter.allow(place, this.now());
    if (suppressed < 0) return;
    const err = error instanceof Error ? error : new Error(String(error));
    this.log.error(
      { place, err: err.message, stack: err.stack?.split("\n").slice(1, 4).join(" | "), suppressed },
      "internal error; the daemon goes on",
    );
  }

  /** Runs `fn` now; a throw or a rejection is a fault at `place`, never the caller's problem. */
  run(place: string, fn: () => unknown): void {
    try {
      const result = fn();
      if (result instanceof Promise) result.catch((error: unknown) => this.fault(place, error));
    } catch (error) {
      this.fault(place, error);
    }
  }

  /** `fn` as a callback for a timer or an event emitter, guarded like run(). */
  wrap<A extends unknown[]>(place: string, fn: (...args: A) => unknown): (...args: A) => void {
    return (...args: A) => this.run(place, () => fn(...args));
  }
}
