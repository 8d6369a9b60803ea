/**
 * Runs every route's health check on its own interval and says when a verdict flips. I/O at the
 * edge (probes.ts); the verdicts are state.ts's. A check restarted with the same settings (a config
 * reload) keeps its state, so a reload never withdraws a healthy route.
 */
import type { HealthCheck } from "./config.js";
import { runProbe } from "./probes.js";
import { applyResult, type Health, type HealthState, INITIAL_HEALTH } from "./state.js";

interface Watched {
  check: HealthCheck;
  key: string;
  state: HealthState;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export class HealthMonitor {
  private readonly watched = new Map<string, Watched>();

  constructor(
    private readonly onChange: (prefix: string, state: HealthState) => void,
    /**
     * A probe or onChange threw: reported here (the daemon's Guard counts and logs it), and the check
     * goes on at its next interval. Without it the rejection would be unhandled and end the process.
     */
    private readonly onError: (error: unknown) => void = () => {},
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Starts probing at once; `initial` is a verdict carried over from before a restart. */
  watch(prefix: string, check: HealthCheck, initial: Health = "unknown"): void {
    const key = JSON.stringify(check);
    const current = this.watched.get(prefix);
    if (current?.key === key) return;
    this.unwatch(prefix);
    const state = { ...INITIAL_HEALTH, health: initial };
    const entry: Watched = { check, key, state, stopped: false };
    this.watched.set(prefix, entry);
    this.probeGuarded(prefix, entry);
  }

  unwatch(prefix: string): void {
    const entry = this.watched.get(prefix);
    if (!entry) return;
    entry.stopped = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.watched.delete(prefix);
  }

  prefixes(): string[] {
    return [...this.watched.keys()];
  }

  state(prefix: string): HealthState | undefined {
    return this.watched.get(prefix)?.state;
  }

  stop(): void {
    for (const prefix of this.prefixes()) this.unwatch(prefix);
  }

  /** One probe, then the next one armed whatever happened: a fault never stops a check. */
  private probeGuarded(prefix: string, entry: Watched): void {
    this.probe(prefix, entry)
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        if (entry.stopped) return;
        entry.timer = setTimeout(() => this.probeGuarded(prefix, entry), entry.check.policy.intervalMs);
        entry.timer.unref();
      });
  }

  private async probe(prefix: string, entry: Watched): Promise<void> {
    const result = await runProbe(entry.check.probe, entry.check.policy.timeoutMs);
    if (entry.stopped) return;
    const next = applyResult(entry.state, entry.check.policy, result, this.now());
    entry.state = next.state;
    if (next.changed) this.onChange(prefix, next.state);
  }
}
