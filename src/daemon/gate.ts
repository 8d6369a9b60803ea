/**
 * What may be announced right now (issue 8): a route with a health check only while it is healthy
 * (or with its worse `failMetric` while failing), and nothing at all while the maintenance file
 * exists. The daemon keeps what was asked for; the gate decides what the speaker says.
 */
import { existsSync } from "node:fs";
import type { HealthCheck } from "../health/config.js";
import { HealthMonitor } from "../health/monitor.js";
import type { Health, HealthState } from "../health/state.js";
import type { RouteSpec } from "../speaker/table.js";
import { Guard } from "./guard.js";
import type { Logger } from "./log.js";

export interface GateTarget {
  announce(spec: RouteSpec): void;
  withdraw(prefix: string): void;
  withdrawAll(): void;
  /** Every route asked for that has no check (config and socket), to send again after maintenance. */
  unchecked(): RouteSpec[];
  /** Something was announced or withdrawn, or a verdict flipped: wake the speaker, save the state. */
  changed(): void;
}

const MAINTENANCE_POLL_MS = 1000;

export class Gate {
  private readonly monitor: HealthMonitor;
  private readonly checked = new Map<string, { spec: RouteSpec; check: HealthCheck }>();
  private inMaintenance = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly target: GateTarget,
    private readonly log: Logger,
    private maintenanceFile?: string,
    /** Faults in health callbacks and the maintenance poll are counted here; the daemon goes on. */
    private readonly guard: Guard = new Guard(log),
  ) {
    this.monitor = new HealthMonitor(
      (prefix, state) => this.healthChanged(prefix, state),
      (error) => this.guard.fault("health check", error),
    );
    this.inMaintenance = this.maintenanceFile !== undefined && existsSync(this.maintenanceFile);
    if (this.inMaintenance) this.log.warn({ file: this.maintenanceFile }, "maintenance: announcing nothing");
    this.pollWhileConfigured();
  }

  /** False while the maintenance file exists: nothing goes out. */
  get open(): boolean {
    return !this.inMaintenance;
  }

  setMaintenanceFile(file: string | undefined): void {
    this.maintenanceFile = file;
    this.pollMaintenance();
    this.pollWhileConfigured();
  }

  /**
   * Announces `spec` when its check says so; withdrawn until then. `initial` is the verdict saved
   * before a restart: a route healthy then stays announced until its check fails `fall` times, as it
   * would have without the restart, instead of vanishing for `rise` intervals.
   */
  watch(spec: RouteSpec, check: HealthCheck, initial?: Health): void {
    this.checked.set(spec.prefix.text, { spec, check });
    this.monitor.watch(spec.prefix.text, check, initial);
    this.apply(spec.prefix.text);
  }

  /** Stops checking `prefix` and withdraws it; false if it had no check. */
  unwatch(prefix: string): boolean {
    if (!this.checked.delete(prefix)) return false;
    this.monitor.unwatch(prefix);
    this.target.withdraw(prefix);
    return true;
  }

  isWatched(prefix: string): boolean {
    return this.checked.has(prefix);
  }

  watchedPrefixes(): string[] {
    return [...this.checked.keys()];
  }

  /** For `status`, `routes`, the metrics, and the verdicts saved with the state (see `watch`). */
  report(): { prefix: string; health: Health; since?: number; detail?: string }[] {
    return [...this.checked.keys()].map((prefix) => {
      const state = this.monitor.state(prefix);
      return {
        prefix,
        health: state?.health ?? "unknown",
        ...(state?.lastChangeAt === undefined ? {} : { since: state.lastChangeAt }),
        ...(state?.lastResult ? { detail: state.lastResult.detail } : {}),
      };
    });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.monitor.stop();
  }

  /** The file is looked for every second, but only when one is configured. */
  private pollWhileConfigured(): void {
    if (this.maintenanceFile === undefined) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
    } else if (!this.timer) {
      this.timer = setInterval(
        this.guard.wrap("maintenance poll", () => this.pollMaintenance()),
        MAINTENANCE_POLL_MS,
      );
      this.timer.unref();
    }
  }

  private healthChanged(prefix: string, state: HealthState): void {
    const detail = state.lastResult?.detail;
    if (state.health === "healthy") this.log.info({ prefix, detail }, "health check passing: announcing");
    else this.log.warn({ prefix, detail }, "health check failing: withdrawing");
    this.apply(prefix);
    this.target.changed();
  }

  private apply(prefix: string): void {
    const entry = this.checked.get(prefix);
    if (!entry || this.inMaintenance) return;
    const health = this.monitor.state(prefix)?.health ?? "unknown";
    if (health === "healthy") this.target.announce(entry.spec);
    else if (health === "failing" && entry.check.failMetric !== undefined)
      this.target.announce({ ...entry.spec, metric: entry.check.failMetric });
    else this.target.withdraw(prefix);
  }

  private pollMaintenance(): void {
    const now = this.maintenanceFile !== undefined && existsSync(this.maintenanceFile);
    if (now === this.inMaintenance) return;
    this.inMaintenance = now;
    if (now) {
      this.log.warn({ file: this.maintenanceFile }, "maintenance file present: withdrawing every route");
      this.target.withdrawAll();
    } else {
      this.log.info({ file: this.maintenanceFile }, "maintenance over: announcing again");
      for (const spec of this.target.unchecked()) this.target.announce(spec);
      for (const prefix of this.checked.keys()) this.apply(prefix);
    }
    this.target.changed();
  }
}
